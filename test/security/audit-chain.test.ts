// The keyed hash chain over audit lines, attacked the way someone with write access to the
// log file would: change a decision, drop a record, swap two, re-seal with a key of their own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { envFor, runBinary } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";
import { GENESIS, seal } from "../../src/security/audit-chain.ts";

const sim = useSimulator();
const KEY = "audit-key-9d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f";
let log: string;
let lines: string[];

const env = (extra: Record<string, string> = {}) => envFor(sim(), { PROXMOX_AUDIT_LOG: log, PROXMOX_AUDIT_KEY: KEY, ...extra });

beforeAll(async () => {
  log = join(scratchDir("audit"), "audit.jsonl");
  // One process per call: each continues the chain the last one left in the file.
  const calls: [string, Record<string, unknown>][] = [
    ["proxmox_start_resource", { vmid: 104, confirm: true }],
    ["proxmox_stop_resource", { vmid: 100 }],
    ["proxmox_start_resource", { vmid: 105, confirm: true }],
    ["proxmox_reboot_resource", { vmid: 101 }],
    ["proxmox_stop_resource", { vmid: 104 }],
  ];
  for (const [tool, args] of calls) await runBinary(["call", tool, JSON.stringify(args)], env());
  lines = readFileSync(log, "utf8").trim().split("\n");
});
afterAll(removeScratchDirs);

async function verify(text: string, extra: Record<string, string> = {}) {
  const file = join(scratchDir("audit"), "copy.jsonl");
  writeFileSync(file, text);
  return runBinary(["audit", "verify", file], { PATH: process.env.PATH ?? "/usr/bin:/bin", PROXMOX_AUDIT_KEY: KEY, ...extra });
}

describe("audit hash chain", () => {
  test("five writes from five processes make one intact chain, seq 1 to N", async () => {
    // Three refusals (one line each) and two writes that ran (approved, then allowed).
    expect(lines.map((l) => JSON.parse(l).decision)).toEqual(["approved", "allowed", "refused", "approved", "allowed", "refused", "refused"]);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const run = await verify(`${lines.join("\n")}\n`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("intact, 7 record(s)");
  });

  test("the key never appears in the log or in verify's output", async () => {
    expect(readFileSync(log, "utf8")).not.toContain(KEY);
    expect((await verify(lines.join("\n"))).stdout).not.toContain(KEY);
  });

  test("a refusal rewritten as allowed is reported as altered, at its line", async () => {
    const forged = [...lines];
    const at = forged.findIndex((l) => l.includes('"decision":"refused"'));
    forged[at] = (forged[at] as string).replace('"decision":"refused"', '"decision":"allowed"');
    expect(forged[at]).not.toBe(lines[at]);
    const run = await verify(forged.join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`line ${at + 1}: altered`);
  });

  test("a record removed from the middle is reported at the line after the gap", async () => {
    const run = await verify([lines[0], lines[1], lines[3], lines[4]].join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("line 3: removed: seq 3 missing");
  });

  test("two records swapped are reported as reordered", async () => {
    const run = await verify([lines[0], lines[2], lines[1], lines[3], lines[4]].join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("line 2: reordered: seq 3 comes where seq 2 belongs (seq 2 is at line 3)");
  });

  test("the first record removed is reported: the chain must start at seq 1", async () => {
    const run = await verify(lines.slice(1).join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("line 1: the chain starts at seq 2");
  });

  test("a forged record sealed with the attacker's own key is reported as altered", async () => {
    const last = JSON.parse(lines.at(-1) as string);
    const state = { seq: last.seq, prev: last.mac };
    const forged = seal(JSON.stringify({ time: new Date().toISOString(), audit: true, tool: "proxmox_destroy_resource", args: { vmid: 100 }, decision: "allowed", outcome: "ok" }), "attacker-key-000000000000000000000000", state);
    const run = await verify([...lines, forged].join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`line ${lines.length + 1}: altered`);
  });

  test("an unsealed record slipped into the chain is reported", async () => {
    const plain = JSON.stringify({ time: new Date().toISOString(), audit: true, tool: "proxmox_start_resource", args: {}, decision: "allowed", outcome: "ok" });
    const run = await verify([lines[0], plain, ...lines.slice(1)].join("\n"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("line 2: an audit record without a mac");
  });

  test("ordinary log lines between records (a captured stderr) are skipped", async () => {
    const run = await verify(lines.flatMap((l) => ["proxmox-mcp info: something", l]).join("\n"));
    expect(run.code).toBe(0);
  });

  test("a new chain begun by a process with a fresh log is accepted and named", async () => {
    const fresh = seal(JSON.stringify({ time: new Date().toISOString(), audit: true, tool: "t", args: {}, decision: "refused", outcome: "write_gate" }), KEY, { seq: 0, prev: GENESIS });
    const run = await verify([...lines, fresh].join("\n"));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`a new chain began at line ${lines.length + 1}`);
  });

  test("verify without the key refuses to guess", async () => {
    const run = await verify(lines.join("\n"), { PROXMOX_AUDIT_KEY: "" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_AUDIT_KEY");
  });

  test("a short key stops start-up", async () => {
    const run = await runBinary(["call", "proxmox_status"], env({ PROXMOX_AUDIT_KEY: "short" }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("at least 32");
  });
});
