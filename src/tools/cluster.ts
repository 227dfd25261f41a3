// proxmox_status: the first question an admin asks — is the cluster healthy?
import * as v from "valibot";
import { bytes, duration, percent, round, table } from "../format/units.ts";
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

export const status = defineTool({
  name: "proxmox_status",
  title: "Cluster status",
  description: "Cluster health at a glance: cluster name, quorum, PVE version, and every node with online state, CPU, memory and uptime. Start here.",
  tier: 1,
  annotations: READ_HINTS,
  input: v.strictObject({}),
  output: v.object({
    cluster: v.nullable(v.object({ name: v.string(), quorate: v.boolean(), nodes: v.number() })),
    version: v.object({ version: v.string(), release: v.string() }),
    nodes: v.array(
      v.object({
        name: v.string(),
        online: v.boolean(),
        ip: v.nullable(v.string()),
        cpu: v.number(),
        cpus: v.number(),
        mem_bytes: v.number(),
        maxmem_bytes: v.number(),
        uptime_s: v.number(),
      }),
    ),
  }),
  async handler(_args, ctx) {
    const opts = { signal: ctx.signal };
    const [statusEntries, nodeResources, version] = await Promise.all([
      ctx.pve.get<ClusterStatusEntry[] | null>(["cluster", "status"], {}, opts),
      listResources(ctx.pve, "node", ctx.signal),
      ctx.pve.get<{ version?: string; release?: string } | null>(["version"], {}, opts),
    ]);
    const entries = statusEntries ?? [];
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
    const offline = nodes.filter((n) => !n.online).map((n) => n.name);
    const head = cluster
      ? `Cluster "${cluster.name}": ${cluster.quorate ? "quorate" : "NOT QUORATE"}, ${nodes.length - offline.length}/${nodes.length} nodes online${offline.length ? ` (offline: ${offline.join(", ")})` : ""}.`
      : `Standalone node (no cluster), ${nodes.length - offline.length}/${nodes.length} online.`;
    const data = { cluster, version: { version: version?.version ?? "unknown", release: version?.release ?? "unknown" }, nodes };
    const text = [
      head,
      `Proxmox VE ${data.version.version}.`,
      table(
        ["node", "state", "cpu", "memory", "uptime"],
        nodes.map((n) => [n.name, n.online ? "online" : "OFFLINE", n.online ? `${percent(n.cpu)} of ${n.cpus}` : "-", n.online ? `${bytes(n.mem_bytes)}/${bytes(n.maxmem_bytes)}` : "-", duration(n.uptime_s)]),
      ),
    ].join("\n");
    return { text, data };
  },
});
