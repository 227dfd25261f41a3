// The goals and the Markdown a person reads at a glance; the JSON carries the same figures.
import type { ColdStartResult } from "./coldstart.ts";
import type { ConcurrencyResult } from "./concurrency.ts";
import type { Machine } from "./lib.ts";
import type { PerCallResult } from "./percall.ts";
import type { ClusterRun } from "./scale.ts";
import type { SurfaceResult } from "./surface.ts";

export interface Results {
  mode: "full" | "quick";
  command: string;
  machine: Machine;
  durationS: number;
  coldStart: ColdStartResult;
  perCall: PerCallResult;
  surface: SurfaceResult;
  clusters: ClusterRun[];
  concurrency: ConcurrencyResult;
  goals: Goal[];
}

export interface Goal {
  id: string;
  goal: string;
  measured: string;
  target: string;
  value: number | null;
  result: "PASS" | "FAIL" | "n/a";
}

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const kb = (n: number) => (n >= 10_000 ? `${(n / 1024).toFixed(0)} KiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const pct = (n: number) => `${(n * 100).toFixed(n < 0.1 ? 1 : 0)}%`;
const verdict = (ok: boolean | undefined): Goal["result"] => (ok === undefined ? "n/a" : ok ? "PASS" : "FAIL");

export function evaluateGoals(r: Omit<Results, "goals">): Goal[] {
  const goals: Goal[] = [];
  const c = r.coldStart;
  goals.push({
    id: "cold-start",
    goal: "Cold start (spawn → initialize → tools/list, SDK client) within 1.3× the floor",
    measured: `${ms(c.ours.toolsList.p50)} vs floor ${ms(c.floor.toolsList.p50)} = ${c.ratio}×`,
    target: "≤ 1.3×",
    value: c.ratio,
    result: verdict(c.ratio <= 1.3),
  });
  for (const v of r.perCall.variants) {
    goals.push({ id: `overhead-p50 ${v.label}`, goal: `Per-call overhead p50, get_resource (${v.label})`, measured: ms(v.overheadP50), target: "< 1 ms", value: v.overheadP50, result: verdict(v.overheadP50 < 1) });
    goals.push({ id: `overhead-p99 ${v.label}`, goal: `Per-call overhead p99, get_resource (${v.label})`, measured: ms(v.overheadP99), target: "< 5 ms", value: v.overheadP99, result: verdict(v.overheadP99 < 5) });
  }
  const at1000 = r.clusters.find((k) => k.guests === 1000);
  for (const tool of ["proxmox_list_vms", "proxmox_list_containers"]) {
    const call = at1000?.calls.find((x) => x.tool === tool && x.inventory);
    goals.push({
      id: `answer-ratio ${tool}`,
      goal: `Default ${tool} answer ≤ 25% of raw PVE bytes at 1,000 guests`,
      measured: call ? `${kb(call.answerBytes)} of ${kb(call.rawBytes)} = ${pct(call.ratio)}` : "not run",
      target: "≤ 25%",
      value: call ? call.ratio : null,
      result: verdict(call ? call.ratio <= 0.25 : undefined),
    });
  }
  const lists = r.clusters.flatMap((k) => k.calls.filter((x) => x.tool === "proxmox_list_vms" || x.tool === "proxmox_list_containers"));
  const maxReq = Math.max(...lists.map((x) => x.requests));
  goals.push({
    id: "inventory-one-request",
    goal: `Guest lists make one request at every cluster size (${r.clusters.map((k) => k.guests.toLocaleString("en-US")).join(", ")} guests)`,
    measured: `max ${maxReq} request${maxReq === 1 ? "" : "s"} per list call`,
    target: "= 1",
    value: maxReq,
    result: verdict(lists.length ? maxReq === 1 : undefined),
  });
  goals.push(...surfaceGoals(r.surface));
  const big = r.clusters.find((k) => k.guests === 10_000);
  goals.push({
    id: "peak-rss-10k",
    goal: "Server peak RSS (VmHWM) at 10,000 guests",
    measured: big ? `${big.peakRssMiB} MiB` : "not run",
    target: "< 100 MB",
    value: big ? big.peakRssMiB : null,
    // 100 MB = 95.4 MiB.
    result: verdict(big ? big.peakRssMiB * 2 ** 20 < 100e6 : undefined),
  });
  const k = r.concurrency;
  goals.push({
    id: "concurrency",
    goal: `${k.inFlight} tool calls in flight on one connection, all answered`,
    measured: `${k.answered}/${k.inFlight} answered, ${k.errors} errors, ${ms(k.concurrentMs)} total`,
    target: `${k.inFlight}/${k.inFlight}, 0 errors`,
    value: k.answered,
    result: verdict(k.answered === k.inFlight && k.errors === 0),
  });
  return goals;
}

export function markdown(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  const line = (s = "") => out.push(s);
  const row = (cells: (string | number)[]) => out.push(`| ${cells.join(" | ")} |`);
  const head = (cells: string[]) => {
    row(cells);
    row(cells.map(() => "---"));
  };

  line(`# proxmox-mcp benchmark${r.mode === "quick" ? " (quick smoke run: few samples, not for comparison)" : ""}`);
  line();
  line(`${m.date} · ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel} · ${(m.memTotalMiB / 1024).toFixed(1)} GiB RAM · Linux ${m.kernel} · Bun ${m.bun} · load ${m.loadavg1mAtStart} at start · commit ${m.git.commit}${m.git.srcDirty ? " + uncommitted src/ changes" : ""} · ${r.durationS} s`);
  line();
  line(`Reproduce: \`${r.command}\` (builds \`dist/proxmox-mcp\` as \`bun run build\` does, then runs \`bench/run.ts\`; \`bun run bench --quick\` is a reduced smoke run). The simulator (\`src/sim\`) runs in the bench process on loopback; the compiled binary is driven through the SDK's MCP client over stdio. Times are medians unless marked; the machine is shared, so compare ratios rather than absolute times.`);
  line();
  line("## Goals");
  line();
  head(["goal", "measured", "target", "result"]);
  for (const g of r.goals) row([g.goal, g.measured, g.target, `**${g.result}**`]);
  line();

  const c = r.coldStart;
  line(`## 1. Cold start (${c.runs} alternating runs each, after ${c.warmup} warm-up)`);
  line();
  head(["binary", "size", "SDK client: spawn → initialize, p50 (p90)", "SDK client: spawn → tools/list answered, p50 (p90)", "raw JSON-RPC: → initialize", "raw JSON-RPC: → tools/list", "peak RSS"]);
  const side = (name: string, s: ColdStartResult["ours"]) =>
    row([name, `${s.binaryMiB} MiB`, `${ms(s.initialize.p50)} (${ms(s.initialize.p90)})`, `**${ms(s.toolsList.p50)}** (${ms(s.toolsList.p90)})`, `${ms(s.rawInitialize.p50)} (${ms(s.rawInitialize.p90)})`, `${ms(s.rawToolsList.p50)} (${ms(s.rawToolsList.p90)})`, `${s.peakRssMiB} MiB`]);
  side("proxmox-mcp", c.ours);
  side("floor (bench/floor-server.ts: same SDK, one tool)", c.floor);
  const r2 = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  row(["**ratio**", "", r2(c.ours.initialize.p50, c.floor.initialize.p50), `**${c.ratio}×**`, r2(c.ours.rawInitialize.p50, c.floor.rawInitialize.p50), `${c.rawRatio}×`, r2(c.ours.peakRssMiB, c.floor.peakRssMiB)]);
  line();
  if (c.modernToolsList) line(`2026-07-28 era (\`server/discover\` instead of \`initialize\`, SDK client pinned), proxmox-mcp: spawn → tools/list answered ${ms(c.modernToolsList.p50)} (p90 ${ms(c.modernToolsList.p90)}, ${c.modernToolsList.n} runs)${c.modernFloorToolsList ? `; the floor ${ms(c.modernFloorToolsList.p50)} (p90 ${ms(c.modernFloorToolsList.p90)}): the SDK's newer handshake costs both alike` : ""}.`);
  line();

  const p = r.perCall;
  line(`## 2. Per-call overhead, \`proxmox_get_resource\` (${p.calls} calls each, demo cluster)`);
  line();
  line("Overhead = percentile of the tool's latency through the MCP client − the same percentile of a direct `fetch` of the same GETs in the same order (interleaved call by call).");
  line();
  head(["arguments", "GETs the tool makes", "tool p50 / p99", "direct p50 / p99", "overhead p50", "overhead p99", "in-process (no stdio) overhead p50"]);
  for (const v of p.variants) {
    row([
      `\`${JSON.stringify(v.args)}\``,
      v.gets.map((b) => b.join(" ∥ ")).join(" → "),
      `${ms(v.tool.p50)} / ${ms(v.tool.p99)}`,
      `${ms(v.direct.p50)} / ${ms(v.direct.p99)}`,
      `**${ms(v.overheadP50)}**`,
      `**${ms(v.overheadP99)}**`,
      ms(v.inProcessOverheadP50),
    ]);
  }
  line();
  line(`Reference: one MCP round trip to the floor server's no-op tool (same SDK, client and stdio included) takes ${ms(p.floorRoundTrip.p50)} p50 / ${ms(p.floorRoundTrip.p99)} p99; that much of the overhead is the protocol, not proxmox-mcp.`);
  line();

  const s = r.surface;
  line("## 3. Token cost of the tool surface (`tools/list` result, ≈4 bytes/token)");
  line();
  head(["toolsets", "tools", "model-facing bytes (name, description, inputSchema)", "≈tokens", "full tools/list bytes"]);
  for (const set of [s.sets.default, s.sets.all]) {
    row([set.toolsets ? `PROXMOX_TOOLSETS=${set.toolsets}` : "default (unset)", set.tools, `**${set.modelBytes.toLocaleString("en-US")}**`, set.modelTokens.toLocaleString("en-US"), set.fullBytes.toLocaleString("en-US")]);
  }
  line();
  head(["", "tools", "bytes", "≈tokens"]);
  row(["all tools", s.tools, s.bytes.toLocaleString("en-US"), `**${s.tokens.toLocaleString("en-US")}**`]);
  row(["PROXMOX_READ_ONLY=true", s.readOnly.tools, s.readOnly.bytes.toLocaleString("en-US"), s.readOnly.tokens.toLocaleString("en-US")]);
  row(["floor server (one tool)", 1, s.floor.bytes.toLocaleString("en-US"), Math.round(s.floor.bytes / 4)]);
  row(["`initialize` result (instructions: " + s.initialize.instructions + " B)", "", s.initialize.bytes.toLocaleString("en-US"), s.initialize.tokens.toLocaleString("en-US")]);
  line();
  const part = (n: number) => `${n.toLocaleString("en-US")} (${pct(n / s.bytes)})`;
  line(`By part, all tools: descriptions ${part(s.byPart.description)}, input schemas ${part(s.byPart.inputSchema)}, output schemas ${part(s.byPart.outputSchema)}, name/title/annotations/punctuation ${part(s.byPart.other)} bytes.`);
  line();
  head(["tool", "bytes", "≈tokens", "description", "inputSchema", "outputSchema", "other"]);
  for (const t of s.perTool) row([t.name, t.bytes, t.tokens, t.description, t.inputSchema, t.outputSchema, t.other]);
  line();

  line("## 4. Token cost of answers (answer = text + structuredContent; raw = bodies of the same PVE GETs)");
  line();
  head(["cluster", "tool", "arguments", "returned / total", "answer bytes (≈tokens)", "raw PVE bytes (≈tokens)", "answer / raw"]);
  for (const k of r.clusters) {
    for (const x of k.calls.filter((y) => y.answer)) {
      row([
        k.cluster,
        x.tool,
        x.label,
        x.total === undefined ? "" : `${x.returned} / ${x.total}`,
        `${kb(x.answerBytes)} (${x.answerTokens.toLocaleString("en-US")})`,
        `${kb(x.rawBytes)} (${x.rawTokens.toLocaleString("en-US")})`,
        x.inventory && k.guests === 1000 ? `**${pct(x.ratio)}**` : pct(x.ratio),
      ]);
    }
  }
  line();

  line("## 5. Scale: requests, time per call, server memory");
  line();
  const tools = [...new Set(r.clusters.flatMap((k) => k.calls.map((x) => `${x.tool}|${x.label}`)))];
  head(["tool", "arguments", ...r.clusters.map((k) => `${k.cluster}: requests · ms/call (direct GETs)`)]);
  for (const key of tools) {
    const [tool, label] = key.split("|") as [string, string];
    row([
      tool,
      label,
      ...r.clusters.map((k) => {
        const x = k.calls.find((y) => y.tool === tool && y.label === label);
        return x ? `${x.requests} · ${ms(x.msPerCall)} (${ms(x.msDirect)})${x.isError ? " ERROR" : ""}` : "";
      }),
    ]);
  }
  line();
  head(["cluster", "simulator start", "server peak RSS (VmHWM)", "server RSS at end", "requests the schema check rejected"]);
  for (const k of r.clusters) row([k.cluster, `${k.simStartMs} ms`, `**${k.peakRssMiB} MiB**`, `${k.rssMiB} MiB`, k.rejections]);
  line();

  const k = r.concurrency;
  line(`## 6. Concurrency (${k.inFlight} calls in flight on one connection, demo cluster, median of ${k.rounds} round${k.rounds === 1 ? "" : "s"})`);
  line();
  head(["answered", "errors", "all in flight: total", "one at a time: total", "speed-up", "mix"]);
  row([`${k.answered}/${k.inFlight}`, k.errors, `**${ms(k.concurrentMs)}**`, ms(k.sequentialMs), `${k.speedup}×`, Object.entries(k.mix).map(([n, c]) => `${n.replace("proxmox_", "")} ×${c}`).join(", ")]);
  if (k.errorSamples.length) {
    line();
    for (const e of k.errorSamples) line(`- ${e}`);
  }
  line();
  return out.join("\n");
}

/** The tool-list goals: model-facing bytes of the default set and of every tool, and the contract every tool keeps. */
export function surfaceGoals(surface: SurfaceResult): Goal[] {
  const goals: Goal[] = [];
  for (const [key, budget] of [["default", 24_000], ["all", 48_000]] as const) {
    const set = surface.sets[key];
    goals.push({
      id: `surface-${key}`,
      goal: `Model-facing bytes of tools/list, ${key === "default" ? "the default toolset (PROXMOX_TOOLSETS unset)" : "every tool (PROXMOX_TOOLSETS=all)"}: Σ JSON.stringify({name, description, inputSchema})`,
      measured: `${set.modelBytes.toLocaleString("en-US")} B for ${set.tools} tools (full result ${set.fullBytes.toLocaleString("en-US")} B)`,
      target: `≤ ${budget.toLocaleString("en-US")} B`,
      value: set.modelBytes,
      result: verdict(set.modelBytes <= budget),
    });
  }
  const broken = [...surface.sets.all.missingAnnotations.map((t) => `${t}: annotations`), ...surface.sets.all.undocumented.map((p) => `${p}: no description`)];
  goals.push({
    id: "surface-contract",
    goal: "Every listed tool keeps all four annotations and a description for every parameter",
    measured: broken.length ? broken.slice(0, 5).join("; ") + (broken.length > 5 ? ` (+${broken.length - 5})` : "") : `${surface.sets.all.tools} tools, none missing`,
    target: "none missing",
    value: broken.length,
    result: verdict(broken.length === 0),
  });
  return goals;
}
