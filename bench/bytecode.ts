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
import { rawRun } from "./coldstart.ts";
import { summarize } from "./lib.ts";

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

try {
  for (const v of variants) await compileBinary({ outfile: v.path, bytecode: v.bytecode, minify: true });
  const results = new Map<string, { version: number[]; initialize: number[]; toolsList: number[] }>();
  for (const v of variants) results.set(v.name, { version: [], initialize: [], toolsList: [] });
  for (let run = 0; run < RUNS + WARMUP; run++) {
    for (const v of run % 2 === 0 ? variants : [...variants].reverse()) {
      const version = await timeVersion(v.path);
      const session = await rawRun(v.path, ENV);
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
    const [a, b, c] = [summarize(r.version), summarize(r.initialize), summarize(r.toolsList)];
    console.log(`| ${v.name} | ${(statSync(v.path).size / 1e6).toFixed(1)} MB | ${ms(a.p50)} (${ms(a.p90)}) | ${ms(b.p50)} (${ms(b.p90)}) | ${ms(c.p50)} (${ms(c.p90)}) |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
