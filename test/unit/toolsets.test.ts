// Toolsets: PROXMOX_TOOLSETS picks which tools are listed; the read-only ceiling sits on top.
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/env.ts";
import { loadInstances } from "../../src/config/instances.ts";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { parseToolsets, TOOLSET_NAMES } from "../../src/tools/toolsets.ts";
import { testRegistry } from "../helpers/runtime.ts";

const valid = { PROXMOX_URL: "https://pve.example.local:8006", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" };
const names = (tools: readonly { name: string }[]) => tools.map((t) => t.name);
const inDefault = ALL_TOOLS.filter((t) => t.inDefault);

describe("PROXMOX_TOOLSETS", () => {
  test("unset means the default set", () => {
    const result = loadConfig(valid);
    expect(result.ok && result.config.toolsets).toEqual(["default"]);
  });

  test("names, `default` and `all` are accepted in any case, with spaces, deduplicated", () => {
    expect(parseToolsets(" Default , guest,GUEST ")).toEqual({ toolsets: ["default", "guest"] });
    expect(parseToolsets("all")).toEqual({ toolsets: ["all"] });
  });

  test("an unknown name is a start-up problem naming every accepted value", () => {
    const result = loadConfig({ ...valid, PROXMOX_TOOLSETS: "default,snapshot" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.join("\n");
    expect(problem).toContain("PROXMOX_TOOLSETS");
    expect(problem).toContain("'snapshot'");
    for (const accepted of ["default", "all", ...TOOLSET_NAMES]) expect(problem).toContain(accepted);
  });

  test("with several clusters the one setting applies to each of them", () => {
    const result = loadInstances({ ...valid, PROXMOX_TOOLSETS: "power" });
    expect(result.ok && result.instances.map((i) => i.toolsets)).toEqual([["power"]]);
  });
});

describe("which tools the registry lists", () => {
  test("every tool names a known toolset", () => {
    for (const tool of ALL_TOOLS) expect(TOOLSET_NAMES).toContain(tool.toolset);
  });

  test("the default set lists every tool marked inDefault and nothing else", () => {
    const { registry } = testRegistry({ config: { toolsets: ["default"] } });
    expect(names(registry.tools)).toEqual(names(inDefault));
  });

  test("the default set covers the everyday reads: status, guests, tasks, storage", () => {
    const { registry } = testRegistry({ config: { toolsets: undefined } });
    for (const name of ["proxmox_status", "proxmox_list_vms", "proxmox_list_containers", "proxmox_get_resource", "proxmox_recent_tasks", "proxmox_list_storage"]) {
      expect(names(registry.tools)).toContain(name);
    }
  });

  test("`all` lists every tool", () => {
    const { registry } = testRegistry({ config: { toolsets: ["all"] } });
    expect(names(registry.tools)).toEqual(names(ALL_TOOLS));
  });

  test("a named set lists only its own tools", () => {
    const { registry } = testRegistry({ config: { toolsets: ["power"] } });
    expect(registry.tools.length).toBeGreaterThan(0);
    expect(registry.tools.every((t) => t.toolset === "power")).toBe(true);
  });

  test("sets add up: default plus a named set is the union", () => {
    const { registry } = testRegistry({ config: { toolsets: ["default", "snapshots"] } });
    const expected = ALL_TOOLS.filter((t) => t.inDefault || t.toolset === "snapshots");
    expect(names(registry.tools)).toEqual(names(expected));
  });

  test("the read-only ceiling applies on top: `all` with read-only lists no write tool (proxmox_api stays, GET only)", () => {
    const { registry } = testRegistry({ config: { toolsets: ["all"], readOnly: true } });
    expect(names(registry.tools)).toEqual(names(ALL_TOOLS.filter((t) => t.tier === 1 || t.tierFor)));
  });

  test("calling a tool of a set not selected is refused, naming the set, before any request", async () => {
    const { registry, requests } = testRegistry({ config: { toolsets: ["inventory"] } });
    const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("toolset 'power'");
    expect(outcome.text).toContain("PROXMOX_TOOLSETS=default,power");
    expect(requests).toHaveLength(0);
  });

  test("calling a write on a read-only server says it is read-only, before any request", async () => {
    const { registry, requests } = testRegistry({ config: { readOnly: true } });
    const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("read-only");
    expect(requests).toHaveLength(0);
  });
});
