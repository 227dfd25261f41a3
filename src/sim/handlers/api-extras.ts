// The long tail the tests reach through proxmox_api and proxmox_guest_exec: firewall rules
// (cluster and guest), resource pools, and the QEMU guest agent's exec / exec-status.
// Shapes and messages follow pve-firewall (PVE::API2::Firewall::Rules), pve-access-control
// (PVE::API2::Pool) and qemu-server (PVE::API2::Qemu::Agent, PVE::QemuServer::Agent).
import type { SimCluster, SimGuest } from "../cluster.ts";
import { type Handler, type HandlerContext, num, pathGuest, SimError, str } from "./common.ts";

interface FirewallRule {
  type: string;
  action: string;
  enable?: number;
  comment?: string;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  sport?: string;
  macro?: string;
  iface?: string;
  log?: string;
}

interface ExecRun {
  startedMs: number;
  /** How long the command runs, in ms; Infinity for one that never ends by itself. */
  runsMs: number;
  exitcode: number;
  out: string;
  err: string;
}

interface Extras {
  clusterRules: FirewallRule[];
  guestRules: Map<number, FirewallRule[]>;
  pools: Map<string, { comment?: string; vmids: number[] }>;
  exec: Map<number, Map<number, ExecRun>>;
  nextPid: number;
}

const state = new WeakMap<SimCluster, Extras>();

function extras(cluster: SimCluster): Extras {
  let s = state.get(cluster);
  if (!s) {
    s = {
      clusterRules: [{ type: "in", action: "ACCEPT", enable: 1, proto: "tcp", dport: "8006", source: "192.168.1.0/24", comment: "web UI from the LAN" }],
      guestRules: new Map([[100, [{ type: "in", action: "ACCEPT", enable: 1, macro: "HTTPS", comment: "public site" }]]]),
      pools: new Map([["prod", { comment: "production guests", vmids: [100, 101, 200, 201] }]]),
      exec: new Map(),
      nextPid: 4000,
    };
    state.set(cluster, s);
  }
  return s;
}

const RULE_KEYS = ["type", "action", "enable", "comment", "source", "dest", "proto", "dport", "sport", "macro", "iface", "log"] as const;

function ruleFrom(ctx: HandlerContext): FirewallRule {
  const rule: FirewallRule = { type: str(ctx, "type") as string, action: str(ctx, "action") as string };
  for (const key of RULE_KEYS) {
    const value = str(ctx, key);
    if (value === undefined || key === "type" || key === "action") continue;
    if (key === "enable") rule.enable = Number(value);
    else (rule as unknown as Record<string, string>)[key] = value;
  }
  return rule;
}

const listed = (rules: FirewallRule[]) => rules.map((r, pos) => ({ pos, ipversion: r.source?.includes(":") ? 6 : undefined, ...r }));

/** pve-firewall inserts at `pos` (default: the top) and renumbers. */
function insert(rules: FirewallRule[], ctx: HandlerContext): null {
  const pos = num(ctx, "pos");
  rules.splice(pos === undefined ? 0 : Math.min(pos, rules.length), 0, ruleFrom(ctx));
  return null;
}

function at(rules: FirewallRule[], ctx: HandlerContext): number {
  const pos = num(ctx, "pos") as number;
  if (pos < 0 || pos >= rules.length) throw new SimError(500, "no rule at position " + pos);
  return pos;
}

function guestRules(ctx: HandlerContext, type: "qemu" | "lxc"): FirewallRule[] {
  const g = pathGuest(ctx, type);
  const s = extras(ctx.cluster);
  let rules = s.guestRules.get(g.vmid);
  if (!rules) s.guestRules.set(g.vmid, (rules = []));
  return rules;
}

// --- the guest agent's exec --------------------------------------------------------------

/** qemu-server's agent_available: configured, running, and the agent answering. */
function agentGuest(ctx: HandlerContext): SimGuest {
  const g = pathGuest(ctx, "qemu");
  if (String(g.config.agent ?? "0").split(",")[0] !== "1" && !/enabled=1/.test(String(g.config.agent))) throw new SimError(500, "No QEMU guest agent configured");
  if (g.status !== "running") throw new SimError(500, `VM ${g.vmid} is not running`);
  if (!g.agent) throw new SimError(500, "QEMU guest agent is not running");
  return g;
}

/** What the simulated guest does with a command: a few programs an admin runs, and the cases the tests need. */
function runInGuest(g: SimGuest, argv: string[]): Omit<ExecRun, "startedMs"> {
  const [program = "", ...args] = argv;
  const base = program.split("/").pop() ?? program;
  switch (base) {
    case "hostname":
      return { runsMs: 0, exitcode: 0, out: `${g.name}\n`, err: "" };
    case "echo":
      return { runsMs: 0, exitcode: 0, out: `${args.join(" ")}\n`, err: "" };
    case "printf":
      return { runsMs: 0, exitcode: 0, out: args.join(""), err: "" };
    case "uptime":
      return { runsMs: 0, exitcode: 0, out: " 10:00:00 up 3 days,  2:11,  0 users,  load average: 0.08, 0.03, 0.01\n", err: "" };
    case "df":
      return { runsMs: 0, exitcode: 0, out: "Filesystem     1K-blocks    Used Available Use% Mounted on\n/dev/sda1       32896880 9120432  22082352  30% /\n", err: "" };
    case "false":
      return { runsMs: 0, exitcode: 1, out: "", err: "" };
    case "ls":
      return args.some((a) => a.startsWith("/nonexistent")) ? { runsMs: 0, exitcode: 2, out: "", err: `ls: cannot access '${args.at(-1)}': No such file or directory\n` } : { runsMs: 0, exitcode: 0, out: "bin\netc\nhome\nusr\nvar\n", err: "" };
    case "sleep":
      return { runsMs: Number(args[0] ?? 0) * 1000, exitcode: 0, out: "", err: "" };
    case "yes": {
      // A flood: 1 MiB of output, as `yes | head -c 1M` would give.
      const line = `${args[0] ?? "y"}\n`;
      return { runsMs: 0, exitcode: 0, out: line.repeat(Math.ceil((1024 * 1024) / line.length)), err: "" };
    }
    default:
      throw new SimError(500, `Agent error: Guest agent command failed, error was 'Failed to execute child process “${program}” (No such file or directory)'`);
  }
}

const agentExec: Handler = (ctx) => {
  const g = agentGuest(ctx);
  const raw = ctx.p.command;
  const argv = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (argv.length === 0 && str(ctx, "input-data") === undefined) throw new SimError(500, "command or input-data (or both) required");
  const s = extras(ctx.cluster);
  const run = runInGuest(g, argv);
  const pid = s.nextPid++;
  let runs = s.exec.get(g.vmid);
  if (!runs) s.exec.set(g.vmid, (runs = new Map()));
  runs.set(pid, { ...run, startedMs: Date.now() });
  return { pid };
};

const agentExecStatus: Handler = (ctx) => {
  const g = agentGuest(ctx);
  const pid = num(ctx, "pid") as number;
  const runs = extras(ctx.cluster).exec.get(g.vmid);
  const run = runs?.get(pid);
  if (!run) throw new SimError(500, `Agent error: Invalid parameter 'pid'`);
  if (Date.now() - run.startedMs < run.runsMs) return { exited: 0 };
  // qemu-ga forgets a process once it has reported its exit.
  runs?.delete(pid);
  return { exited: 1, exitcode: run.exitcode, ...(run.out ? { "out-data": run.out } : {}), ...(run.err ? { "err-data": run.err } : {}) };
};

export const EXTRA_HANDLERS: Record<string, Handler> = {
  "GET /cluster/firewall/rules": (ctx) => listed(extras(ctx.cluster).clusterRules),
  "POST /cluster/firewall/rules": (ctx) => insert(extras(ctx.cluster).clusterRules, ctx),
  "GET /cluster/firewall/rules/{pos}": (ctx) => {
    const rules = extras(ctx.cluster).clusterRules;
    return listed(rules)[at(rules, ctx)];
  },
  "DELETE /cluster/firewall/rules/{pos}": (ctx) => {
    const rules = extras(ctx.cluster).clusterRules;
    rules.splice(at(rules, ctx), 1);
    return null;
  },
  "GET /pools": (ctx) =>
    [...extras(ctx.cluster).pools].map(([poolid, p]) => ({ poolid, ...(p.comment ? { comment: p.comment } : {}) })),
  "POST /pools": (ctx) => {
    const pools = extras(ctx.cluster).pools;
    const id = str(ctx, "poolid") as string;
    if (pools.has(id)) throw new SimError(500, `create pool failed: pool '${id}' already exists`);
    pools.set(id, { comment: str(ctx, "comment"), vmids: [] });
    return null;
  },
  "DELETE /pools/{poolid}": (ctx) => {
    const pools = extras(ctx.cluster).pools;
    const id = str(ctx, "poolid") as string;
    const pool = pools.get(id);
    if (!pool) throw new SimError(500, `delete pool failed: pool '${id}' does not exist`);
    if (pool.vmids.length) throw new SimError(500, `delete pool failed: pool '${id}' is not empty`);
    pools.delete(id);
    return null;
  },
  "POST /nodes/{node}/qemu/{vmid}/agent/exec": agentExec,
  "GET /nodes/{node}/qemu/{vmid}/agent/exec-status": agentExecStatus,
};
for (const type of ["qemu", "lxc"] as const) {
  const base = `/nodes/{node}/${type}/{vmid}/firewall/rules`;
  EXTRA_HANDLERS[`GET ${base}`] = (ctx) => listed(guestRules(ctx, type));
  EXTRA_HANDLERS[`POST ${base}`] = (ctx) => insert(guestRules(ctx, type), ctx);
  EXTRA_HANDLERS[`GET ${base}/{pos}`] = (ctx) => {
    const rules = guestRules(ctx, type);
    return listed(rules)[at(rules, ctx)];
  };
  EXTRA_HANDLERS[`DELETE ${base}/{pos}`] = (ctx) => {
    const rules = guestRules(ctx, type);
    rules.splice(at(rules, ctx), 1);
    return null;
  };
}
