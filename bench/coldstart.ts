// 1. Cold start: spawn → `initialize` answered → `tools/list` answered, for proxmox-mcp and
// for the floor (bench/floor-server.ts compiled the same way), alternating run by run so
// drift on a shared machine hits both alike. Timed twice: through the SDK's MCP client (what
// an agent runs) and over raw JSON-RPC (no client library in the clock).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBinary } from "../scripts/compile.ts";
import { connectStdio } from "../test/helpers/mcp.ts";
import { memoryOf, RawSession, ROOT, round, type Summary, summarize } from "./lib.ts";

export interface ColdStartSide {
  /** Through the SDK client: spawn → initialize answered. */
  initialize: Summary;
  /** Through the SDK client: spawn → initialize → tools/list answered (the goal's figure). */
  toolsList: Summary;
  /** Raw JSON-RPC on stdio: spawn → initialize answered. */
  rawInitialize: Summary;
  /** Raw JSON-RPC on stdio: spawn → initialize → tools/list answered. */
  rawToolsList: Summary;
  /** Peak RSS of the server once tools/list was answered (median over runs). */
  peakRssMiB: number;
  binaryMiB: number;
}

export interface ColdStartResult {
  runs: number;
  warmup: number;
  ours: ColdStartSide;
  floor: ColdStartSide;
  /** median(ours) / median(floor), SDK client, spawn → tools/list answered. */
  ratio: number;
  rawRatio: number;
  /** The 2026-07-28 era through the SDK client (server/discover instead of initialize). */
  modernToolsList?: Summary;
  /** The same for the floor: most of the 2026-07-28 era's extra time is the SDK's. */
  modernFloorToolsList?: Summary;
}

/** Compiles bench/floor-server.ts with the very function (and settings) that compiles the real binary. */
export async function compileFloor(): Promise<{ path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "proxmox-mcp-bench-"));
  const path = join(dir, "floor-server");
  await compileBinary({ entrypoint: `${ROOT}bench/floor-server.ts`, outfile: path, bytecode: true, minify: true });
  return { path, dir };
}

async function sdkRun(command: string, env: Record<string, string>, modern = false): Promise<{ initialize: number; toolsList: number; peakRssMiB: number }> {
  const started = performance.now();
  const session = await connectStdio(command, env, { era: modern ? "modern" : "legacy" });
  const initialize = performance.now() - started;
  const tools = await session.client.listTools();
  const toolsList = performance.now() - started;
  if (tools.tools.length === 0) throw new Error(`${command} listed no tools`);
  const mem = memoryOf(session.pid);
  await session.close();
  return { initialize, toolsList, peakRssMiB: mem?.peakRssMiB ?? Number.NaN };
}

export async function rawRun(command: string, env: Record<string, string>): Promise<{ initialize: number; toolsList: number }> {
  const started = performance.now();
  const raw = new RawSession(command, env);
  await raw.initialize();
  const initialize = performance.now() - started;
  await raw.send({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
  await raw.response(2);
  const toolsList = performance.now() - started;
  await raw.close();
  return { initialize, toolsList };
}

export async function coldStart(opts: { binary: string; floor: string; env: Record<string, string>; runs: number; warmup: number }): Promise<ColdStartResult> {
  const sides = { ours: opts.binary, floor: opts.floor } as const;
  const samples = {
    ours: { initialize: [] as number[], toolsList: [] as number[], rawInit: [] as number[], raw: [] as number[], rss: [] as number[] },
    floor: { initialize: [] as number[], toolsList: [] as number[], rawInit: [] as number[], raw: [] as number[], rss: [] as number[] },
  };
  const modern: number[] = [];
  const modernFloor: number[] = [];
  for (let run = 0; run < opts.warmup + opts.runs; run++) {
    const order = run % 2 === 0 ? (["ours", "floor"] as const) : (["floor", "ours"] as const);
    for (const side of order) {
      const sdk = await sdkRun(sides[side], opts.env);
      const raw = await rawRun(sides[side], opts.env);
      if (run < opts.warmup) continue; // the first runs pay for the page cache
      samples[side].initialize.push(sdk.initialize);
      samples[side].toolsList.push(sdk.toolsList);
      samples[side].rawInit.push(raw.initialize);
      samples[side].raw.push(raw.toolsList);
      samples[side].rss.push(sdk.peakRssMiB);
    }
    if (run >= opts.warmup && run % 3 === 0) {
      modern.push((await sdkRun(opts.binary, opts.env, true)).toolsList);
      modernFloor.push((await sdkRun(opts.floor, opts.env, true)).toolsList);
    }
  }
  const side = (name: keyof typeof samples): ColdStartSide => ({
    initialize: summarize(samples[name].initialize),
    toolsList: summarize(samples[name].toolsList),
    rawInitialize: summarize(samples[name].rawInit),
    rawToolsList: summarize(samples[name].raw),
    peakRssMiB: round(summarize(samples[name].rss).p50, 1),
    binaryMiB: round(Bun.file(sides[name]).size / 2 ** 20, 1),
  });
  const ours = side("ours");
  const floor = side("floor");
  return {
    runs: opts.runs,
    warmup: opts.warmup,
    ours,
    floor,
    ratio: round(ours.toolsList.p50 / floor.toolsList.p50, 2),
    rawRatio: round(ours.rawToolsList.p50 / floor.rawToolsList.p50, 2),
    modernToolsList: modern.length ? summarize(modern) : undefined,
    modernFloorToolsList: modernFloor.length ? summarize(modernFloor) : undefined,
  };
}
