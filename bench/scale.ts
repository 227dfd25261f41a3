// 4 + 5. Answers and scale, per cluster size: for each tool call, the bytes of our answer
// (text + structuredContent) against the bytes of the raw PVE JSON it was built from (the
// very GETs the simulator recorded for the call, fetched again directly), the HTTP requests
// the call made, the time per call, and the server process's peak memory after the run.
import { callTool, connectStdio, envFor } from "../test/helpers/mcp.ts";
import { approxTokens, directGet, jsonBytes, median, memoryOf, pathAndQuery, round, utf8 } from "./lib.ts";
import { startSimHost } from "./sim-host.ts";

export interface ClusterSize {
  nodes: number;
  guests: number;
}

export interface CallVariant {
  tool: string;
  label: string;
  args: Record<string, unknown>;
  /** A default-argument guest list: must be one request, and ≤ 25% of raw bytes at 1,000 guests. */
  inventory?: boolean;
  /** Counted in the answers table (section 4); get_resource is only in the scale table. */
  answer: boolean;
}

export const VARIANTS: CallVariant[] = [
  { tool: "proxmox_list_vms", label: "default", args: {}, inventory: true, answer: true },
  { tool: "proxmox_list_vms", label: "status running, node pve2", args: { status: "running", node: "pve2" }, answer: true },
  { tool: "proxmox_list_containers", label: "default", args: {}, inventory: true, answer: true },
  { tool: "proxmox_list_containers", label: "status running, node pve2", args: { status: "running", node: "pve2" }, answer: true },
  { tool: "proxmox_status", label: "default", args: {}, answer: true },
  { tool: "proxmox_resource_usage", label: "node pve1 (hour)", args: { node: "pve1" }, answer: true },
  { tool: "proxmox_get_resource", label: "vmid 100", args: { vmid: 100 }, answer: false },
];

export interface CallMeasure {
  cluster: string;
  nodes: number;
  guests: number;
  tool: string;
  label: string;
  args: Record<string, unknown>;
  inventory: boolean;
  answer: boolean;
  isError: boolean;
  /** What the model receives: UTF-8 bytes of the text content + JSON of structuredContent. */
  answerBytes: number;
  textBytes: number;
  structuredBytes: number;
  answerTokens: number;
  /** The whole tools/call result JSON (adds resource links and the JSON around them). */
  resultBytes: number;
  /** Bodies of the same GETs fetched directly from the simulator. */
  rawBytes: number;
  rawTokens: number;
  ratio: number;
  requests: number;
  requestPaths: string[];
  /** Median over the repeats, through the MCP client. */
  msPerCall: number;
  /** The same GETs fetched directly, one after another (median over the repeats). */
  msDirect: number;
  total?: number;
  returned?: number;
}

export interface ClusterRun {
  cluster: string;
  nodes: number;
  guests: number;
  simStartMs: number;
  peakRssMiB: number;
  rssMiB: number;
  rejections: number;
  calls: CallMeasure[];
}

export async function scale(opts: { binary: string; sizes: ClusterSize[]; repeats: number }): Promise<ClusterRun[]> {
  const runs: ClusterRun[] = [];
  for (const size of opts.sizes) {
    const name = `${size.nodes} nodes / ${size.guests.toLocaleString("en-US")} guests`;
    const sim = await startSimHost({ nodes: size.nodes, guests: size.guests });
    const session = await connectStdio(opts.binary, envFor(sim));
    const calls: CallMeasure[] = [];
    let memory: ReturnType<typeof memoryOf> = undefined;
    let rejections = 0;
    try {
      await session.client.listTools();
      for (const v of VARIANTS) {
        await sim.resetLog();
        const answer = await callTool(session, v.tool, v.args);
        const log = await sim.log();
        const recorded = log.requests;
        rejections += log.rejections;
        const gets = recorded.filter((r) => r.method === "GET").map((r) => pathAndQuery(r.path, r.params));
        if (recorded.length !== gets.length) throw new Error(`${v.tool} made non-GET requests`);
        let rawBytes = 0;
        for (const p of gets) rawBytes += await directGet(sim, p);

        const times: number[] = [];
        const direct: number[] = [];
        for (let i = 0; i < opts.repeats; i++) {
          let started = performance.now();
          await session.client.callTool({ name: v.tool, arguments: v.args });
          times.push(performance.now() - started);
          started = performance.now();
          for (const p of gets) await directGet(sim, p);
          direct.push(performance.now() - started);
        }
        const textBytes = utf8(answer.text);
        const structuredBytes = answer.structured ? jsonBytes(answer.structured) : 0;
        const answerBytes = textBytes + structuredBytes;
        const s = answer.structured as { total?: number; returned?: number } | undefined;
        calls.push({
          cluster: name,
          nodes: size.nodes,
          guests: size.guests,
          tool: v.tool,
          label: v.label,
          args: v.args,
          inventory: v.inventory === true,
          answer: v.answer,
          isError: answer.isError,
          answerBytes,
          textBytes,
          structuredBytes,
          answerTokens: approxTokens(answerBytes),
          resultBytes: jsonBytes(answer.result),
          rawBytes,
          rawTokens: approxTokens(rawBytes),
          ratio: rawBytes ? round(answerBytes / rawBytes, 4) : Number.NaN,
          requests: recorded.length,
          requestPaths: gets,
          msPerCall: round(median(times), 2),
          msDirect: round(median(direct), 2),
          total: typeof s?.total === "number" ? s.total : undefined,
          returned: typeof s?.returned === "number" ? s.returned : undefined,
        });
      }
      memory = memoryOf(session.pid);
    } finally {
      await session.close();
      await sim.stop();
    }
    runs.push({ cluster: name, ...size, simStartMs: sim.startMs, peakRssMiB: memory?.peakRssMiB ?? Number.NaN, rssMiB: memory?.rssMiB ?? Number.NaN, rejections, calls });
  }
  return runs;
}
