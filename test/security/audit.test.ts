// The audit gaps of issue 11, as attacks on the record of what was done: a write whose
// arguments are nested too deep to serialise, a refused call carrying megabytes or nested
// passwords, a write pointed at a cluster that does not exist, and a write that ran
// without saying on which cluster. Every write attempt leaves one bounded, masked line.
import { describe, expect, test } from "bun:test";
import { useSimulator } from "../helpers/sim.ts";
import { inProcessRegistry, SECRET } from "./support.ts";

const sim = useSimulator({ taskDurationMs: 50, tokenSecret: SECRET });

function auditLines(logs: string[]): Record<string, unknown>[] {
  return logs.filter((l) => l.includes('"audit":true')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { deeper: value };
  return value;
}

describe("the audit record of a write attempt", () => {
  test("arguments nested 100,000 levels deep still leave a record, and a short one", async () => {
    const { registry, logs, requests } = inProcessRegistry(sim());
    const outcome = await registry.call("proxmox_start_resource", { vmid: 105, confirm: true, extra: nested(100_000, "bottom") });
    expect(outcome.isError).toBe(true);
    expect(requests).toEqual([]);
    const lines = auditLines(logs);
    expect(lines.length).toBe(1);
    expect(lines[0]?.decision).toBe("refused");
    expect(logs.find((l) => l.includes('"audit":true'))?.length ?? 0).toBeLessThan(8 * 1024);
  });

  test("a refused call carrying a 4 MB argument leaves a record under 8 KiB that says it was cut", async () => {
    const { registry, logs } = inProcessRegistry(sim());
    await registry.call("proxmox_start_resource", { vmid: 105, extra: "x".repeat(4 * 1024 * 1024) });
    const line = logs.find((l) => l.includes('"audit":true')) ?? "";
    expect(line.length).toBeGreaterThan(0);
    expect(line.length).toBeLessThan(8 * 1024);
    expect(line).toContain("chars]");
  });

  test("a thousand-item list in a refused call is recorded in part, saying how many were left out", async () => {
    const { registry, logs } = inProcessRegistry(sim());
    await registry.call("proxmox_start_resource", { vmid: 105, extra: Array.from({ length: 1000 }, (_, i) => `item-${i}`) });
    const line = logs.find((l) => l.includes('"audit":true')) ?? "";
    expect(line.length).toBeLessThan(8 * 1024);
    expect(line).toContain("more items");
  });

  test("a password nested inside a refused call's arguments is masked", async () => {
    const { registry, logs } = inProcessRegistry(sim());
    await registry.call("proxmox_create_container", {
      node: "pve1",
      hostname: "ct-1",
      ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      password: "top-level-pw-1",
      extra: { deep: [{ password: "nested-pw-2", api_token: "nested-token-3", client_secret: "nested-secret-4" }] },
    });
    const line = logs.find((l) => l.includes('"audit":true')) ?? "";
    expect(line).toContain("[REDACTED]");
    for (const value of ["top-level-pw-1", "nested-pw-2", "nested-token-3", "nested-secret-4"]) expect(line).not.toContain(value);
  });

  test("a write aimed at a cluster this server does not serve is audited as refused", async () => {
    const { registry, logs, requests } = inProcessRegistry(sim());
    const outcome = await registry.call("proxmox_start_resource", { vmid: 105, confirm: true, instance: "no-such-cluster" });
    expect(outcome.isError).toBe(true);
    expect(requests).toEqual([]);
    const [line] = auditLines(logs);
    expect(line?.decision).toBe("refused");
    expect(line?.instance).toBe("no-such-cluster");
  });

  test("an executed write records the cluster it ran on", async () => {
    const { registry, logs } = inProcessRegistry(sim());
    const outcome = await registry.call("proxmox_start_resource", { vmid: 105, confirm: true });
    expect(outcome.isError).toBe(false);
    const done = auditLines(logs).find((l) => l.outcome === "ok");
    expect(done?.instance).toBe("default");
    await registry.call("proxmox_stop_resource", { vmid: 105, confirm: true, wait: true });
  });
});
