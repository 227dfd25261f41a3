// Item 6 of issue 11, as the attack: an upstream (PVE, or a proxy in front of it) echoes
// the token secret spelled with JSON escapes ("\u002d" for "-": valid JSON, the same
// string once parsed), inside a field the server shortens (config values at 300
// characters, snapshot descriptions at 200, backup notes at 120, a task id at 60). No run
// of 12 or more of the secret's characters may come out, on stdout or stderr.
import { afterAll, describe, expect, test } from "bun:test";
import { Redactor } from "../../src/security/redactor.ts";
import { envFor } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { findSecret, rawCall, SECRET, spawnRaw } from "./support.ts";
import { hostileUpstream, jsonEscaped, type Upstream } from "./upstream.ts";

const sim = useSimulator({ taskDurationMs: 100, tokenSecret: SECRET });
const upstreams: Upstream[] = [];
afterAll(async () => {
  for (const u of upstreams) await u.stop();
});

/** Calls one tool through the compiled binary behind a hostile upstream; every byte it wrote. */
async function through(rules: Parameters<typeof hostileUpstream>[1], name: string, args: Record<string, unknown>, extraEnv: Record<string, string> = {}) {
  const upstream = hostileUpstream(sim(), rules);
  upstreams.push(upstream);
  const server = spawnRaw(envFor(upstream, { PROXMOX_LOG_LEVEL: "debug", ...extraEnv }));
  let answer = "";
  try {
    await server.initialize();
    answer = (await rawCall(server, name, args)).text;
  } finally {
    await server.closeStdin();
  }
  await server.exited;
  return { answer, stdout: server.stdout(), stderr: server.stderr() };
}

/** A field of `length` characters that ends `keep` characters into the escaped secret. */
function fieldCutting(length: number, keep: number): string {
  return `${"x".repeat(length - keep)}${jsonEscaped(SECRET)}`;
}

function expectNoRun(run: { stdout: string; stderr: string }): void {
  expect(findSecret(run.stdout, SECRET)).toBeUndefined();
  expect(findSecret(run.stderr, SECRET)).toBeUndefined();
}

describe("a secret spelled with JSON escapes in a field the server shortens", () => {
  test("a config value cut at 300 characters leaves no run of the secret", async () => {
    const run = await through(
      { answer: (_m, path) => (/\/qemu\/100\/config$/.test(path) ? `{"data":{"name":"web-01","description":"${fieldCutting(300, 30)}","digest":"0"}}` : undefined) },
      "proxmox_get_resource",
      { vmid: 100 },
    );
    expect(run.answer).toContain("description");
    expectNoRun(run);
  });

  test("a snapshot description cut at 200 characters leaves no run of the secret", async () => {
    const run = await through(
      { answer: (_m, path) => (/\/qemu\/100\/snapshot$/.test(path) ? `{"data":[{"name":"s1","snaptime":1700000000,"description":"${fieldCutting(200, 25)}"},{"name":"current","description":"You are here!"}]}` : undefined) },
      "proxmox_list_snapshots",
      { vmid: 100 },
    );
    expect(run.answer).toContain("s1");
    expectNoRun(run);
  });

  test("backup notes cut at 120 characters leave no run of the secret", async () => {
    const run = await through(
      {
        rewrite: (path, text) => (/\/storage\/nas-backup\/content$/.test(path) ? text.replace(/"notes":"[^"]*"/, `"notes":"${fieldCutting(120, 20)}"`) : text),
      },
      "proxmox_list_backups",
      { vmid: 100 },
    );
    expect(run.answer).toContain("vzdump");
    expectNoRun(run);
  });

  test("a write answered without a task id, quoted at 60 characters, leaves no run of the secret", async () => {
    const run = await through(
      { answer: (method, path) => (method === "POST" && /\/status\/start$/.test(path) ? `{"data":{"x":"${"y".repeat(30)}${jsonEscaped(SECRET)}"}}` : undefined) },
      "proxmox_start_resource",
      { vmid: 105, confirm: true },
    );
    expect(run.answer).toContain("without a task id");
    expectNoRun(run);
  });

  test("the whole secret in a guest name, spelled with escapes, is masked", async () => {
    const run = await through(
      { answer: (_m, path) => (path === "/cluster/resources" ? `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"a${jsonEscaped(SECRET)}","status":"running"}]}` : undefined) },
      "proxmox_list_vms",
      {},
    );
    expect(run.answer).toContain("[REDACTED]");
    expectNoRun(run);
  });
});

describe("the redactor's final pass", () => {
  const redactor = new Redactor();
  redactor.register(SECRET);

  for (const [from, to] of [
    [0, 12],
    [5, 17],
    [24, 36],
    [3, 30],
  ] as const) {
    test(`masks characters ${from}–${to} of the secret on their own (what a cut leaves)`, () => {
      const out = redactor.redact(`before ${SECRET.slice(from, to)} after`);
      expect(out).toBe("before [REDACTED] after");
    });
  }

  test("masks a run of the secret inside a deep structure", () => {
    const out = redactor.redactDeep({ a: [{ b: `notes: ${SECRET.slice(10, 30)}…` }] });
    expect(JSON.stringify(out)).not.toContain(SECRET.slice(10, 22));
  });

  test("leaves an 11-character piece alone: too short to be told from ordinary text", () => {
    const piece = SECRET.slice(0, 11);
    expect(redactor.redact(`x ${piece} y`)).toBe(`x ${piece} y`);
  });
});
