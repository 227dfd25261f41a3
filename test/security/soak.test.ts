// Soak: a few thousand mixed tool calls (reads, gated writes with and without consent, valid
// and invalid arguments) through ONE server process — the compiled binary behind a real MCP
// client, 8 calls in flight — while the simulator fails requests at random (seeded):
// latency, 500, 595, HTML, malformed JSON, truncated bodies, {data: null}, and a few hangs
// that the server's 1 s PROXMOX_TIMEOUT_MS must cut. Every call must get an answer, the
// server's memory must stay flat, and the secret must appear nowhere.
//
// How many calls: CALLS (3,000), stopped early at DEADLINE_MS (75 s) on a slow machine;
// typically 15–30 s on 2 cores. The seed is printed; FUZZ_SEED=<n> replays a run.
import { describe, expect, test } from "bun:test";
import type { Fault, FaultRule } from "../../src/sim/index.ts";
import { envFor } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import {
  answerProblem,
  type Case,
  callAny,
  describeArgs,
  findSecret,
  generateCase,
  hostileValues,
  inProcessRegistry,
  pool,
  Rng,
  SECRET,
  seedFromEnv,
  serveBinary,
  toolShapes,
  validPool,
} from "./support.ts";

const CALLS = 3_000;
const IN_FLIGHT = 8;
const DEADLINE_MS = 75_000;
const PVE_TIMEOUT_MS = 1_000;
const MIB = 1024;
const LONG = 120_000;

const sim = useSimulator({ taskDurationMs: 30, tokenSecret: SECRET });
const SEED = seedFromEnv("soak.test.ts");

/** A random fault for the next request to arrive, whatever it is. */
function randomFault(rng: Rng): FaultRule {
  const r = rng.float();
  let fault: Fault;
  if (r < 0.3) fault = { kind: "latency", delayMs: rng.int(20, 400) };
  else if (r < 0.45) fault = { kind: "status", status: 500, message: "simulated failure" };
  else if (r < 0.6) fault = { kind: "status", status: 595, message: "No route to host" };
  else if (r < 0.7) fault = { kind: "html", status: rng.pick([200, 502, 503]) };
  else if (r < 0.8) fault = { kind: "malformed-json" };
  else if (r < 0.9) fault = { kind: "truncated" };
  else if (r < 0.985) fault = { kind: "null-data" };
  else fault = { kind: "hang" };
  // {data: null} from /cluster/nextid makes the create tools send vmid 0 (see the todo test
  // below); the soak leaves that path alone so that bug does not mask everything else.
  return fault.kind === "null-data" ? { path: /^(?!\/cluster\/nextid)/, times: 1, fault } : { times: 1, fault };
}

interface Soak {
  issued: number;
  answered: number;
  byKind: Map<string, number>;
  problems: string[];
  rpcErrors: string[];
  rss: { at: number; kb: number }[];
  earlyKb: number;
  lateKb: number;
  stderr: string;
  ms: number;
  aliveAfter: boolean;
  finalOk: boolean;
  goneAfterClose: boolean;
}

let soak: Promise<Soak> | undefined;

function runSoak(): Promise<Soak> {
  soak ??= (async () => {
    const started = performance.now();
    const s = sim();
    const rng = new Rng(SEED);
    const faults = rng.fork(0xfa);
    const shapes = toolShapes(inProcessRegistry(s).registry);
    const reads = shapes.filter((x) => x.tool.tier === 1);
    const writes = shapes.filter((x) => x.tool.tier === 2);
    const destructive = shapes.filter((x) => x.tool.tier === 3);
    const valid = validPool(s);
    const hostile = hostileValues(SECRET);
    const cases: Case[] = [];
    while (cases.length < CALLS) {
      const r = rng.float();
      const shape = rng.pick(r < 0.65 ? reads : r < 0.9 ? writes : destructive);
      const c = generateCase(rng, shape, valid, hostile, 0.75);
      if (c.args !== null && typeof c.args === "object" && !Array.isArray(c.args)) cases.push(c);
    }

    const server = await serveBinary(envFor(s, { PROXMOX_ENABLE_DESTRUCTIVE: "1", PROXMOX_TIMEOUT_MS: String(PVE_TIMEOUT_MS) }));
    const result: Soak = { issued: 0, answered: 0, byKind: new Map(), problems: [], rpcErrors: [], rss: [], earlyKb: 0, lateKb: 0, stderr: "", ms: 0, aliveAfter: false, finalOk: false, goneAfterClose: false };
    const sample = () => result.rss.push({ at: result.answered, kb: server.rssKb() });
    try {
      sample();
      await pool(cases, IN_FLIGHT, async (c) => {
        if (performance.now() - started > DEADLINE_MS) return;
        if (faults.chance(0.3)) s.injectFault(randomFault(faults));
        result.issued++;
        const answer = await callAny(server.client, c.tool, c.args, 20_000);
        result.answered++;
        const kind = answer.kind === "rpc-error" ? "rpc-error" : answer.isError ? "tool error" : "ok";
        result.byKind.set(kind, (result.byKind.get(kind) ?? 0) + 1);
        if (answer.kind === "rpc-error") result.rpcErrors.push(`${c.tool} ${describeArgs(c.args)} → ${answer.text.slice(0, 300)}`);
        const problem = answerProblem(`${answer.text}\n${JSON.stringify(answer.structured ?? null)}`, SECRET);
        if (problem) result.problems.push(`${c.tool} ${describeArgs(c.args)} → ${problem}`);
        if (result.answered % Math.round(CALLS / 10) === 0) {
          sample();
          if (result.answered === Math.round(CALLS / 10)) result.earlyKb = server.rssKb();
        }
      });
      s.clearFaults();
      result.lateKb = server.rssKb();
      sample();
      result.aliveAfter = server.alive();
      const final = await callAny(server.client, "proxmox_status", {});
      result.finalOk = final.kind === "result" && !final.isError;
      result.stderr = server.stderr();
    } finally {
      await server.close();
    }
    await Bun.sleep(200);
    result.goneAfterClose = !server.alive();
    result.ms = performance.now() - started;
    if (result.earlyKb === 0) result.earlyKb = result.rss[1]?.kb ?? result.rss[0]?.kb ?? 0;
    const kinds = [...result.byKind].map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(
      `soak: ${result.answered}/${result.issued} calls answered in ${Math.round(result.ms)} ms (${kinds}); ` +
        `RSS early ${Math.round(result.earlyKb / MIB)} MB, late ${Math.round(result.lateKb / MIB)} MB; ` +
        `series ${result.rss.map((x) => `${x.at}:${Math.round(x.kb / MIB)}`).join(" ")} (MB); seed ${SEED}`,
    );
    return result;
  })();
  return soak;
}

describe(`soak: up to ${CALLS} mixed calls, ${IN_FLIGHT} in flight, through one server process with random faults`, () => {
  test("every call gets an answer, within the time bound", async () => {
    const run = await runSoak();
    expect(run.issued).toBeGreaterThanOrEqual(1_000);
    expect(run.answered).toBe(run.issued);
    expect(run.rpcErrors).toEqual([]);
    expect(run.ms).toBeLessThan(90_000);
  }, LONG);

  test("the server's memory stays flat (late RSS < early × 1.5 + 30 MB)", async () => {
    const run = await runSoak();
    expect(run.earlyKb).toBeGreaterThan(0);
    expect(run.lateKb).toBeLessThan(run.earlyKb * 1.5 + 30 * MIB);
  }, LONG);

  test("no answer carries the secret, a stack frame or a source path", async () => {
    expect((await runSoak()).problems).toEqual([]);
  }, LONG);

  test("stderr never carries the secret", async () => {
    const run = await runSoak();
    expect(run.stderr.length).toBeGreaterThan(0);
    expect(findSecret(run.stderr, SECRET)).toBeUndefined();
  }, LONG);

  test("the server is still serving afterwards, and exits when the client closes stdin", async () => {
    const run = await runSoak();
    expect(run.aliveAfter).toBe(true);
    expect(run.finalOk).toBe(true);
    expect(run.goneAfterClose).toBe(true);
  }, LONG);
});

// ---------------------------------------------------------------------------------------
// What the soak's {data: null} faults found. Each is a real bug in src/; the tests are
// marked todo until it is fixed (run them with `bun test --todo test/security/soak.test.ts`).

describe("{data: null} where Proxmox should have sent an object", () => {
  // BUG (src/tools/tasks.ts getTaskStatusTool handler, src/pve/task-wait.ts waitForTask,
  // src/tools/nodes.ts nodeStatus handler): the code reads fields of `data` without checking
  // it is an object, so the call ends in "Internal error in proxmox-mcp" instead of a clear
  // bad_response error like the client gives for an empty or truncated body.
  test("a null task status or node status is a bad_response error, not an internal error", async () => {
    const s = sim();
    const { registry } = inProcessRegistry(s);
    const upid = s.tasks.tasks.find((t) => t.node === "pve1")?.upid as string;
    for (const [tool, args, path] of [
      ["proxmox_get_task_status", { upid }, /\/tasks\/.*\/status/],
      ["proxmox_wait_task", { upid, timeout_s: 1 }, /\/tasks\/.*\/status/],
      ["proxmox_node_status", { node: "pve1" }, /^\/nodes\/pve1\/status/],
    ] as const) {
      s.injectFault({ path, fault: { kind: "null-data" } });
      const outcome = await registry.call(tool, args);
      s.clearFaults();
      expect({ tool, code: outcome.code }).toEqual({ tool, code: "bad_response" });
    }
  });

  // BUG (src/pve/tasks.ts taskNode via finishTask in src/tools/writes.ts): a write whose answer
  // is {data: null} instead of a UPID crashes on upid.slice; the model reads "Internal error"
  // although the write was sent and may have happened.
  test("a write answered with {data: null} instead of a UPID says the write may have reached Proxmox", async () => {
    const s = sim();
    const { registry } = inProcessRegistry(s);
    // The soak above may have started any guest; pick one that is stopped now.
    const stopped = [...s.state.guests.values()].find((g) => g.status === "stopped" && !g.template && s.state.node(g.node)?.online);
    if (!stopped) throw new Error("the demo cluster should have a stopped guest on an online node");
    s.injectFault({ method: "POST", path: /\/status\/start$/, fault: { kind: "null-data" } });
    const outcome = await registry.call("proxmox_start_resource", { vmid: stopped.vmid, confirm: true });
    expect(outcome.code).not.toBe("internal");
    expect(outcome.text).toMatch(/may have|check .*recent_tasks/i);
  });

  // BUG (src/tools/provision.ts pickNewVmid): Number(null) is 0, which passes
  // Number.isInteger, so {data: null} from GET /cluster/nextid makes proxmox_create_vm,
  // proxmox_create_container and proxmox_clone_resource POST vmid/newid 0 — a write request
  // the official schema rejects (400 "value does not look like a valid VM ID").
  test("{data: null} from /cluster/nextid refuses the create before any write request", async () => {
    const s = sim();
    const { registry, requests } = inProcessRegistry(s);
    s.injectFault({ path: "/cluster/nextid", fault: { kind: "null-data" } });
    const outcome = await registry.call("proxmox_create_vm", { node: "pve1", name: "soak-nextid", confirm: true });
    expect(outcome.isError).toBe(true);
    expect(requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(s.rejections).toEqual([]);
  });
});
