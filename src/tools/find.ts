// proxmox_find: where is that guest? One call across every configured cluster, by name,
// tag, vmid, IP or MAC. Names, tags and vmids come from one inventory request per cluster;
// IPs and MACs need a request per guest, so those fan out a few at a time, up to a cap,
// and every guest that could not be asked is named rather than silently skipped.
import * as v from "valibot";
import { InputError } from "../errors.ts";
import { pveText } from "../format/text.ts";
import { moreLine, table } from "../format/units.ts";
import type { PveClient } from "../pve/client.ts";
import { listGuests, type Guest } from "../pve/resources.ts";
import { mapBounded } from "../pve/storage.ts";
import { defineTool, READ_HINTS } from "./types.ts";

const BY = ["auto", "name", "tag", "vmid", "ip", "mac"] as const;
type By = (typeof BY)[number];
type Matched = Exclude<By, "auto">;

/** Requests in flight per cluster while asking guests for addresses. */
const FAN_OUT = 4;
/** Guests asked per cluster for an IP or MAC search; the rest are reported as not asked. */
const MAX_ASKED = 200;
const MAX_UNASKED_LISTED = 20;

const MAC_RE = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;
const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6_RE = /^[0-9a-f:]+$/i;

const Hit = v.object({
  instance: v.string(),
  vmid: v.number(),
  type: v.string(),
  node: v.string(),
  name: v.string(),
  status: v.string(),
  tags: v.array(v.string()),
  matched: v.pipe(v.picklist(["name", "tag", "vmid", "ip", "mac"]), v.description("What matched the query.")),
  value: v.pipe(v.string(), v.description("The matching name, tag, vmid, address or MAC.")),
});
type HitRow = v.InferOutput<typeof Hit>;

const Unasked = v.object({ instance: v.string(), vmid: v.number(), reason: v.string() });
type UnaskedRow = v.InferOutput<typeof Unasked>;

/** What the query looks like, when `by` is auto. */
function detect(query: string): Matched[] {
  if (/^\d+$/.test(query)) return ["vmid", "name"];
  if (MAC_RE.test(query)) return ["mac"];
  if (IPV4_RE.test(query) || (query.includes(":") && IPV6_RE.test(query))) return ["ip"];
  return ["name", "tag"];
}

function normMac(mac: string): string {
  return mac.toLowerCase().replaceAll("-", ":");
}

/** An address without its prefix length: "192.168.1.20/24" → "192.168.1.20". */
function bare(address: string): string {
  return address.split("/")[0]?.toLowerCase() ?? "";
}

interface AgentIfaces {
  result?: { name?: string; "hardware-address"?: string; "ip-addresses"?: { "ip-address"?: string }[] }[];
}
interface LxcIface {
  name?: string;
  hwaddr?: string;
  inet?: string;
  inet6?: string;
  "ip-addresses"?: { "ip-address"?: string }[];
}

/** A running guest's addresses: the QEMU agent's for a VM, the host's view for a container. */
async function addressesOf(pve: PveClient, g: Guest, signal: AbortSignal): Promise<string[]> {
  const base = ["nodes", g.node, g.type, g.vmid] as const;
  if (g.type === "lxc") {
    const list = (await pve.get<LxcIface[] | null>([...base, "interfaces"], {}, { signal })) ?? [];
    return list.filter((i) => i.name !== "lo").flatMap((i) => [i.inet, i.inet6, ...(i["ip-addresses"] ?? []).map((a) => a["ip-address"])].filter((a): a is string => !!a).map(bare));
  }
  const net = await pve.get<AgentIfaces | null>([...base, "agent", "network-get-interfaces"], {}, { signal });
  return (net?.result ?? []).filter((i) => i.name !== "lo").flatMap((i) => (i["ip-addresses"] ?? []).map((a) => a["ip-address"]).filter((a): a is string => !!a).map(bare));
}

/** Every MAC in a guest's config (netN: `virtio=BC:24:…` for a VM, `hwaddr=BC:24:…` for a container). */
async function macsOf(pve: PveClient, g: Guest, signal: AbortSignal): Promise<string[]> {
  const config = (await pve.get<Record<string, unknown> | null>(["nodes", g.node, g.type, g.vmid, "config"], {}, { signal })) ?? {};
  const macs: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!/^net\d+$/.test(key) || typeof value !== "string") continue;
    for (const m of value.matchAll(/(?:^|,)(?:[a-z0-9]+=)?([0-9a-f]{2}(?::[0-9a-f]{2}){5})(?=,|$)/gi)) macs.push(normMac(m[1] as string));
  }
  return macs;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/agent/i.test(message)) return "guest agent not answering";
  return pveText(message, 80);
}

interface ClusterSearch {
  hits: HitRow[];
  unasked: UnaskedRow[];
}

async function searchCluster(instance: string, pve: PveClient, query: string, kinds: Matched[], signal: AbortSignal): Promise<ClusterSearch> {
  const guests = await listGuests(pve, signal);
  const q = query.toLowerCase();
  const hits: HitRow[] = [];
  const unasked: UnaskedRow[] = [];
  const row = (g: Guest, matched: Matched, value: string): HitRow => ({ instance, vmid: g.vmid, type: g.type, node: g.node, name: g.name, status: g.status, tags: g.tags, matched, value });
  for (const g of guests) {
    if (kinds.includes("vmid") && String(g.vmid) === q) hits.push(row(g, "vmid", String(g.vmid)));
    else if (kinds.includes("name") && g.name.toLowerCase().includes(q)) hits.push(row(g, "name", g.name));
    else if (kinds.includes("tag")) {
      const tag = g.tags.find((t) => t.toLowerCase() === q);
      if (tag) hits.push(row(g, "tag", tag));
    }
  }
  if (kinds.includes("ip") || kinds.includes("mac")) {
    const wantMac = kinds.includes("mac");
    // IPs live in the running guest; MACs are in the config, so stopped guests count too.
    const askable: Guest[] = [];
    for (const g of guests) {
      if (g.template) continue;
      if (!wantMac && g.status !== "running") continue;
      if (askable.length >= MAX_ASKED) unasked.push({ instance, vmid: g.vmid, reason: `not asked: over the ${MAX_ASKED}-guest cap per search` });
      else askable.push(g);
    }
    const target = wantMac ? normMac(q) : bare(q);
    const results = await mapBounded(askable, FAN_OUT, async (g) => {
      try {
        return { g, values: wantMac ? await macsOf(pve, g, signal) : await addressesOf(pve, g, signal) };
      } catch (error) {
        if (signal.aborted) throw error;
        return { g, error: reasonOf(error) };
      }
    });
    for (const r of results) {
      if ("error" in r) unasked.push({ instance, vmid: r.g.vmid, reason: r.error as string });
      else if (r.values.includes(target)) hits.push(row(r.g, wantMac ? "mac" : "ip", target));
    }
  }
  return { hits, unasked };
}

export const findGuestTool = defineTool({
  name: "proxmox_find",
  title: "Find a guest",
  description:
    "Find guests in every configured cluster by name part, tag, vmid, IP or MAC; each hit names its cluster, node and status. IP/MAC searches ask each guest (agent, interfaces, config) and list those that could not be asked.",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  spansInstances: true,
  input: v.strictObject({
    query: v.pipe(v.string("query must be a string"), v.trim(), v.minLength(1, "query must not be empty"), v.maxLength(128, "query is at most 128 characters"), v.description("A name part, tag, vmid, IP address or MAC.")),
    by: v.optional(v.pipe(v.picklist(BY, `by must be one of ${BY.join(", ")}`), v.description("What query is (default auto: digits → vmid or name, MAC → mac, address → ip, else name or tag).")), "auto"),
    limit: v.optional(v.pipe(v.number("limit must be a number"), v.integer("limit must be a whole number"), v.minValue(1, "limit must be at least 1"), v.maxValue(200, "limit must be at most 200"), v.description("Most hits to return (default 20).")), 20),
  }),
  output: v.object({
    query: v.string(),
    by: v.array(v.string()),
    hits: v.array(Hit),
    total: v.number(),
    more: v.pipe(v.number(), v.description("Hits not shown (raise limit).")),
    unasked: v.pipe(v.array(Unasked), v.description("Guests that could not be asked for their addresses, and why (first 20).")),
    unasked_count: v.number(),
    failed_instances: v.array(v.object({ instance: v.string(), error: v.string() })),
  }),
  async handler(args, ctx) {
    const query = args.query;
    if (args.by === "ip" && !(IPV4_RE.test(query) || IPV6_RE.test(query))) throw new InputError(`query '${pveText(query, 60)}' is not an IP address; by "ip" takes e.g. 192.168.1.20 or fe80::1.`);
    if (args.by === "mac" && !MAC_RE.test(query)) throw new InputError(`query '${pveText(query, 60)}' is not a MAC; by "mac" takes e.g. BC:24:11:12:34:56.`);
    if (args.by === "vmid" && !/^\d+$/.test(query)) throw new InputError(`query '${pveText(query, 60)}' is not a vmid; by "vmid" takes a number such as 101.`);
    const kinds: Matched[] = args.by === "auto" ? detect(query) : [args.by];
    const clusters = [{ name: ctx.instance, pve: ctx.pve }, ...ctx.otherInstances.map((o) => ({ name: o.name, pve: o.pve }))];
    const settled = await Promise.allSettled(clusters.map((c) => searchCluster(c.name, c.pve, query, kinds, ctx.signal)));
    const hits: HitRow[] = [];
    const unasked: UnaskedRow[] = [];
    const failed: { instance: string; error: string }[] = [];
    settled.forEach((result, i) => {
      const name = clusters[i]?.name ?? "?";
      if (result.status === "fulfilled") {
        hits.push(...result.value.hits);
        unasked.push(...result.value.unasked);
      } else {
        failed.push({ instance: name, error: pveText(result.reason instanceof Error ? result.reason.message : String(result.reason), 200) });
      }
    });
    // One cluster and it failed: that is the answer's error, not an empty result.
    if (clusters.length === 1 && failed.length === 1 && settled[0]?.status === "rejected") throw settled[0].reason;
    hits.sort((a, b) => a.instance.localeCompare(b.instance) || a.vmid - b.vmid);
    const shown = hits.slice(0, args.limit);
    const several = clusters.length > 1;
    const lines = [
      `${hits.length} guest${hits.length === 1 ? "" : "s"} match ${JSON.stringify(pveText(query, 60))} (by ${kinds.join(" or ")})${several ? ` across ${clusters.length} clusters` : ""}.`,
    ];
    if (shown.length) {
      lines.push(
        table(
          [...(several ? ["cluster"] : []), "vmid", "type", "name", "node", "status", "matched"],
          shown.map((h) => [...(several ? [h.instance] : []), h.vmid, h.type, h.name, h.node, h.status, `${h.matched} ${h.value}`]),
        ),
      );
    }
    const more = hits.length - shown.length;
    if (more > 0) lines.push(moreLine(more, "a more specific query").trimStart());
    if (unasked.length) {
      const listed = unasked.slice(0, MAX_UNASKED_LISTED).map((u) => `${several ? `${u.instance}/` : ""}${u.vmid} (${u.reason})`);
      lines.push(`Could not ask ${unasked.length} guest${unasked.length === 1 ? "" : "s"}, so they may match too: ${listed.join(", ")}${unasked.length > listed.length ? ", …" : ""}.`);
    }
    for (const f of failed) lines.push(`Cluster ${f.instance} could not be searched: ${f.error}`);
    return {
      text: lines.join("\n"),
      data: { query, by: kinds, hits: shown, total: hits.length, more, unasked: unasked.slice(0, MAX_UNASKED_LISTED), unasked_count: unasked.length, failed_instances: failed },
      links: several ? undefined : shown.slice(0, 20).map((h) => ({ path: `guests/${h.vmid}`, name: `${h.name || h.vmid} (${h.vmid})` })),
    };
  },
});
