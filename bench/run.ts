// `bun run bench` (after `bun scripts/build.ts`): the performance benchmark. One process
// tree, one section after another: the simulator runs here on loopback, the compiled
// binary (dist/proxmox-mcp) is driven through the SDK's MCP client over stdio.
//   1. cold start against a floor MCP server      4. answer size against raw PVE JSON
//   2. per-call overhead of proxmox_get_resource  5. requests, time per call, peak RSS by cluster size
//   3. bytes of the tool surface                  6. 100 calls in flight on one connection
// Writes bench/results/run.{md,json} (untracked); `--update` writes the committed
// bench/results/latest.{md,json} instead (what the README quotes). `--quick` runs a reduced
// version for smoke checks and writes bench/results/quick.{md,json}.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { coldStart, compileFloor } from "./coldstart.ts";
import { concurrency } from "./concurrency.ts";
import { envFor } from "../test/helpers/mcp.ts";
import { BINARY, machine, ROOT, resultsBase } from "./lib.ts";
import { perCall } from "./percall.ts";
import { evaluateGoals, markdown, type Results, surfaceGoals } from "./report.ts";
import { type ClusterSize, scale } from "./scale.ts";
import { startSimHost } from "./sim-host.ts";
import { surface } from "./surface.ts";

const QUICK = process.argv.includes("--quick");
const CONFIG = QUICK
  ? { coldRuns: 5, coldWarmup: 1, calls: 200, callWarmup: 20, repeats: 2, rounds: 1, sizes: [{ nodes: 3, guests: 20 }, { nodes: 10, guests: 1000 }, { nodes: 50, guests: 10_000 }] }
  : { coldRuns: 30, coldWarmup: 3, calls: 2000, callWarmup: 100, repeats: 9, rounds: 3, sizes: [{ nodes: 3, guests: 20 }, { nodes: 10, guests: 1000 }, { nodes: 50, guests: 10_000 }] };

const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
const started = performance.now();

if (!existsSync(BINARY)) {
  console.error(`${BINARY} is missing: run \`bun run bench\` (it builds first) or \`bun run build\`.`);
  process.exit(1);
}

// `bun run bench --surface`: only the tool-list figures (section 3), in seconds, with their goals.
if (process.argv.includes("--surface")) {
  const sim = await startSimHost();
  const floorOnly = await compileFloor();
  let code = 0;
  try {
    const s = await surface({ binary: BINARY, floor: floorOnly.path, env: envFor(sim) });
    for (const set of [s.sets.default, s.sets.all]) {
      process.stdout.write(`${(set.toolsets || "default").padEnd(8)} ${String(set.tools).padStart(3)} tools  model-facing ${set.modelBytes} B (≈${set.modelTokens} tokens)  full tools/list ${set.fullBytes} B\n`);
    }
    for (const g of surfaceGoals(s)) process.stdout.write(`${g.result}  ${g.id}: ${g.measured} (goal ${g.target})\n`);
    code = surfaceGoals(s).some((g) => g.result === "FAIL") ? 1 : 0;
  } finally {
    await sim.stop();
    rmSync(floorOnly.dir, { recursive: true, force: true });
  }
  process.exit(code);
}

const info = machine();
log(`${QUICK ? "quick" : "full"} run on ${info.nproc} CPUs (${info.cpuModel}), bun ${info.bun}`);
const floor = await compileFloor();
const demo = await startSimHost();
let results: Results;
try {
  const env = envFor(demo);

  log(`1/6 cold start: ${CONFIG.coldRuns} runs each of proxmox-mcp and the floor`);
  const cold = await coldStart({ binary: BINARY, floor: floor.path, env, runs: CONFIG.coldRuns, warmup: CONFIG.coldWarmup });
  log(`    proxmox-mcp ${cold.ours.toolsList.p50.toFixed(1)} ms, floor ${cold.floor.toolsList.p50.toFixed(1)} ms: ${cold.ratio}×`);

  log(`2/6 per-call overhead: ${CONFIG.calls} proxmox_get_resource calls per variant`);
  const calls = await perCall({ sim: demo, binary: BINARY, floor: floor.path, env, calls: CONFIG.calls, warmup: CONFIG.callWarmup, vmid: 100, node: "pve1", type: "qemu" });
  for (const v of calls.variants) log(`    ${v.label}: overhead p50 ${v.overheadP50.toFixed(3)} ms, p99 ${v.overheadP99.toFixed(3)} ms`);

  log("3/6 tool surface");
  const tools = await surface({ binary: BINARY, floor: floor.path, env });
  log(`    ${tools.tools} tools, ${tools.bytes} bytes ≈ ${tools.tokens} tokens`);
  for (const set of [tools.sets.default, tools.sets.all]) log(`    ${set.toolsets || "default"}: ${set.tools} tools, ${set.modelBytes} model-facing bytes, ${set.fullBytes} full`);

  log(`4+5/6 answers and scale on ${CONFIG.sizes.map((s: ClusterSize) => `${s.nodes}/${s.guests}`).join(", ")} (nodes/guests)`);
  const clusters = await scale({ binary: BINARY, sizes: CONFIG.sizes, repeats: CONFIG.repeats });
  for (const k of clusters) log(`    ${k.cluster}: peak RSS ${k.peakRssMiB} MiB`);

  log("6/6 concurrency: 100 calls in flight");
  const conc = await concurrency({ binary: BINARY, inFlight: 100, rounds: CONFIG.rounds });
  log(`    ${conc.answered}/100 answered, ${conc.concurrentMs} ms (one at a time ${conc.sequentialMs} ms)`);

  const partial = {
    mode: QUICK ? ("quick" as const) : ("full" as const),
    command: QUICK ? "bun run bench --quick" : "bun run bench",
    machine: info,
    durationS: Math.round((performance.now() - started) / 1000),
    coldStart: cold,
    perCall: calls,
    surface: tools,
    clusters,
    concurrency: conc,
  };
  results = { ...partial, goals: evaluateGoals(partial) };
} finally {
  await demo.stop();
  rmSync(floor.dir, { recursive: true, force: true });
}

const dir = `${ROOT}bench/results`;
mkdirSync(dir, { recursive: true });
// A run rewrites the committed report only when asked: a casual run leaves git status clean.
const base = resultsBase(process.argv);
writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${base}.md`, markdown(results));
process.stdout.write(markdown(results));
log(`wrote ${base}.md and ${base}.json`);
const failed = results.goals.filter((g) => g.result === "FAIL");
if (failed.length) log(`${failed.length} goal(s) not met: ${failed.map((g) => g.id).join(", ")}`);
process.exit(0);
