// 6. Concurrency: 100 read calls in flight at once on one MCP connection (a mix of guest
// look-ups, lists, cluster status and RRD summaries on the demo cluster's online nodes),
// all answered and none an error; total time against the same 100 calls one at a time.
import { connectStdio, envFor } from "../test/helpers/mcp.ts";
import { median, round } from "./lib.ts";
import { startSimHost } from "./sim-host.ts";

export interface ConcurrencyResult {
  inFlight: number;
  rounds: number;
  /** Answered in the worst round (all must be). */
  answered: number;
  /** Error answers in the worst round (none expected). */
  errors: number;
  errorSamples: string[];
  /** Median over rounds, ms. */
  concurrentMs: number;
  sequentialMs: number;
  speedup: number;
  /** How many of each tool the 100 calls hold. */
  mix: Record<string, number>;
}

// Guests of the demo cluster on its online nodes (pve3 is offline by design).
const VMIDS = [100, 101, 102, 103, 104, 105, 200, 201, 202, 203];

function mixOf(n: number): { name: string; arguments: Record<string, unknown> }[] {
  const calls: { name: string; arguments: Record<string, unknown> }[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0:
      case 1:
        calls.push({ name: "proxmox_get_resource", arguments: { vmid: VMIDS[i % VMIDS.length] } });
        break;
      case 2:
        calls.push({ name: i % 2 ? "proxmox_list_vms" : "proxmox_list_containers", arguments: {} });
        break;
      case 3:
        calls.push({ name: "proxmox_status", arguments: {} });
        break;
      default:
        calls.push({ name: "proxmox_resource_usage", arguments: { node: i % 2 ? "pve1" : "pve2" } });
    }
  }
  return calls;
}

export async function concurrency(opts: { binary: string; inFlight: number; rounds: number }): Promise<ConcurrencyResult> {
  const sim = await startSimHost();
  const session = await connectStdio(opts.binary, envFor(sim));
  const calls = mixOf(opts.inFlight);
  const mix: Record<string, number> = {};
  for (const c of calls) mix[c.name] = (mix[c.name] ?? 0) + 1;
  const concurrent: number[] = [];
  const sequential: number[] = [];
  let answered = Number.POSITIVE_INFINITY;
  let errors = 0;
  const errorSamples: string[] = [];
  try {
    await session.client.listTools();
    for (const c of calls.slice(0, 10)) await session.client.callTool(c); // warm-up
    for (let round = 0; round < opts.rounds; round++) {
      let started = performance.now();
      for (const c of calls) await session.client.callTool(c);
      sequential.push(performance.now() - started);

      started = performance.now();
      const settled = await Promise.allSettled(calls.map((c) => session.client.callTool(c)));
      concurrent.push(performance.now() - started);
      let ok = 0;
      let bad = 0;
      settled.forEach((s, i) => {
        const name = calls[i]?.name ?? "?";
        if (s.status === "rejected") {
          if (errorSamples.length < 3) errorSamples.push(`${name}: no answer: ${String(s.reason).slice(0, 200)}`);
          return;
        }
        ok++;
        const r = s.value as { isError?: boolean; content?: { text?: string }[] };
        if (r.isError) {
          bad++;
          if (errorSamples.length < 3) errorSamples.push(`${name}: ${(r.content?.[0]?.text ?? "").slice(0, 200)}`);
        }
      });
      answered = Math.min(answered, ok);
      errors = Math.max(errors, bad);
    }
  } finally {
    await session.close();
    await sim.stop();
  }
  const c = median(concurrent);
  const s = median(sequential);
  return { inFlight: opts.inFlight, rounds: opts.rounds, answered, errors, errorSamples, concurrentMs: round(c, 1), sequentialMs: round(s, 1), speedup: round(s / c, 2), mix };
}
