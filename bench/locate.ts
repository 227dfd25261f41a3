// `bun bench/locate.ts` (after `bun scripts/build.ts`): finding one guest must not cost the
// whole inventory. For 20, 1,000 and 10,000 guests, proxmox_get_resource {vmid} through the
// compiled binary over stdio: the requests of the first call (inventory + config + status)
// and of every call after it (the remembered vmid → node location: config + status only),
// and the time per call against direct GETs of the same two endpoints, side by side as the
// tool makes them. Goal (issue 10): ≤ 2 requests per call after the first, time ≤ 2× direct.
// Writes bench/results/run.locate.{md,json} (untracked); `--update` writes the committed
// bench/results/locate.{md,json}; `--quick` a reduced run to quick.locate.* (untracked).
import { mkdirSync, writeFileSync } from "node:fs";
import { callTool, connectStdio, envFor } from "../test/helpers/mcp.ts";
import { BINARY, directGet, machine, median, percentile, ROOT, round } from "./lib.ts";
import { startSimHost } from "./sim-host.ts";

const QUICK = process.argv.includes("--quick");
const CALLS = QUICK ? 60 : 400;
const WARMUP = QUICK ? 20 : 100;
const SIZES = [
  { nodes: 3, guests: 20 },
  { nodes: 10, guests: 1000 },
  { nodes: 50, guests: 10_000 },
];

interface Row {
  guests: number;
  nodes: number;
  firstCallRequests: number;
  requestsPerCallAfter: number;
  msPerCallP50: number;
  msPerCallP90: number;
  msDirectP50: number;
  ratio: number;
  /** proxmox_get_resource with node and type given (no look-up): what the protocol and the server cost anyway. */
  msGivenP50: number;
  /** The same tool before this change: inventory + config + status on every call. */
  msUncachedP50: number;
  errors: number;
}

const rows: Row[] = [];
for (const size of SIZES) {
  const sim = await startSimHost(size);
  const session = await connectStdio(BINARY, envFor(sim));
  try {
    await session.client.listTools();
    // Guests spread over the nodes: pick one on the last node, as a user would ask for any.
    const vmid = 100 + size.guests - 1;
    await sim.resetLog();
    const first = await callTool(session, "proxmox_get_resource", { vmid });
    const firstLog = await sim.log();
    const data = first.structured as { node: string; type: string };
    const pair = [`/nodes/${data.node}/${data.type}/${vmid}/config`, `/nodes/${data.node}/${data.type}/${vmid}/status/current`];
    const times: number[] = [];
    const given: number[] = [];
    const direct: number[] = [];
    const uncached: number[] = [];
    let requests = 0;
    let errors = 0;
    const call = () => session.client.callTool({ name: "proxmox_get_resource", arguments: { vmid } }) as Promise<{ isError?: boolean }>;
    // The same tool told node and type: it never looks anything up, the floor for this call.
    const callGiven = () => session.client.callTool({ name: "proxmox_get_resource", arguments: { vmid, node: data.node, type: data.type } });
    const pairDirect = () => Promise.all(pair.map((p) => directGet(sim, p)));
    // Requests per call, counted on calls of their own (the simulator's log is read over IPC).
    for (let i = 0; i < 20; i++) {
      await sim.resetLog();
      if ((await call()).isError) errors++;
      requests += (await sim.log()).requests.length;
    }
    for (let i = 0; i < WARMUP; i++) {
      await call();
      await pairDirect();
    }
    for (let i = 0; i < CALLS; i++) {
      // Interleaved, alternating which goes first, so drift on a shared machine hits both.
      let t: number;
      if (i % 2 === 0) {
        t = performance.now();
        if ((await call()).isError) errors++;
        times.push(performance.now() - t);
        t = performance.now();
        await pairDirect();
        direct.push(performance.now() - t);
        t = performance.now();
        await callGiven();
        given.push(performance.now() - t);
      } else {
        t = performance.now();
        await callGiven();
        given.push(performance.now() - t);
        t = performance.now();
        await pairDirect();
        direct.push(performance.now() - t);
        t = performance.now();
        if ((await call()).isError) errors++;
        times.push(performance.now() - t);
      }
      if (i % 10 === 0) {
        // What each call cost before: the whole inventory, then the pair.
        t = performance.now();
        await directGet(sim, "/cluster/resources?type=vm");
        await Promise.all(pair.map((p) => directGet(sim, p)));
        uncached.push(performance.now() - t);
      }
    }
    const p50 = median(times);
    rows.push({
      guests: size.guests,
      nodes: size.nodes,
      firstCallRequests: firstLog.requests.length,
      requestsPerCallAfter: round(requests / 20, 2),
      msPerCallP50: round(p50, 2),
      msPerCallP90: round(percentile(times, 0.9), 2),
      msDirectP50: round(median(direct), 2),
      ratio: round(p50 / median(direct), 2),
      msGivenP50: round(median(given), 2),
      msUncachedP50: round(median(uncached), 2),
      errors,
    });
    process.stderr.write(`[locate] ${size.guests} guests: first ${firstLog.requests.length} requests, then ${requests / 20}/call; ${p50.toFixed(2)} ms vs direct ${median(direct).toFixed(2)} ms\n`);
  } finally {
    await session.close();
    await sim.stop();
  }
}

const info = machine();
const goal = rows.every((r) => r.requestsPerCallAfter <= 2 && r.ratio <= 2 && r.errors === 0);
const md = [
  "# proxmox_get_resource {vmid}: the remembered vmid → node location",
  "",
  `\`bun bench/locate.ts${QUICK ? " --quick" : ""}\` on ${info.nproc} CPUs (${info.cpuModel}), bun ${info.bun}; ${CALLS} calls per size after the first, through the compiled binary over stdio; the simulator in its own process.`,
  "",
  "| guests | nodes | requests, first call | requests per call after | {vmid}: ms per call p50 (p90) | {vmid, node, type}: ms p50 | direct GETs of config ∥ status p50 | {vmid} ÷ direct | before: direct inventory + config ∥ status p50 |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.guests.toLocaleString("en-US")} | ${r.nodes} | ${r.firstCallRequests} | ${r.requestsPerCallAfter} | ${r.msPerCallP50} (${r.msPerCallP90}) | ${r.msGivenP50} | ${r.msDirectP50} | ${r.ratio}× | ${r.msUncachedP50} |`),
  "",
  `Requests: at most 2 per call after the first — **${rows.every((r) => r.requestsPerCallAfter <= 2) ? "MET" : "NOT MET"}**. Time within 2× of the direct GETs — **${goal ? "MET" : "NOT MET"}**; compare {vmid} with {vmid, node, type}, which makes the same two GETs and no look-up: the difference between those two is what finding the guest costs now, the rest is the MCP round trip and the server's per-call work.`,
  "",
].join("\n");
const dir = `${ROOT}bench/results`;
mkdirSync(dir, { recursive: true });
const name = QUICK ? "quick.locate" : process.argv.includes("--update") ? "locate" : "run.locate";
writeFileSync(`${dir}/${name}.json`, `${JSON.stringify({ machine: info, calls: CALLS, rows, goal }, null, 2)}\n`);
writeFileSync(`${dir}/${name}.md`, md);
process.stdout.write(md);
process.exit(0);
