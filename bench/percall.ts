// 2. Per-call overhead of proxmox_get_resource: the tool's latency through the MCP client
// minus a direct fetch of the same simulator endpoints in the same order (src/tools/guests.ts:
// config and status/current at once; with vmid only, the guest's node comes from the location
// the first call's inventory read left behind, src/pve/resources.ts, so every timed call makes
// the same two GETs). Tool calls and direct fetches alternate, so drift on a shared machine
// hits both alike.
//
// Two references split the overhead: the floor server's no-op tool (what any SDK server
// costs per round trip over stdio, client side included) and the same tool run in this
// process through the registry (the server's own work, no stdio, no SDK).
import { loadConfig } from "../src/config/env.ts";
import { createLogger } from "../src/log.ts";
import { Redactor } from "../src/security/redactor.ts";
import { createRegistry, createRuntime } from "../src/server.ts";
import { callTool, connectStdio, type SimLike } from "../test/helpers/mcp.ts";
import { directGet, round, type Summary, summarize } from "./lib.ts";

export interface OverheadVariant {
  label: string;
  args: Record<string, unknown>;
  /** The GETs the tool makes, in order; an inner array runs at once. */
  gets: string[][];
  tool: Summary;
  direct: Summary;
  /** p50(tool) − p50(direct), p99(tool) − p99(direct): the goal's figures. */
  overheadP50: number;
  overheadP99: number;
  /** Percentiles of the paired differences (tool_i − direct_i), for reference. */
  paired: Summary;
  /** The same call through ToolRegistry.call in this process (no stdio, no SDK), minus direct. */
  inProcess: Summary;
  inProcessOverheadP50: number;
}

export interface PerCallResult {
  calls: number;
  warmup: number;
  variants: OverheadVariant[];
  /** The floor server's no-op tool: one MCP round trip over stdio through the same SDK. */
  floorRoundTrip: Summary;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function direct(sim: SimLike, gets: string[][]): Promise<void> {
  for (const batch of gets) await Promise.all(batch.map((p) => directGet(sim, p)));
}

export async function perCall(opts: { sim: SimLike; binary: string; floor: string; env: Record<string, string>; calls: number; warmup: number; vmid: number; node: string; type: string }): Promise<PerCallResult> {
  const { sim, vmid, node, type } = opts;
  const pair = [`/nodes/${node}/${type}/${vmid}/config`, `/nodes/${node}/${type}/${vmid}/status/current`];
  const variants = [
    { label: "vmid only", args: { vmid }, gets: [pair] },
    { label: "vmid + node + type", args: { vmid, node, type }, gets: [pair] },
  ];

  // In-process: the same registry the binary builds, over the same simulator.
  const loaded = loadConfig({ PROXMOX_URL: sim.url, PROXMOX_TOKEN_ID: sim.tokenId, PROXMOX_TOKEN_SECRET: sim.tokenSecret, PROXMOX_LOG_LEVEL: "error" });
  if (!loaded.ok) throw new Error(`in-process config: ${loaded.problems.join("; ")}`);
  const redactor = new Redactor();
  const registry = createRegistry(createRuntime([loaded.config], redactor, createLogger(redactor, "error")));

  const session = await connectStdio(opts.binary, opts.env);
  const results: OverheadVariant[] = [];
  try {
    await session.client.listTools(); // as an agent does; the client then checks structuredContent against outputSchema
    for (const v of variants) {
      const first = await callTool(session, "proxmox_get_resource", v.args);
      if (first.isError) throw new Error(`proxmox_get_resource ${JSON.stringify(v.args)}: ${first.text}`);
    }
    const series = variants.map(() => ({ tool: [] as number[], dir: [] as number[], paired: [] as number[], inProc: [] as number[], dir2: [] as number[] }));
    // The variants take turns call by call (and tool and direct fetch take turns within
    // each), so neither gets the server or the machine warmer than the other.
    for (let i = 0; i < opts.warmup + opts.calls; i++) {
      for (let k = 0; k < variants.length; k++) {
        const index = (i + k) % variants.length;
        const v = variants[index] as (typeof variants)[number];
        const out = series[index] as (typeof series)[number];
        let t: number;
        let d: number;
        if (i % 2 === 0) {
          d = await timed(() => direct(sim, v.gets));
          t = await timed(() => session.client.callTool({ name: "proxmox_get_resource", arguments: v.args }));
        } else {
          t = await timed(() => session.client.callTool({ name: "proxmox_get_resource", arguments: v.args }));
          d = await timed(() => direct(sim, v.gets));
        }
        if (i < opts.warmup) continue;
        out.tool.push(t);
        out.dir.push(d);
        out.paired.push(t - d);
      }
    }
    // The in-process series runs after, so the stdio series is not disturbed by it.
    for (let i = 0; i < opts.warmup + Math.ceil(opts.calls / 2); i++) {
      for (let k = 0; k < variants.length; k++) {
        const index = (i + k) % variants.length;
        const v = variants[index] as (typeof variants)[number];
        const out = series[index] as (typeof series)[number];
        const d = await timed(() => direct(sim, v.gets));
        const t = await timed(async () => {
          const outcome = await registry.call("proxmox_get_resource", v.args);
          if (outcome.isError) throw new Error(outcome.text);
        });
        if (i < opts.warmup) continue;
        out.inProc.push(t);
        out.dir2.push(d);
      }
    }
    variants.forEach((v, index) => {
      const out = series[index] as (typeof series)[number];
      const ts = summarize(out.tool);
      const ds = summarize(out.dir);
      const ip = summarize(out.inProc);
      results.push({
        label: v.label,
        args: v.args,
        gets: v.gets,
        tool: ts,
        direct: ds,
        overheadP50: round(ts.p50 - ds.p50),
        overheadP99: round(ts.p99 - ds.p99),
        paired: summarize(out.paired),
        inProcess: ip,
        inProcessOverheadP50: round(ip.p50 - summarize(out.dir2).p50),
      });
    });
  } finally {
    await session.close();
  }

  const floor = await connectStdio(opts.floor, opts.env);
  const rt: number[] = [];
  try {
    await floor.client.listTools();
    for (let i = 0; i < opts.warmup + opts.calls; i++) {
      const t = await timed(() => floor.client.callTool({ name: "echo", arguments: { text: "ping" } }));
      if (i >= opts.warmup) rt.push(t);
    }
  } finally {
    await floor.close();
  }
  return { calls: opts.calls, warmup: opts.warmup, variants: results, floorRoundTrip: summarize(rt) };
}
