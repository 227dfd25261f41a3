import { describe, expect, test } from "bun:test";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { testRegistry } from "../helpers/runtime.ts";

// Tools whose tier follows the call (proxmox_api) have their own gate tests (api-door.test.ts).
const writes = ALL_TOOLS.filter((t) => t.tier > 1 && !t.tierFor);
const tier3 = ALL_TOOLS.filter((t) => t.tier === 3 && !t.tierFor);
const ARGS = { vmid: 100, node: "pve1", name: "snap1", hostname: "ct1", ostemplate: "local:vztmpl/debian.tar.zst", password: "secret123" };

describe("write gates, walked over the whole registry", () => {
  test("the fixed tool names carry their tiers", () => {
    const tierOf = (name: string) => ALL_TOOLS.find((t) => t.name === name)?.tier;
    for (const name of ["start_resource", "stop_resource", "reboot_resource", "snapshot_resource", "run_backup", "create_container", "create_vm", "clone_resource", "migrate_resource"]) expect(tierOf(`proxmox_${name}`)).toBe(2);
    for (const name of ["destroy_resource", "delete_snapshot", "force_stop_resource", "rollback_snapshot"]) expect(tierOf(`proxmox_${name}`)).toBe(3);
  });

  for (const tool of writes) {
    test(`${tool.name} without confirm is refused with zero requests`, async () => {
      const { registry, requests } = testRegistry({ config: { destructiveEnabled: true } });
      const outcome = await registry.call(tool.name, { ...ARGS, destructive: true });
      expect(outcome.isError).toBe(true);
      expect(outcome.code).toBe("write_gate");
      expect(outcome.text).toContain("confirm");
      expect(requests).toHaveLength(0);
    });

    test(`${tool.name} with confirm given as a string is still refused`, async () => {
      const { registry, requests } = testRegistry({ config: { destructiveEnabled: true } });
      const outcome = await registry.call(tool.name, { ...ARGS, confirm: "true", destructive: true });
      expect(outcome.code).toBe("write_gate");
      expect(requests).toHaveLength(0);
    });
  }

  for (const tool of tier3) {
    test(`${tool.name} without destructive: true is refused with zero requests`, async () => {
      const { registry, requests } = testRegistry({ config: { destructiveEnabled: true } });
      const outcome = await registry.call(tool.name, { ...ARGS, confirm: true });
      expect(outcome.code).toBe("write_gate");
      expect(outcome.text).toContain("destructive");
      expect(requests).toHaveLength(0);
    });

    test(`${tool.name} without PROXMOX_ENABLE_DESTRUCTIVE is refused and says a person must restart the server`, async () => {
      const { registry, requests } = testRegistry();
      const outcome = await registry.call(tool.name, { ...ARGS, confirm: true, destructive: true });
      expect(outcome.code).toBe("write_gate");
      expect(outcome.text).toContain("PROXMOX_ENABLE_DESTRUCTIVE=1");
      expect(outcome.text).toContain("a model cannot set it");
      expect(requests).toHaveLength(0);
    });

    test(`${tool.name} with every gate missing names all three`, async () => {
      const { registry } = testRegistry();
      const outcome = await registry.call(tool.name, { vmid: 100 });
      expect(outcome.text).toContain("Missing: confirm, destructive, PROXMOX_ENABLE_DESTRUCTIVE");
    });
  }

  test("read-only mode hides every write tool, and keeps proxmox_api, which serves GET only there", () => {
    const { registry } = testRegistry({ config: { readOnly: true } });
    expect(registry.tools.filter((t) => t.tier > 1).map((t) => t.name)).toEqual(["proxmox_api"]);
    expect(registry.tools).toHaveLength(ALL_TOOLS.filter((t) => t.tier === 1).length + 1);
  });

  test("every write tool's input schema documents its gates", () => {
    const { registry } = testRegistry();
    for (const tool of writes) {
      const entries = registry.inputSchema(tool).entries as Record<string, unknown>;
      expect(entries.confirm).toBeDefined();
      if (tool.tier === 3) expect(entries.destructive).toBeDefined();
    }
  });
});

describe("tool data", () => {
  test("every tool sets all four annotation hints explicitly", () => {
    for (const tool of ALL_TOOLS) {
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof tool.annotations[hint]).toBe("boolean");
      }
    }
  });

  test("read tools say they are read-only and write tools say they are not", () => {
    for (const tool of ALL_TOOLS) expect(tool.annotations.readOnlyHint).toBe(tool.tier === 1);
  });

  test("tier-3 tools are marked destructive", () => {
    for (const tool of tier3) expect(tool.annotations.destructiveHint).toBe(true);
  });

  test("tool names are unique and snake_case with the proxmox_ prefix", () => {
    const names = ALL_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^proxmox_[a-z_]+$/);
  });
});

describe("refusals that say what was wrong", () => {
  test('confirm: "true" is refused saying it must be the boolean true, not the string', async () => {
    const { registry, requests } = testRegistry();
    const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: "true" });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("confirm (given, but not as the boolean true)");
    expect(outcome.text).toContain('confirm must be the JSON boolean true (without quotes), not the string "true"');
    expect(requests).toEqual([]);
  });

  test("a write tool on a read-only server is hidden by read-only mode, not an unknown tool", async () => {
    const { registry, requests } = testRegistry({ config: { readOnly: true } });
    const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("proxmox_start_resource is not offered by this server: it is a write tool, hidden by read-only mode");
    expect(outcome.text).not.toContain("Unknown tool");
    expect(requests).toEqual([]);
  });

  test("a tool that does not exist is still an unknown tool", async () => {
    const { registry } = testRegistry({ config: { readOnly: true } });
    expect((await registry.call("proxmox_launch_missiles", {})).text).toContain("Unknown tool 'proxmox_launch_missiles'");
  });
});
