// `bun bench/locate.ts` (after `bun scripts/build.ts`): finding one guest must not cost the
// whole inventory. For 20, 1,000 and 10,000 guests, proxmox_get_resource {vmid} through the
// compiled binary over stdio: the requests of the first call (inventory + config + status)
// and of every call after it (the remembered vmid → node location: config + status only),
// and the time per call against direct GETs of the same two endpoints, side by side as the
// tool makes them. Goal (issue 10): ≤ 2 requests per call after the first, time ≤ 2× direct.
//
// The time is the server's: a client that writes the JSON-RPC line and reads the answer's
// line (RawSession), so what is timed is the pipe, the SDK's server and proxmox-mcp. The same
// call through the TypeScript SDK's client is shown beside it: that client parses the answer
// with zod and checks structuredContent against the output schema, its own work per call.
// Writes bench/results/run.locate.{md,json} (untracked); `--update` writes the committed
// bench/results/locate.{md,json}; `--quick` a reduced run to quick.locate.* (untracked).
import { mkdirSync, writeFileSync } from "node:fs";
import { connectStdio, envFor } from "../test/helpers/mcp.ts";
import { BINARY, directGet, machine, median, percentile, RawSession, ROOT, round } from "./lib.ts";
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
  /** Through a raw JSON-RPC client: the server's time per call, the goal's figure. */
  msPerCallP50: number;
  msPerCallP90: number;
  msDirectP50: number;
  ratio: number;
  /** The same call through the TypeScript SDK's client (its parsing and output check included). */
  msSdkClientP50: number;
  sdkClientRatio: number;
  /** proxmox_get_resource with node and type given (no look-up): what the protocol and the server cost anyway. */
  msGivenP50: number;
  /** A ping to the same server: the stdio round trip and the SDK's handling of any request. */
  msPingP50: number;
  /** The same tool before this change: inventory + config + status on every call. */
  msUncachedP50: number;
  errors: number;
}

const rows: Row[] = [];

/** Times fn. */
async function timed(samples: number[], fn: () => Promise<unknown>): Promise<void> {
  const t = performance.now();
  await fn();
  samples.push(performance.now() - t);
}

/**
 * Runs each step once per round, each in turn first, so drift on a shared machine hits all
 * alike; `every10` runs on every tenth round.
 */
async function interleaved(rounds: number, steps: [number[], () => Promise<unknown>][], every10?: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < steps.length; k++) {
      const [samples, fn] = steps[(i + k) % steps.length] as [number[], () => Promise<unknown>];
      await timed(samples, fn);
    }
    if (every10 && i % 10 === 0) await every10();
  }
}

for (const size of SIZES) {
  const sim = await startSimHost(size);
  // Guests spread over the nodes: pick one on the last node, as a user would ask for any.
  const vmid = 100 + size.guests - 1;
  let errors = 0;
  try {
    // 1. The server's time: a raw JSON-RPC client, one server process.
    const raw = new RawSession(BINARY, envFor(sim));
    const times: number[] = [];
    const given: number[] = [];
    const pings: number[] = [];
    const direct: number[] = [];
    const uncached: number[] = [];
    let requests = 0;
    let firstRequests = 0;
    let pair: string[] = [];
    try {
      await raw.initialize();
      let id = 1;
      // A raw call: the request line out, the answer's line back, parsed as any client must.
      const rawCall = async (args: Record<string, unknown>) => {
        id += 1;
        await raw.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "proxmox_get_resource", arguments: args } });
        const answer = (await raw.reply(id)).message as { result?: { isError?: boolean; structuredContent?: { node: string; type: string } } };
        if (!answer.result || answer.result.isError === true) errors++;
        return answer;
      };
      await sim.resetLog();
      const first = await rawCall({ vmid });
      firstRequests = (await sim.log()).requests.length;
      const data = first.result?.structuredContent;
      if (!data) throw new Error(`proxmox_get_resource {vmid: ${vmid}} failed: ${JSON.stringify(first)}`);
      pair = [`/nodes/${data.node}/${data.type}/${vmid}/config`, `/nodes/${data.node}/${data.type}/${vmid}/status/current`];
      const call = () => rawCall({ vmid });
      const ping = async () => {
        id += 1;
        await raw.send({ jsonrpc: "2.0", id, method: "ping" });
        await raw.response(id);
      };
      // The same tool told node and type: it never looks anything up, the floor for this call.
      const callGiven = () => rawCall({ vmid, node: data.node, type: data.type });
      const pairDirect = () => Promise.all(pair.map((p) => directGet(sim, p)));
      // Requests per call, counted on calls of their own (the simulator's log is read over IPC).
      for (let i = 0; i < 20; i++) {
        await sim.resetLog();
        await call();
        requests += (await sim.log()).requests.length;
      }
      await interleaved(WARMUP, [[[], call], [[], pairDirect]]);
      await interleaved(
        CALLS,
        [
          [times, call],
          [direct, pairDirect],
          [given, callGiven],
          [pings, ping],
        ],
        // What each call cost before: the whole inventory, then the pair.
        () =>
          timed(uncached, async () => {
            await directGet(sim, "/cluster/resources?type=vm");
            await pairDirect();
          }),
      );
    } finally {
      await raw.close();
    }

    // 2. The same call through the TypeScript SDK's client, with its own direct baseline.
    const session = await connectStdio(BINARY, envFor(sim));
    const sdk: number[] = [];
    const sdkDirect: number[] = [];
    try {
      await session.client.listTools(); // as an agent does; the client then checks structuredContent against outputSchema
      const callSdk = async () => {
        if (((await session.client.callTool({ name: "proxmox_get_resource", arguments: { vmid } })) as { isError?: boolean }).isError) errors++;
      };
      const pairDirect = () => Promise.all(pair.map((p) => directGet(sim, p)));
      await callSdk();
      await interleaved(WARMUP, [[[], callSdk], [[], pairDirect]]);
      await interleaved(CALLS, [
        [sdk, callSdk],
        [sdkDirect, pairDirect],
      ]);
    } finally {
      await session.close();
    }

    const p50 = median(times);
    rows.push({
      guests: size.guests,
      nodes: size.nodes,
      firstCallRequests: firstRequests,
      requestsPerCallAfter: round(requests / 20, 2),
      msPerCallP50: round(p50, 2),
      msPerCallP90: round(percentile(times, 0.9), 2),
      msDirectP50: round(median(direct), 2),
      ratio: round(p50 / median(direct), 2),
      msSdkClientP50: round(median(sdk), 2),
      sdkClientRatio: round(median(sdk) / median(sdkDirect), 2),
      msGivenP50: round(median(given), 2),
      msPingP50: round(median(pings), 2),
      msUncachedP50: round(median(uncached), 2),
      errors,
    });
    process.stderr.write(`[locate] ${size.guests} guests: first ${firstRequests} requests, then ${requests / 20}/call; ${p50.toFixed(2)} ms vs direct ${median(direct).toFixed(2)} ms (SDK client ${median(sdk).toFixed(2)} ms vs ${median(sdkDirect).toFixed(2)} ms)\n`);
  } finally {
    await sim.stop();
  }
}

const info = machine();
const goal = rows.every((r) => r.requestsPerCallAfter <= 2 && r.ratio <= 2 && r.errors === 0);
const md = [
  "# proxmox_get_resource {vmid}: the remembered vmid → node location",
  "",
  `\`bun bench/locate.ts${QUICK ? " --quick" : ""}\` on ${info.nproc} CPUs (${info.cpuModel}), bun ${info.bun}; ${CALLS} calls per size after the first, through the compiled binary over stdio (a raw JSON-RPC client: the request line written, the answer's line read and parsed); the simulator in its own process.`,
  "",
  "| guests | nodes | requests, first call | requests per call after | {vmid}: ms per call p50 (p90) | {vmid, node, type}: ms p50 | ping to the same server p50 | direct GETs of config ∥ status p50 | {vmid} ÷ direct | {vmid} through the SDK's client: ms p50 (÷ its direct GETs) | before: direct inventory + config ∥ status p50 |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.guests.toLocaleString("en-US")} | ${r.nodes} | ${r.firstCallRequests} | ${r.requestsPerCallAfter} | ${r.msPerCallP50} (${r.msPerCallP90}) | ${r.msGivenP50} | ${r.msPingP50} | ${r.msDirectP50} | ${r.ratio}× | ${r.msSdkClientP50} (${r.sdkClientRatio}×) | ${r.msUncachedP50} |`),
  "",
  `Requests: at most 2 per call after the first — **${rows.every((r) => r.requestsPerCallAfter <= 2) ? "MET" : "NOT MET"}**. Time within 2× of the direct GETs — **${goal ? "MET" : "NOT MET"}**; compare {vmid} with {vmid, node, type}, which makes the same two GETs and no look-up: the difference between those two is what finding the guest costs now, the rest is the MCP round trip and the server's per-call work. A ping to the same server is the pipe both ways plus the SDK's handling of a request; a read on a 2025-era stdio session goes round the SDK (src/mcp/tool-calls.ts readLane), so its round trip costs less than a ping. The SDK client's column adds what that client does with each answer (zod parsing, the output-schema check): the client's time, not the server's.`,
  "",
].join("\n");
const dir = `${ROOT}bench/results`;
mkdirSync(dir, { recursive: true });
const name = QUICK ? "quick.locate" : process.argv.includes("--update") ? "locate" : "run.locate";
writeFileSync(`${dir}/${name}.json`, `${JSON.stringify({ machine: info, calls: CALLS, rows, goal }, null, 2)}\n`);
writeFileSync(`${dir}/${name}.md`, md);
process.stdout.write(md);
process.exit(0);
