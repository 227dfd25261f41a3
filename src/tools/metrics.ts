// proxmox_resource_usage: RRD history summarised (min/avg/max/last), never dumped.
import * as v from "valibot";
import { InputError } from "../errors.ts";
import { bytes, isoTime, percent, round } from "../format/units.ts";
import * as f from "../pve/formats.ts";
import { findGuest } from "../pve/resources.ts";
import { defineTool, READ_HINTS } from "./types.ts";

type RrdRow = Record<string, number | undefined>;

// How each metric reads: a fraction, a byte amount, a byte rate, or a plain number.
const FRACTION = new Set(["cpu", "iowait"]);
const BYTES = new Set(["mem", "maxmem", "disk", "maxdisk", "memused", "memtotal", "swapused", "swaptotal", "rootused", "roottotal", "memavailable", "arcsize"]);
const RATES = new Set(["netin", "netout", "diskread", "diskwrite"]);
// Capacities barely move; they frame the usage figures rather than being usage.
const CAPACITY = new Set(["maxcpu", "maxmem", "maxdisk", "memtotal", "swaptotal", "roottotal"]);

/** Points kept for charts; PVE's hour view has 70, longer views are thinned evenly. */
const MAX_SERIES = 80;

const Summary = v.object({ min: v.number(), avg: v.number(), max: v.number(), last: v.number() });

export const resourceUsage = defineTool({
  name: "proxmox_resource_usage",
  title: "Resource usage history",
  description: "History of a node or guest over an hour…year, per metric as min/avg/max/last: cpu (fraction), memory (bytes), net/disk I/O (bytes/s). vmid for a guest, node alone for the node.",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({
    vmid: v.optional(f.vmid),
    node: v.optional(f.node),
    timeframe: v.optional(v.pipe(v.picklist(["hour", "day", "week", "month", "year"], "timeframe must be hour, day, week, month or year"), v.description("Period to summarise (default hour).")), "hour"),
    cf: v.optional(v.pipe(v.picklist(["AVERAGE", "MAX"], "cf must be AVERAGE or MAX"), v.description("Consolidation of each point: AVERAGE (default) or MAX (peaks).")), "AVERAGE"),
  }),
  output: v.object({
    target: v.object({ kind: v.picklist(["node", "qemu", "lxc"]), node: v.string(), vmid: v.nullable(v.number()) }),
    timeframe: v.string(),
    cf: v.string(),
    points: v.number(),
    from: v.nullable(v.string()),
    to: v.nullable(v.string()),
    metrics: v.record(v.string(), Summary),
    capacity: v.record(v.string(), v.number()),
    series: v.pipe(
      v.object({ time: v.array(v.string()), cpu: v.array(v.number()), mem: v.array(v.number()) }),
      v.description(`For charts: cpu (fraction) and mem (bytes used) per point that has both, oldest first, at most ${MAX_SERIES} points (evenly thinned).`),
    ),
  }),
  async handler(args, ctx) {
    let segments: (string | number)[];
    let target: { kind: "node" | "qemu" | "lxc"; node: string; vmid: number | null };
    if (args.vmid !== undefined) {
      const guest = await findGuest(ctx.pve, args.vmid, { node: args.node }, ctx.signal);
      target = { kind: guest.type, node: guest.node, vmid: guest.vmid };
      segments = ["nodes", guest.node, guest.type, guest.vmid, "rrddata"];
    } else if (args.node) {
      target = { kind: "node", node: args.node, vmid: null };
      segments = ["nodes", args.node, "rrddata"];
    } else {
      throw new InputError("proxmox_resource_usage needs a target: vmid for a guest, or node for a node.", 'e.g. {"vmid": 101} or {"node": "pve1"}');
    }
    const rows = (await ctx.pve.get<RrdRow[] | null>(segments, { timeframe: args.timeframe, cf: args.cf }, { signal: ctx.signal })) ?? [];
    const { metrics, capacity } = summarise(rows);
    const times = rows.map((r) => r.time).filter((t): t is number => typeof t === "number");
    const data = {
      target,
      timeframe: args.timeframe,
      cf: args.cf,
      points: rows.length,
      from: isoTime(times[0]),
      to: isoTime(times[times.length - 1]),
      metrics,
      capacity,
      series: chartSeries(rows),
    };
    const what = target.kind === "node" ? `Node ${target.node}` : `${target.kind === "qemu" ? "VM" : "Container"} ${target.vmid} on ${target.node}`;
    const lines = Object.entries(metrics).map(([name, s]) => `${name}\tmin ${render(name, s.min)}\tavg ${render(name, s.avg)}\tmax ${render(name, s.max)}\tlast ${render(name, s.last)}`);
    const cap = Object.entries(capacity).map(([k, n]) => `${k} ${BYTES.has(k) ? bytes(n) : n}`);
    const text = [
      `${what}, last ${args.timeframe} (${args.cf}, ${rows.length} points${data.from ? ` from ${data.from} to ${data.to}` : ""}):`,
      lines.length ? lines.join("\n") : "No data points with values (a stopped guest records only its limits).",
      cap.length ? `Capacity: ${cap.join(", ")}.` : "",
    ]
      .filter(Boolean)
      .join("\n");
    return { text, data };
  },
});

/** Time, cpu and mem of the points that carry both, thinned to MAX_SERIES. */
export function chartSeries(rows: readonly RrdRow[]): { time: string[]; cpu: number[]; mem: number[] } {
  // Guests report mem, nodes memused.
  const mem = (r: RrdRow) => r.mem ?? r.memused;
  const usable = rows.filter((r) => typeof r.time === "number" && Number.isFinite(r.cpu) && Number.isFinite(mem(r)));
  const step = Math.max(1, Math.ceil(usable.length / MAX_SERIES));
  const kept = usable.filter((_, i) => i % step === 0);
  return { time: kept.map((r) => isoTime(r.time) ?? ""), cpu: kept.map((r) => round(r.cpu as number, 4)), mem: kept.map((r) => Math.round(mem(r) as number)) };
}

function render(metric: string, value: number): string {
  if (FRACTION.has(metric)) return percent(value);
  if (BYTES.has(metric)) return bytes(value);
  if (RATES.has(metric)) return `${bytes(value)}/s`;
  return String(round(value, 2));
}

/** Per metric over the points that carry it (a stopped guest's points lack usage). */
export function summarise(rows: readonly RrdRow[]): { metrics: Record<string, v.InferOutput<typeof Summary>>; capacity: Record<string, number> } {
  const series = new Map<string, number[]>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key === "time" || typeof value !== "number" || !Number.isFinite(value)) continue;
      let list = series.get(key);
      if (!list) series.set(key, (list = []));
      list.push(value);
    }
  }
  const metrics: Record<string, v.InferOutput<typeof Summary>> = {};
  const capacity: Record<string, number> = {};
  for (const [key, values] of series) {
    if (CAPACITY.has(key)) {
      capacity[key] = round(values[values.length - 1] ?? 0, 0);
      continue;
    }
    const sum = values.reduce((a, b) => a + b, 0);
    const digits = FRACTION.has(key) ? 4 : 2;
    metrics[key] = {
      min: round(Math.min(...values), digits),
      avg: round(sum / values.length, digits),
      max: round(Math.max(...values), digits),
      last: round(values[values.length - 1], digits),
    };
  }
  return { metrics, capacity };
}
