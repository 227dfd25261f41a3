// `--demo-scenario`: the demo shows a real-world situation, with the honest answers of issue 10.
import { describe, expect, test } from "bun:test";
import { runBinary } from "../helpers/harness.ts";

const PATH_ONLY = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

describe("demo scenarios", () => {
  test("tour --demo-scenario standalone tours a single node: no cluster, root disk flagged, corosync not an alarm", async () => {
    const run = await runBinary(["tour", "--demo-scenario", "standalone"], PATH_ONLY);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Standalone node (no cluster)");
    expect(run.stdout).toContain("Root filesystem 95% full");
    expect(run.stdout).not.toContain("NOT active");
  });

  test("PROXMOX_DEMO_SCENARIO=readonly-token shows that PVE hides backups from the README's token", async () => {
    const run = await runBinary(["tour"], { ...PATH_ONLY, PROXMOX_DEMO_SCENARIO: "readonly-token" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("does NOT mean there are none");
    expect(run.stdout).toContain("Datastore.AllocateSpace");
  });

  test("--demo-scenario with an unknown name stops with the names it accepts", async () => {
    const run = await runBinary(["tour", "--demo-scenario", "nosuch"], PATH_ONLY);
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toContain("standalone");
    expect(run.stderr + run.stdout).not.toMatch(/\n\s+at /);
  });
});
