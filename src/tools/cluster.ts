// proxmox_status: the first question an admin asks — is the cluster healthy?
import * as v from "valibot";
import { pveText } from "../format/text.ts";
import { bytes, duration, percent, round, table } from "../format/units.ts";
import type { PveClient } from "../pve/client.ts";
import { PveError } from "../pve/errors.ts";
import { listResources } from "../pve/resources.ts";
import { defineTool, READ_HINTS } from "./types.ts";

interface ClusterStatusEntry {
  type: "cluster" | "node";
  name: string;
  quorate?: number;
  nodes?: number;
  version?: number;
  online?: number;
  ip?: string;
  local?: number;
}

const NodeRow = v.object({
  name: v.string(),
  online: v.boolean(),
  ip: v.nullable(v.string()),
  cpu: v.number(),
  cpus: v.number(),
  mem_bytes: v.number(),
  maxmem_bytes: v.number(),
  uptime_s: v.number(),
});

const ClusterSummary = {
  cluster: v.pipe(v.nullable(v.object({ name: v.string(), quorate: v.boolean(), nodes: v.number() })), v.description("null: a standalone node, or (see unavailable) not readable with this token.")),
  version: v.object({ version: v.string(), release: v.string() }),
  nodes: v.array(NodeRow),
  guests: v.pipe(v.object({ total: v.number(), by_state: v.record(v.string(), v.number()) }), v.description("VMs and containers (templates left out), counted by state: running, stopped, paused…")),
};

type Summary = {
  cluster: { name: string; quorate: boolean; nodes: number } | null;
  version: { version: string; release: string };
  nodes: v.InferOutput<typeof NodeRow>[];
  guests: { total: number; by_state: Record<string, number> };
  /** What this token could not read (the rest is still reported). */
  unavailable: string[];
};

async function summarise(pve: PveClient, signal: AbortSignal): Promise<Summary> {
  const opts = { signal };
  const unavailable: string[] = [];
  const [statusEntries, nodeResources, guestResources, version] = await Promise.all([
    // Needs Sys.Audit on /: a token scoped to a pool or some nodes gets a 403 here. Answer
    // with what it can see instead of failing the whole question.
    pve.get<ClusterStatusEntry[] | null>(["cluster", "status"], {}, opts).catch((error: unknown) => {
      if (error instanceof PveError && error.code === "pve_permission") {
        unavailable.push("cluster status and quorum (needs Sys.Audit on /)");
        return undefined;
      }
      throw error;
    }),
    listResources(pve, "node", signal),
    listResources(pve, "vm", signal),
    pve.get<{ version?: string; release?: string } | null>(["version"], {}, opts),
  ]);
  const entries = statusEntries ?? [];
  const known = statusEntries !== undefined;
  const clusterEntry = entries.find((e) => e.type === "cluster");
  const byName = new Map(entries.filter((e) => e.type === "node").map((e) => [e.name, e]));
  const nodes = nodeResources
    .filter((r) => r.type === "node" && r.node)
    .map((r) => {
      const entry = byName.get(r.node as string);
      const online = entry ? entry.online === 1 : r.status === "online";
      return {
        name: r.node as string,
        online,
        ip: entry?.ip ?? null,
        cpu: online ? round(r.cpu ?? 0) : 0,
        cpus: r.maxcpu ?? 0,
        mem_bytes: online ? (r.mem ?? 0) : 0,
        maxmem_bytes: r.maxmem ?? 0,
        uptime_s: online ? (r.uptime ?? 0) : 0,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const cluster = clusterEntry ? { name: clusterEntry.name, quorate: clusterEntry.quorate === 1, nodes: clusterEntry.nodes ?? nodes.length } : null;
  const by_state: Record<string, number> = {};
  let total = 0;
  for (const g of guestResources) {
    if ((g.type !== "qemu" && g.type !== "lxc") || g.template === 1 || g.template === true) continue;
    const state = pveText(g.status ?? "unknown", 20);
    by_state[state] = (by_state[state] ?? 0) + 1;
    total++;
  }
  return { cluster, version: { version: version?.version ?? "unknown", release: version?.release ?? "unknown" }, nodes, guests: { total, by_state }, unavailable, ...(known ? {} : { clusterUnknown: true }) };
}

function render(s: Summary, label = ""): string {
  const offline = s.nodes.filter((n) => !n.online).map((n) => pveText(n.name, 63));
  const online = `${s.nodes.length - offline.length}/${s.nodes.length} nodes online${offline.length ? ` (offline: ${offline.join(", ")})` : ""}`;
  const unknown = (s as { clusterUnknown?: boolean }).clusterUnknown === true;
  const head = s.cluster
    ? `${label}Cluster "${pveText(s.cluster.name, 63)}": ${s.cluster.quorate ? "quorate" : "NOT QUORATE"}, ${online}.`
    : unknown
      ? `${label}Cluster membership and quorum unknown to this token; ${online}.`
      : `${label}Standalone node (no cluster), ${online}.`;
  return [
    head,
    `Proxmox VE ${pveText(s.version.version, 40)}.`,
    `Guests: ${s.guests.total ? Object.entries(s.guests.by_state).sort(([a], [b]) => a.localeCompare(b)).map(([state, n]) => `${n} ${state}`).join(", ") : "none"}.`,
    s.unavailable.length ? `Not readable with this token: ${s.unavailable.join("; ")}.` : "",
    table(
      ["node", "state", "cpu", "memory", "uptime"],
      s.nodes.map((n) => [n.name, n.online ? "online" : "OFFLINE", n.online ? `${percent(n.cpu)} of ${n.cpus}` : "-", n.online ? `${bytes(n.mem_bytes)}/${bytes(n.maxmem_bytes)}` : "-", duration(n.uptime_s)]),
    ),
  ]
    .filter(Boolean)
    .join("\n");
}

export const status = defineTool({
  name: "proxmox_status",
  title: "Cluster status",
  description: "Cluster health: name, quorum, PVE version, and every node's state, CPU, memory, uptime. Start here. With several clusters and no instance, it summarises all.",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  spansInstances: true,
  input: v.strictObject({}),
  output: v.object({
    instance: v.string(),
    ...ClusterSummary,
    unavailable: v.pipe(v.array(v.string()), v.description("What this token could not read; the rest of the answer stands.")),
    other_instances: v.optional(
      v.array(v.object({ instance: v.string(), reachable: v.boolean(), error: v.nullable(v.string()), cluster: ClusterSummary.cluster, version: v.nullable(ClusterSummary.version), nodes: ClusterSummary.nodes })),
    ),
  }),
  async handler(_args, ctx) {
    const others = ctx.otherInstances;
    // One unreachable cluster is reported, not fatal, when several are summarised.
    const [main, ...rest] = await Promise.allSettled([summarise(ctx.pve, ctx.signal), ...others.map((o) => summarise(o.pve, ctx.signal))]);
    if (main?.status === "rejected") {
      if (others.length === 0) throw main.reason;
    }
    const label = (name: string) => (others.length ? `[${name}] ` : "");
    const mainSummary: Summary = main?.status === "fulfilled" ? main.value : { cluster: null, version: { version: "unknown", release: "unknown" }, nodes: [], guests: { total: 0, by_state: {} }, unavailable: [] };
    const texts = [main?.status === "fulfilled" ? render(mainSummary, label(ctx.instance)) : `${label(ctx.instance)}UNREACHABLE: ${describe(main?.reason)}`];
    const otherRows = rest.map((result, i) => {
      const name = others[i]?.name ?? "?";
      if (result.status === "fulfilled") {
        texts.push(render(result.value, label(name)));
        return { instance: name, reachable: true, error: null, cluster: result.value.cluster, version: result.value.version, nodes: result.value.nodes };
      }
      texts.push(`${label(name)}UNREACHABLE: ${describe(result.reason)}`);
      return { instance: name, reachable: false, error: describe(result.reason), cluster: null, version: null, nodes: [] };
    });
    return {
      text: texts.join("\n\n"),
      data: { instance: ctx.instance, cluster: mainSummary.cluster, version: mainSummary.version, nodes: mainSummary.nodes, guests: mainSummary.guests, unavailable: mainSummary.unavailable, ...(others.length ? { other_instances: otherRows } : {}) },
    };
  },
});

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
