// `proxmox-mcp tour` (`bun run tour`): a person's first minute with the server. It runs real
// tool calls (the same path an agent's calls take) against the simulated cluster, prints the
// answers as aligned tables, and shows a gate refusing a write. Not to be confused with
// `--demo`, which serves the same simulated cluster to an MCP client and prints nothing.
import type { AuditRecord } from "./security/audit.ts";
import type { ToolRegistry } from "./tools/registry.ts";

const STEPS: { say: string; tool: string; args: Record<string, unknown> }[] = [
  { say: "Is the cluster healthy?", tool: "proxmox_status", args: {} },
  { say: "What is eating memory?", tool: "proxmox_list_vms", args: { sort: "mem", limit: 5 } },
  { say: "Which containers run?", tool: "proxmox_list_containers", args: { status: "running" } },
  { say: "When was the last backup?", tool: "proxmox_list_backups", args: { limit: 5 } },
  { say: "What failed lately?", tool: "proxmox_recent_tasks", args: { errors_only: true, limit: 5 } },
];

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoDemoDemoDemoDemoDemoDemoDemoDemoDemo1 you@laptop";

// Day 2 on the same cluster: fetch, provision a reachable VM, snapshot it, grow it, change it.
const DAY2: { say: string; tool: string; args: Record<string, unknown>; refused?: boolean }[] = [
  { say: "Which container templates can be downloaded?", tool: "proxmox_list_templates", args: { catalogue: true } },
  { say: "Fetch one onto local", tool: "proxmox_download_to_storage", args: { node: "pve1", storage: "local", template: "debian-13-standard_13.1-2_amd64.tar.zst", confirm: true } },
  { say: "The node is never sent into your own network (SSRF):", tool: "proxmox_download_to_storage", args: { node: "pve1", storage: "local", url: "https://169.254.169.254/latest/meta-data/disk.iso", content: "iso", confirm: true }, refused: true },
  {
    say: "A VM from the cloud image on local, reachable: cloud-init key, started, its IP from the guest agent",
    tool: "proxmox_create_vm",
    args: { node: "pve1", vmid: 120, name: "web-03", import_from: "local:import/debian-13-genericcloud-amd64.qcow2", ciuser: "debian", sshkeys: KEY, start: true, wait_for_ip: true, wait_timeout_s: 30, confirm: true },
  },
  { say: "Snapshot it before changing anything", tool: "proxmox_snapshot_resource", args: { vmid: 120, name: "fresh", confirm: true } },
  { say: "Preview growing its disk (dry_run: the plan, nothing sent)", tool: "proxmox_resize_disk", args: { vmid: 120, disk: "scsi0", size: "+10G", dry_run: true } },
  { say: "Grow its disk by 10 GiB", tool: "proxmox_resize_disk", args: { vmid: 120, disk: "scsi0", size: "+10G", confirm: true } },
  { say: "More memory: what applies now, what waits for a restart", tool: "proxmox_update_config", args: { vmid: 120, memory: 4096, tags: ["web", "demo"], confirm: true } },
];

const COLUMN_MAX = 64;

/** Tab-separated rows in a tool's text become columns padded to a common width. */
export function alignTables(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let block: string[][] = [];
  const flush = () => {
    if (block.length === 0) return;
    const widths: number[] = [];
    for (const row of block) row.forEach((cell, i) => (widths[i] = Math.min(COLUMN_MAX, Math.max(widths[i] ?? 0, [...cell].length))));
    for (const row of block) {
      out.push(
        row
          .map((cell, i) => {
            const chars = [...cell];
            const shown = i < row.length - 1 && chars.length > COLUMN_MAX ? `${chars.slice(0, COLUMN_MAX - 1).join("")}…` : cell;
            return i === row.length - 1 ? shown : shown.padEnd(widths[i] ?? 0);
          })
          .join("  ")
          .trimEnd(),
      );
    }
    block = [];
  };
  for (const line of lines) {
    if (line.includes("\t")) block.push(line.split("\t"));
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out.join("\n");
}

export async function runTour(registry: ToolRegistry, out: (text: string) => void, audit: AuditRecord[] = [], scenario?: { name: string; about: string; steps?: typeof STEPS }): Promise<number> {
  out(`proxmox-mcp tour — a simulated cluster: ${scenario?.about ?? "a 3-node homelab with one node offline"}; nothing here touches a real Proxmox.\n`);
  /** Runs and prints one step; undefined when this server does not list its tool. */
  const show = async (step: { say: string; tool: string; args: Record<string, unknown> }) => {
    if (!registry.tools.some((t) => t.name === step.tool)) return undefined;
    out(`▶ ${step.say}   ${step.tool} ${JSON.stringify(step.args)}`);
    const outcome = await registry.call(step.tool, step.args);
    out(`${alignTables(outcome.text)}\n`);
    return outcome;
  };
  for (const step of [...STEPS, ...(scenario?.steps ?? [])]) {
    if ((await show(step))?.isError) return 1;
  }
  for (const step of DAY2) {
    const outcome = await show(step);
    if (!outcome) continue;
    // A scenario cluster (standalone, a read-only token) may not hold what the day-2 walk
    // needs: its honest answer was shown; the walk stops there, the tour goes on.
    if (outcome.isError !== (step.refused === true)) {
      out("(The day-2 walk stops here: this simulated cluster is not set up for it.)\n");
      break;
    }
  }
  if (registry.tools.some((t) => t.name === "proxmox_start_resource")) {
    out(`▶ A write without consent is refused before any request:   proxmox_start_resource {"vmid": 100}`);
    const before = audit.length;
    out(`${(await registry.call("proxmox_start_resource", { vmid: 100 })).text}\n`);
    const records = audit.slice(before);
    if (records.length > 0) {
      out("The audit log records every write attempt (PROXMOX_AUDIT_LOG, or stderr):");
      out(`${alignTables(["tool\tdecision\treason\toutcome", ...records.map((r) => `${r.tool}\t${r.decision}\t${r.reason ?? "-"}\t${r.outcome}`)].join("\n"))}\n`);
    }
  }
  if (!scenario || scenario.name === "homelab") out("Real-world situations: proxmox-mcp tour --demo-scenario standalone (or readonly-token, privsep-token, pool-token, troubled, pve8).\n");
  out("Next: point an MCP client at `proxmox-mcp --demo` to drive this simulated cluster from an agent (it serves MCP on stdio and prints nothing itself; see README: Agent set-up), or set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET for your cluster and run `proxmox-mcp doctor`.");
  return 0;
}
