// Read tools about guests: the two inventory lists, one guest in detail, templates.
import * as v from "valibot";
import { clipText, pveText } from "../format/text.ts";
import { bytes, duration, moreLine, percent, round, table } from "../format/units.ts";
import { NotFoundError } from "../errors.ts";
import * as f from "../pve/formats.ts";
import { type Guest, listGuests, listResources, splitTags, whyNoGuestVisible, withGuest } from "../pve/resources.ts";
import { mapBounded, readableStorages } from "../pve/storage.ts";
import { listEnvelope } from "./schemas.ts";
import { defineTool, READ_HINTS } from "./types.ts";

const SORT_KEYS = ["vmid", "name", "cpu", "mem", "uptime"] as const;

const GuestRow = v.object({
  vmid: v.number(),
  name: v.string(),
  node: v.string(),
  status: v.string(),
  template: v.boolean(),
  cpu: v.pipe(v.number(), v.description("CPU load as a fraction of cpus (0–1).")),
  cpus: v.number(),
  mem_bytes: v.number(),
  maxmem_bytes: v.number(),
  disk_bytes: v.pipe(v.nullable(v.number()), v.description("Disk in use; null for a VM: PVE cannot see inside a VM's disks (it reports 0).")),
  maxdisk_bytes: v.number(),
  uptime_s: v.number(),
  tags: v.array(v.string()),
});
type GuestRow = v.InferOutput<typeof GuestRow>;

export const ListOutput = listEnvelope(GuestRow);

// PVE's guest states: stopped/running, and for a running VM whatever QMP says when it is not
// plainly running (pvestatd reports qmpstatus in /cluster/resources); unknown when its node is down.
const STATES = ["running", "stopped", "paused", "io-error", "suspended", "prelaunch", "postmigrate", "inmigrate", "internal-error", "unknown"] as const;

const listInput = v.strictObject({
  node: v.optional(f.node),
  status: v.optional(v.pipe(v.picklist(STATES, `status must be one of ${STATES.join(", ")}`), v.description("running, stopped, paused, io-error (a VM halted on a disk error), suspended, … or unknown (node offline)."))),
  name: f.nameFilter,
  tag: v.optional(v.pipe(f.tag, v.description("Only guests with this tag."))),
  include_templates: v.optional(v.pipe(v.boolean("include_templates must be true or false"), v.description("Also list templates (default false).")), false),
  sort: v.optional(v.pipe(v.picklist(SORT_KEYS, `sort must be one of ${SORT_KEYS.join(", ")}`), v.description("vmid/name ascending; cpu/mem/uptime highest first.")), "vmid"),
  limit: f.limit(50, 500),
});

function toRow(g: Guest): GuestRow {
  const r = g.raw;
  return {
    vmid: g.vmid,
    name: g.name,
    node: g.node,
    status: g.status,
    template: g.template,
    cpu: round(r.cpu ?? 0),
    cpus: r.maxcpu ?? 0,
    mem_bytes: r.mem ?? 0,
    maxmem_bytes: r.maxmem ?? 0,
    disk_bytes: g.type === "qemu" && !r.disk ? null : (r.disk ?? 0),
    maxdisk_bytes: r.maxdisk ?? 0,
    uptime_s: r.uptime ?? 0,
    tags: g.tags,
  };
}

const SORTERS: Record<(typeof SORT_KEYS)[number], (a: GuestRow, b: GuestRow) => number> = {
  vmid: (a, b) => a.vmid - b.vmid,
  name: (a, b) => a.name.localeCompare(b.name) || a.vmid - b.vmid,
  cpu: (a, b) => b.cpu * b.cpus - a.cpu * a.cpus || a.vmid - b.vmid,
  mem: (a, b) => b.mem_bytes - a.mem_bytes || a.vmid - b.vmid,
  uptime: (a, b) => b.uptime_s - a.uptime_s || a.vmid - b.vmid,
};

function listTool(type: "qemu" | "lxc") {
  const noun = type === "qemu" ? "VMs" : "containers";
  return defineTool({
    name: type === "qemu" ? "proxmox_list_vms" : "proxmox_list_containers",
    title: type === "qemu" ? "List virtual machines" : "List LXC containers",
    description: `List ${type === "qemu" ? "QEMU VMs" : "LXC containers"} on all nodes (one query): status, CPU, memory, disk, uptime, tags. Filter by node, status, name or tag; sort by mem or cpu for the biggest.`,
    tier: 1,
    toolset: "inventory",
    inDefault: true,
    annotations: READ_HINTS,
    input: listInput,
    output: ListOutput,
    async handler(args, ctx) {
      const name = args.name?.toLowerCase();
      const rows = (await listGuests(ctx.pve, ctx.signal))
        .filter((g) => g.type === type)
        .filter((g) => args.include_templates || !g.template)
        .filter((g) => !args.node || g.node === args.node)
        .filter((g) => !args.status || g.status === args.status)
        .filter((g) => !name || g.name.toLowerCase().includes(name))
        .filter((g) => !args.tag || g.tags.includes(args.tag))
        .map(toRow)
        .sort(SORTERS[args.sort]);
      const items = rows.slice(0, args.limit);
      const more = rows.length - items.length;
      const byState = new Map<string, number>();
      for (const r of rows) byState.set(r.status, (byState.get(r.status) ?? 0) + 1);
      const states = [`${byState.get("running") ?? 0} running`, ...[...byState].filter(([s]) => s !== "running" && s !== "stopped").map(([s, n]) => `${n} ${s}`)];
      const halted = rows.filter((r) => r.status === "paused" || r.status === "io-error" || r.status === "suspended");
      // An empty inventory from a token that may audit nothing is not an empty cluster.
      const blind = rows.length === 0 ? await whyNoGuestVisible(ctx.pve, 0, ctx.signal) : undefined;
      const head = blind
        ? `No ${noun} visible to this token — ${blind.reason} ${blind.fix}`
        : `${rows.length} ${noun} (${states.join(", ")})${items.length < rows.length ? `, showing ${items.length} sorted by ${args.sort}` : ""}.${halted.length ? ` Halted but not stopped: ${halted.map((r) => `${r.vmid} (${r.status})`).join(", ")}${halted.some((r) => r.status === "io-error") ? "; io-error means a disk failed or its storage is full: free space, then resume it" : ""}.` : ""}`;
      const body = table(
        ["vmid", "name", "node", "status", "cpu", "mem", "disk", "uptime", "tags"],
        items.map((r) => [
          r.vmid,
          r.name + (r.template ? " (template)" : ""),
          r.node,
          r.status,
          r.status === "running" ? `${percent(r.cpu)} of ${r.cpus}` : "-",
          `${bytes(r.mem_bytes)}/${bytes(r.maxmem_bytes)}`,
          r.maxdisk_bytes ? `${r.disk_bytes === null ? "?" : bytes(r.disk_bytes)}/${bytes(r.maxdisk_bytes)}` : "-",
          duration(r.uptime_s),
          r.tags.join(";"),
        ]),
      );
      return {
        text: `${head}\n${items.length ? body : "(none match)"}${moreLine(more, "node, status, name or tag")}${items.some((r) => r.disk_bytes === null) ? "\nDisk '?': PVE cannot see how full a VM's disks are; proxmox_guest_info asks the guest agent." : ""}`,
        data: { total: rows.length, returned: items.length, more, items },
        links: items.slice(0, 20).map((r) => ({ path: `guests/${r.vmid}`, name: `${r.name || r.vmid} (${r.vmid})` })),
      };
    },
  });
}

export const listVms = listTool("qemu");
export const listContainers = listTool("lxc");

const CONFIG_VALUE_MAX = 300;

export const getResource = defineTool({
  name: "proxmox_get_resource",
  title: "Get one guest",
  description: "One VM or container by vmid: configuration and current status (CPU, memory, disk, network, uptime, HA, lock); node and type are found from the vmid.",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({ vmid: f.vmid, node: v.optional(f.node), type: v.optional(v.pipe(f.guestType, v.description("qemu/lxc (found if omitted)."))) }),
  output: v.object({
    vmid: v.number(),
    type: v.string(),
    node: v.string(),
    name: v.string(),
    status: v.string(),
    template: v.boolean(),
    tags: v.array(v.string()),
    current: v.object({
      status: v.string(),
      uptime_s: v.number(),
      cpu: v.number(),
      cpus: v.number(),
      mem_bytes: v.number(),
      maxmem_bytes: v.number(),
      disk_bytes: v.pipe(v.nullable(v.number()), v.description("null for a VM: PVE cannot see inside a VM's disks.")),
      maxdisk_bytes: v.number(),
      netin_bytes: v.number(),
      netout_bytes: v.number(),
      ha_state: v.nullable(v.string()),
      lock: v.nullable(v.string()),
      qmpstatus: v.nullable(v.string()),
    }),
    config: v.pipe(v.record(v.string(), v.union([v.string(), v.number()])), v.description("The guest's configuration as PVE stores it (long values clipped).")),
  }),
  async handler(args, ctx) {
    const read = (node: string, type: f.GuestType) => {
      const base = ["nodes", node, type, args.vmid] as const;
      return Promise.all([
        ctx.pve.getObject<Record<string, unknown>>([...base, "config"], {}, { signal: ctx.signal }),
        ctx.pve.getObject<Record<string, unknown>>([...base, "status", "current"], {}, { signal: ctx.signal }),
      ]);
    };
    // Node and type given: read them directly. Otherwise the remembered location (checked by
    // the read itself), or one inventory read when there is none.
    const { guest, node, type, config, current } =
      args.node && args.type
        ? { guest: undefined, node: args.node, type: args.type, ...(await read(args.node, args.type).then(([config, current]) => ({ config, current }))) }
        : await withGuest(ctx.pve, args.vmid, { node: args.node, type: args.type }, ctx.signal, async (g) => {
            const [config, current] = await read(g.node, g.type);
            return { guest: g, node: g.node, type: g.type, config, current };
          });
    const cfg = flattenConfig(config ?? {});
    const cur = current ?? {};
    const num = (k: string) => (typeof cur[k] === "number" ? (cur[k] as number) : Number(cur[k] ?? 0) || 0);
    const str = (k: string) => (typeof cur[k] === "string" ? (cur[k] as string) : null);
    const ha = cur.ha as { state?: string; managed?: number } | undefined;
    const name = String(cfg.name ?? cfg.hostname ?? cur.name ?? guest?.name ?? "");
    // A running VM that QMP calls paused, io-error, suspended… is not simply "running".
    const qmp = str("qmpstatus");
    const state = str("status") === "running" && qmp && qmp !== "running" ? qmp : (str("status") ?? guest?.status ?? "unknown");
    const data = {
      vmid: args.vmid,
      type,
      node,
      name,
      status: state,
      template: cfg.template === 1 || cfg.template === "1" || guest?.template === true,
      tags: typeof cfg.tags === "string" ? splitTags(cfg.tags) : (guest?.tags ?? []),
      current: {
        status: str("status") ?? "unknown",
        uptime_s: num("uptime"),
        cpu: round(num("cpu")),
        cpus: num("cpus"),
        mem_bytes: num("mem"),
        maxmem_bytes: num("maxmem"),
        disk_bytes: type === "qemu" && !num("disk") ? null : num("disk"),
        maxdisk_bytes: num("maxdisk"),
        netin_bytes: num("netin"),
        netout_bytes: num("netout"),
        ha_state: ha?.managed ? (ha.state ?? "managed") : null,
        lock: str("lock"),
        qmpstatus: str("qmpstatus"),
      },
      config: cfg,
    };
    const c = data.current;
    const text = [
      `${type === "qemu" ? "VM" : "Container"} ${args.vmid} "${pveText(name, 63)}" on ${pveText(node, 63)}: ${pveText(state, 40)}${state !== c.status ? ` (QEMU process ${pveText(c.status, 40)}, QMP status ${pveText(qmp, 40)})` : ""}${data.template ? " (template)" : ""}${c.lock ? `, locked (${pveText(c.lock, 40)})` : ""}${c.ha_state ? `, HA ${pveText(c.ha_state, 40)}` : ""}.`,
      state === "paused" ? "It is paused: resume it (qm resume, or the Resume button) rather than start it." : "",
      state === "io-error" ? "QEMU halted it on a disk I/O error (often a full storage): free space on its storage, then resume it." : "",
      c.status === "running"
        ? `CPU ${percent(c.cpu)} of ${c.cpus}, memory ${bytes(c.mem_bytes)}/${bytes(c.maxmem_bytes)}, uptime ${duration(c.uptime_s)}, net in/out ${bytes(c.netin_bytes)}/${bytes(c.netout_bytes)}.`
        : `Memory ${bytes(c.maxmem_bytes)} configured, disk ${bytes(c.maxdisk_bytes)}.`,
      c.status === "running" && c.disk_bytes === null ? `Disk use unknown (PVE cannot see inside a VM; proxmox_guest_info asks the guest agent); disk size ${bytes(c.maxdisk_bytes)}.` : "",
      data.tags.length ? `Tags: ${data.tags.map((t) => pveText(t, 64)).join(", ")}.` : "",
      "Config:",
      // Security: keys and values are PVE's (a description is anyone's free text): one line each.
      ...Object.entries(cfg).map(([k, val]) => `  ${pveText(k, 64)}: ${typeof val === "number" ? val : pveText(val, CONFIG_VALUE_MAX + 40)}`),
    ]
      .filter(Boolean)
      .join("\n");
    return { text, data, links: [{ path: `guests/${args.vmid}`, name: `${name || args.vmid} (${args.vmid})` }] };
  },
});

/** PVE configs are flat key → scalar; clip long values (descriptions) and drop the digest. */
function flattenConfig(config: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "digest" || value === null || value === undefined) continue;
    let scalar: string | number = typeof value === "number" ? value : typeof value === "string" ? value : JSON.stringify(value);
    if (typeof scalar === "string" && scalar.length > CONFIG_VALUE_MAX) scalar = clipText(scalar, CONFIG_VALUE_MAX);
    out[key] = scalar;
  }
  return out;
}

// The whole index is about a hundred entries: one compact table, no filter needed.
const CATALOGUE_MAX = 200;

const CatalogueRow = v.object({ template: v.string(), package: v.string(), version: v.string(), os: v.string(), section: v.string(), headline: v.string() });

interface AplEntry {
  template?: string;
  package?: string;
  version?: string;
  os?: string;
  section?: string;
  headline?: string;
}

export const listTemplates = defineTool({
  name: "proxmox_list_templates",
  title: "List templates",
  description: "Templates: LXC (vztmpl) and VM ones (to clone); catalogue: true lists downloadable appliances.",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({
    node: v.optional(f.node),
    storage: v.optional(f.storage),
    catalogue: v.optional(v.pipe(v.boolean("catalogue must be true or false"), v.description("Appliance catalogue."))),
  }),
  output: v.object({
    lxc: v.array(v.object({ volid: v.string(), storage: v.string(), node: v.string(), size_bytes: v.number() })),
    vm: v.array(v.object({ vmid: v.number(), name: v.string(), node: v.string(), type: v.string() })),
    unreachable: v.pipe(v.array(v.string()), v.description("Storages that could not be read, or were skipped because their node is offline, with the reason.")),
    catalogue: v.optional(v.object({ node: v.string(), ...listEnvelope(CatalogueRow).entries })),
  }),
  async handler(args, ctx) {
    if (args.catalogue) {
      const nodes = (await listResources(ctx.pve, "node", ctx.signal)).filter((n) => n.status === "online" && n.node);
      const node = args.node ?? nodes[0]?.node;
      if (!node) throw new NotFoundError("No node is online to read the appliance catalogue from.", "Check the nodes with proxmox_status.");
      const list = (await ctx.pve.get<AplEntry[] | null>(["nodes", node, "aplinfo"], {}, { signal: ctx.signal })) ?? [];
      const rows = list
        .filter((a) => typeof a.template === "string")
        .map((a) => ({ template: a.template as string, package: a.package ?? "", version: a.version ?? "", os: a.os ?? "", section: a.section ?? "", headline: (a.headline ?? "").slice(0, 120) }))
        .sort((a, b) => a.section.localeCompare(b.section) || a.template.localeCompare(b.template));
      const items = rows.slice(0, CATALOGUE_MAX);
      const more = rows.length - items.length;
      const text = [
        `${rows.length} appliance templates in the catalogue of ${node}; download one with proxmox_download_to_storage {"node": "${node}", "storage": "local", "template": "<template>"}.`,
        items.length ? table(["template", "section", "headline"], items.map((a) => [a.template, a.section, a.headline])) : "(none)",
      ].join("\n");
      return { text: text + moreLine(more, "the node"), data: { lxc: [], vm: [], unreachable: [], catalogue: { node, total: rows.length, returned: items.length, more, items } } };
    }
    const [storages, nodes, guests] = await Promise.all([listResources(ctx.pve, "storage", ctx.signal), listResources(ctx.pve, "node", ctx.signal), listGuests(ctx.pve, ctx.signal)]);
    const { targets, skipped } = readableStorages(storages, nodes, "vztmpl", args);
    const unreachable: string[] = skipped.map((s) => `${s.storage}@${s.node} (skipped: ${s.reason})`);
    const lxc = (
      await mapBounded(targets, 4, async (s) => {
        try {
          const content = await ctx.pve.get<{ volid: string; size?: number }[]>(["nodes", s.node, "storage", s.storage, "content"], { content: "vztmpl" }, { signal: ctx.signal });
          return (content ?? []).map((c) => ({ volid: c.volid, storage: s.storage, node: s.node, size_bytes: c.size ?? 0 }));
        } catch {
          unreachable.push(`${s.storage}@${s.node}`);
          return [];
        }
      })
    ).flat();
    const vm = guests
      .filter((g) => g.template && (!args.node || g.node === args.node))
      .map((g) => ({ vmid: g.vmid, name: g.name, node: g.node, type: g.type }))
      .sort((a, b) => a.vmid - b.vmid);
    const text = [
      `${lxc.length} LXC templates, ${vm.length} guest templates.`,
      lxc.length ? table(["volid", "node", "size"], lxc.map((t) => [t.volid, t.node, bytes(t.size_bytes)])) : "",
      vm.length ? table(["vmid", "name", "node", "type"], vm.map((t) => [t.vmid, t.name, t.node, t.type])) : "",
      unreachable.length ? `Not read: ${unreachable.join(", ")}.` : "",
    ]
      .filter(Boolean)
      .join("\n");
    return { text, data: { lxc, vm, unreachable } };
  },
});
