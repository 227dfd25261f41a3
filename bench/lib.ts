// Shared plumbing for bench/run.ts: statistics, the machine, direct reads of the simulator,
// raw JSON-RPC sessions, and the server process's memory. MCP sessions through the SDK's
// client are the tests' (test/helpers/mcp.ts).
import { readFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { buildPath, encodeParams } from "../src/pve/client.ts";
import type { SimLike } from "../test/helpers/mcp.ts";

export const ROOT = new URL("../", import.meta.url).pathname;
export const BINARY = `${ROOT}dist/proxmox-mcp`;

/** Where a run writes its report: untracked run.* unless `--update` asks for the committed latest.*. */
export function resultsBase(argv: readonly string[]): string {
  const name = argv.includes("--quick") ? "quick" : argv.includes("--update") ? "latest" : "run";
  return `${ROOT}bench/results/${name}`;
}

// ---------------------------------------------------------------- statistics

/** Nearest-rank percentile (q in 0..1) of unsorted samples. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export const median = (samples: readonly number[]) => percentile(samples, 0.5);

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    min: round(Math.min(...samples)),
    p50: round(percentile(samples, 0.5)),
    p90: round(percentile(samples, 0.9)),
    p99: round(percentile(samples, 0.99)),
    max: round(Math.max(...samples)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const utf8 = (text: string) => Buffer.byteLength(text, "utf8");
export const jsonBytes = (value: unknown) => utf8(JSON.stringify(value));
/** The usual rule of thumb for English and JSON: about 4 bytes per token. */
export const approxTokens = (bytes: number) => Math.round(bytes / 4);

// ---------------------------------------------------------------- the machine

export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  memTotalMiB: number;
  kernel: string;
  bun: string;
  loadavg1mAtStart: number;
  git: { commit: string; srcDirty: boolean };
}

export function machine(): Machine {
  const cpuinfo = safeRead("/proc/cpuinfo");
  const meminfo = safeRead("/proc/meminfo");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const git = (args: string[]) => {
    const r = Bun.spawnSync(["git", ...args], { cwd: ROOT, stdout: "pipe", stderr: "ignore" });
    return r.stdout.toString().trim();
  };
  const nproc = Number(Bun.spawnSync(["nproc"], { stdout: "pipe" }).stdout.toString().trim()) || cpus().length;
  return {
    date: new Date().toISOString(),
    nproc,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown",
    memTotalMiB: Math.round(memKb / 1024),
    kernel: release(),
    bun: Bun.version,
    loadavg1mAtStart: round(loadavg()[0] ?? 0, 2),
    git: { commit: git(["rev-parse", "--short", "HEAD"]), srcDirty: git(["status", "--porcelain", "--", "src"]) !== "" },
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Peak and current resident memory of a process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { peakRssMiB: number; rssMiB: number } | undefined {
  const status = safeRead(`/proc/${pid}/status`);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  if (!status) return undefined;
  return { peakRssMiB: round(kb("VmHWM") / 1024, 1), rssMiB: round(kb("VmRSS") / 1024, 1) };
}

// ---------------------------------------------------------------- the simulator

/** One GET straight to the simulator, read and parsed as the server's client does; returns body bytes. */
export async function directGet(sim: SimLike, pathAndQuery: string): Promise<number> {
  const response = await fetch(`${sim.url}/api2/json${pathAndQuery}`, { headers: { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` } });
  const text = await response.text();
  JSON.parse(text);
  if (!response.ok) throw new Error(`direct GET ${pathAndQuery} → ${response.status}`);
  return utf8(text);
}

/** "/nodes/pve1/qemu/100/config" + {type: "vm"} → the path and query as the server's client builds them. */
export function pathAndQuery(path: string, params: Record<string, string | string[]>): string {
  const query = encodeParams(params).toString();
  const encoded = buildPath(path.split("/").filter(Boolean));
  return query ? `${encoded}?${query}` : encoded;
}

// ---------------------------------------------------------------- raw JSON-RPC over stdio

/** A server spoken to in raw newline-delimited JSON-RPC: no client library in the clock. */
export class RawSession {
  readonly proc: ReturnType<typeof Bun.spawn<"pipe", "pipe", "ignore">>;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";

  constructor(command: string, env: Record<string, string>) {
    this.proc = Bun.spawn([command], { stdin: "pipe", stdout: "pipe", stderr: "ignore", env });
    this.reader = this.proc.stdout.getReader();
  }

  async send(message: object): Promise<void> {
    this.proc.stdin.write(`${JSON.stringify(message)}\n`);
    await this.proc.stdin.flush();
  }

  /** The raw line of the response to request `id`. */
  async response(id: number): Promise<string> {
    return (await this.reply(id)).line;
  }

  /** The response to request `id`: its line and the message parsed from it, once, as a client does. */
  async reply(id: number): Promise<{ line: string; message: Record<string, unknown> }> {
    for (;;) {
      let newline = this.buffer.indexOf("\n");
      while (newline !== -1) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        const message = line.trim() ? (JSON.parse(line) as Record<string, unknown>) : undefined;
        if (message?.id === id) return { line, message };
        newline = this.buffer.indexOf("\n");
      }
      const chunk = await this.reader.read();
      if (chunk.done) throw new Error(`server closed stdout before answering request ${id}`);
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  async initialize(): Promise<string> {
    await this.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "proxmox-mcp-bench", version: "1" } } });
    const line = await this.response(1);
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return line;
  }

  /** Closes stdin (the server then exits) and returns the CPU time the process used over its life. */
  async close(): Promise<{ cpuMs: number }> {
    await this.proc.stdin.end();
    const exited = await Promise.race([this.proc.exited, Bun.sleep(2000).then(() => "timeout" as const)]);
    if (exited === "timeout") {
      this.proc.kill();
      await this.proc.exited;
    }
    const usage = this.proc.resourceUsage();
    return { cpuMs: usage ? Number(usage.cpuTime.total) / 1000 : Number.NaN };
  }
}
