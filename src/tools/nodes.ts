// proxmox_node_status: one node in detail — load, memory, disks, services, subscription, updates.
import * as v from "valibot";
import { pveText } from "../format/text.ts";
import { bytes, duration, percent, round, table } from "../format/units.ts";
import * as f from "../pve/formats.ts";
import { defineTool, READ_HINTS } from "./types.ts";

interface NodeStatus {
  cpu?: number;
  cpuinfo?: { cpus?: number; model?: string; sockets?: number };
  loadavg?: string[];
  memory?: { used?: number; total?: number; free?: number };
  swap?: { used?: number; total?: number };
  rootfs?: { used?: number; total?: number };
  uptime?: number;
  pveversion?: string;
  kversion?: string;
  "current-kernel"?: { release?: string };
}

interface Service {
  name?: string;
  service?: string;
  state?: string;
  "active-state"?: string;
}

// Services whose failure an admin wants to hear about first.
const KEY_SERVICES = new Set(["pveproxy", "pvedaemon", "pvestatd", "pve-cluster", "corosync", "pve-ha-lrm", "pve-ha-crm", "pvescheduler", "pve-firewall"]);
// Units that only run in a cluster: on a standalone node corosync has no corosync.conf and
// systemd skips it (ConditionPathExists), so "inactive" there is the healthy state.
const CLUSTER_ONLY = new Set(["corosync"]);
/** Root filesystem use at which the answer warns (PVE itself misbehaves on a full root). */
const ROOT_FULL = 0.9;

export const nodeStatus = defineTool({
  name: "proxmox_node_status",
  title: "Node details",
  description: "One node in detail: CPU, load, memory, swap, root disk, uptime, kernel and PVE version, disks with SMART health, key services, subscription, pending updates.",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({ node: f.node }),
  output: v.object({
    node: v.string(),
    cpu: v.number(),
    cpus: v.number(),
    cpu_model: v.string(),
    loadavg: v.array(v.number()),
    mem_bytes: v.number(),
    maxmem_bytes: v.number(),
    swap_bytes: v.number(),
    maxswap_bytes: v.number(),
    rootfs_bytes: v.number(),
    maxrootfs_bytes: v.number(),
    uptime_s: v.number(),
    pve_version: v.string(),
    kernel: v.string(),
    disks: v.nullable(v.array(v.object({ device: v.string(), model: v.string(), size_bytes: v.number(), health: v.string(), used: v.string() }))),
    services: v.nullable(v.array(v.object({ name: v.string(), state: v.string(), expected: v.pipe(v.boolean(), v.description("The state is what this node should have (e.g. corosync inactive on a standalone node).")) }))),
    standalone: v.pipe(v.nullable(v.boolean()), v.description("The node is in no cluster (null: unknown, /cluster/status not readable).")),
    rootfs_full: v.pipe(v.boolean(), v.description("Root filesystem at 90 % or more.")),
    subscription: v.nullable(v.object({ status: v.string(), level: v.nullable(v.string()) })),
    pending_updates: v.nullable(v.number()),
    unavailable: v.pipe(v.array(v.string()), v.description("Parts that could not be read (missing privilege or endpoint).")),
  }),
  async handler(args, ctx) {
    const opts = { signal: ctx.signal };
    const base = ["nodes", args.node] as const;
    const status = await ctx.pve.getObject<NodeStatus>([...base, "status"], {}, opts);
    // The extras are best effort: a token without Sys.Modify cannot see updates, for example.
    const unavailable: string[] = [];
    const optional = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
      try {
        return await fn();
      } catch {
        unavailable.push(name);
        return null;
      }
    };
    const [disks, services, subscription, updates, clusterStatus] = await Promise.all([
      optional("disks", () => ctx.pve.get<{ devpath: string; model?: string; size?: number; health?: string; used?: string }[]>([...base, "disks", "list"], {}, opts)),
      optional("services", () => ctx.pve.get<Service[]>([...base, "services"], {}, opts)),
      optional("subscription", () => ctx.pve.get<{ status?: string; level?: string }>([...base, "subscription"], {}, opts)),
      optional("updates", () => ctx.pve.get<unknown[]>([...base, "apt", "update"], {}, opts)),
      ctx.pve.get<{ type: string }[] | null>(["cluster", "status"], {}, opts).catch(() => null),
    ]);
    // pve-manager Cluster.pm: without a cluster, /cluster/status holds only the node's own entry.
    const standalone = clusterStatus ? !clusterStatus.some((e) => e.type === "cluster") : null;
    const rootUsed = status.rootfs?.used ?? 0;
    const rootTotal = status.rootfs?.total ?? 0;
    const rootFull = rootTotal > 0 && rootUsed / rootTotal >= ROOT_FULL;
    const data = {
      node: args.node,
      cpu: round(status.cpu ?? 0),
      cpus: status.cpuinfo?.cpus ?? 0,
      cpu_model: status.cpuinfo?.model ?? "",
      loadavg: (status.loadavg ?? []).map(Number).filter(Number.isFinite),
      mem_bytes: status.memory?.used ?? 0,
      maxmem_bytes: status.memory?.total ?? 0,
      swap_bytes: status.swap?.used ?? 0,
      maxswap_bytes: status.swap?.total ?? 0,
      rootfs_bytes: status.rootfs?.used ?? 0,
      maxrootfs_bytes: status.rootfs?.total ?? 0,
      uptime_s: status.uptime ?? 0,
      pve_version: status.pveversion ?? "",
      kernel: status["current-kernel"]?.release ?? status.kversion ?? "",
      disks: disks ? disks.map((d) => ({ device: d.devpath, model: d.model ?? "", size_bytes: d.size ?? 0, health: d.health ?? "UNKNOWN", used: d.used ?? "" })) : null,
      services: services
        ? services
            .map((s) => ({ name: s.service ?? s.name ?? "", state: s["active-state"] ?? s.state ?? "unknown" }))
            .filter((s) => KEY_SERVICES.has(s.name))
            .map((s) => ({ ...s, expected: s.state === "active" || (CLUSTER_ONLY.has(s.name) && standalone === true) }))
        : null,
      standalone,
      rootfs_full: rootFull,
      subscription: subscription ? { status: subscription.status ?? "unknown", level: subscription.level ?? null } : null,
      pending_updates: updates ? updates.length : null,
      unavailable,
    };
    const down = data.services?.filter((s) => !s.expected) ?? [];
    const idle = data.services?.filter((s) => s.expected && s.state !== "active") ?? [];
    const failing = data.disks?.filter((d) => !["PASSED", "OK", "UNKNOWN"].includes(d.health.toUpperCase())) ?? [];
    const text = [
      `Node ${args.node}: CPU ${percent(data.cpu)} of ${data.cpus}${data.loadavg.length ? `, load ${data.loadavg.join(" ")}` : ""}, memory ${bytes(data.mem_bytes)}/${bytes(data.maxmem_bytes)}, root ${bytes(data.rootfs_bytes)}/${bytes(data.maxrootfs_bytes)}, swap ${bytes(data.swap_bytes)}/${bytes(data.maxswap_bytes)}, up ${duration(data.uptime_s)}.`,
      `${pveText(data.pve_version, 100) || "PVE version unknown"}; kernel ${pveText(data.kernel, 100) || "unknown"}.`,
      rootFull ? `Root filesystem ${percent(rootUsed / rootTotal)} full (${bytes(rootUsed)} of ${bytes(rootTotal)}): PVE fails in odd ways on a full root disk — clean up logs, old kernels or ISOs under /var/lib/vz.` : "",
      data.services
        ? down.length
          ? `Services NOT active: ${down.map((s) => `${pveText(s.name, 64)} (${pveText(s.state, 40)}${CLUSTER_ONLY.has(s.name) && standalone === null ? "; normal if this node is in no cluster" : ""})`).join(", ")}.`
          : `Key services as expected (${data.services.length})${idle.length ? `; ${idle.map((s) => pveText(s.name, 64)).join(", ")} inactive as it should be on a standalone node` : ""}.`
        : "",
      data.disks ? (failing.length ? `Disks with SMART problems: ${failing.map((d) => `${pveText(d.device, 100)} ${pveText(d.health, 40)}`).join(", ")}.` : `${data.disks.length} disks, SMART OK.`) : "",
      data.disks?.length ? table(["device", "model", "size", "health", "used"], data.disks.map((d) => [d.device, d.model, bytes(d.size_bytes), d.health, d.used])) : "",
      data.subscription ? `Subscription: ${pveText(data.subscription.status, 40)}${data.subscription.level ? ` (${pveText(data.subscription.level, 40)})` : ""}.` : "",
      data.pending_updates !== null ? `${data.pending_updates} package updates pending.` : "",
      unavailable.length ? `Not readable with this token: ${unavailable.join(", ")}.` : "",
    ]
      .filter(Boolean)
      .join("\n");
    return { text, data, links: [{ path: `nodes/${args.node}`, name: `node ${args.node}` }] };
  },
});
