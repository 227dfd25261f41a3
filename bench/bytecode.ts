// `bun bench/bytecode.ts [runs]`: does `--bytecode` make the compiled binary start faster?
// Builds this machine's binary twice (with and without bytecode, both minified as the release
// is), then times, alternating between the two so drift hits both equally:
//   1. `proxmox-mcp --version` from spawn to exit (the cheapest start-up);
//   2. an MCP session as an agent opens it: spawn → `initialize` answered → `tools/list`
//      answered, over raw newline-delimited JSON-RPC on stdio (no client library in the clock).
// Prints a Markdown table; bench/results/bytecode.md records a run and the decision.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBinary } from "../scripts/compile.ts";

const RUNS = Number(process.argv[2] ?? 40);
const WARMUP = 3;
const dir = mkdtempSync(join(tmpdir(), "proxmox-mcp-bytecode-"));
const variants = [
  { name: "plain", path: join(dir, "plain"), bytecode: false },
  { name: "bytecode", path: join(dir, "bytecode"), bytecode: true },
] as const;

// A configuration that passes validation; initialize and tools/list never contact Proxmox.
const ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  PROXMOX_URL: "https://127.0.0.1:1",
  PROXMOX_TOKEN_ID: "bench@pve!bench",
  PROXMOX_TOKEN_SECRET: "00000000-0000-0000-0000-000000000000",
  PROXMOX_LOG_LEVEL: "error",
};

async function timeVersion(binary: string): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([binary, "--version"], { stdout: "pipe", stderr: "ignore", env: ENV });
  await proc.exited;
  const elapsed = performance.now() - started;
  if (proc.exitCode !== 0) throw new Error(`${binary} --version exited ${proc.exitCode}`);
  return elapsed;
}

async function timeSession(binary: string): Promise<{ initialize: number; toolsList: number }> {
  const started = performance.now();
  const proc = Bun.spawn([binary], { stdin: "pipe", stdout: "pipe", stderr: "ignore", env: ENV });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const waitFor = async (id: number): Promise<number> => {
    for (;;) {
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim() && (JSON.parse(line) as { id?: number }).id === id) return performance.now() - started;
        newline = buffer.indexOf("\n");
      }
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`${binary} closed stdout before answering request ${id}`);
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  const send = (message: object) => proc.stdin.write(`${JSON.stringify(message)}\n`);
  send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
  await proc.stdin.flush();
  const initialize = await waitFor(1);
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
  await proc.stdin.flush();
  const toolsList = await waitFor(2);
  await proc.stdin.end();
  await proc.exited;
  return { initialize, toolsList };
}

function stats(samples: number[]): { median: number; mean: number; p90: number; min: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), mean: samples.reduce((a, b) => a + b, 0) / samples.length, p90: at(0.9), min: sorted[0] ?? Number.NaN };
}

try {
  for (const v of variants) await compileBinary({ outfile: v.path, bytecode: v.bytecode, minify: true });
  const results = new Map<string, { version: number[]; initialize: number[]; toolsList: number[] }>();
  for (const v of variants) results.set(v.name, { version: [], initialize: [], toolsList: [] });
  for (let run = 0; run < RUNS + WARMUP; run++) {
    for (const v of run % 2 === 0 ? variants : [...variants].reverse()) {
      const version = await timeVersion(v.path);
      const session = await timeSession(v.path);
      if (run < WARMUP) continue; // the first runs pay for the page cache
      const r = results.get(v.name);
      r?.version.push(version);
      r?.initialize.push(session.initialize);
      r?.toolsList.push(session.toolsList);
    }
  }
  const ms = (n: number) => n.toFixed(1);
  console.log(`bun ${Bun.version}, ${process.platform}-${process.arch}, ${navigator.hardwareConcurrency} CPUs, ${RUNS} runs each (after ${WARMUP} warm-up), times in ms\n`);
  console.log("| binary | size | --version median (p90) | initialize median (p90) | initialize + tools/list median (p90) |");
  console.log("|---|---|---|---|---|");
  for (const v of variants) {
    const r = results.get(v.name);
    if (!r) continue;
    const [a, b, c] = [stats(r.version), stats(r.initialize), stats(r.toolsList)];
    console.log(`| ${v.name} | ${(statSync(v.path).size / 1e6).toFixed(1)} MB | ${ms(a.median)} (${ms(a.p90)}) | ${ms(b.median)} (${ms(b.p90)}) | ${ms(c.median)} (${ms(c.p90)}) |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
