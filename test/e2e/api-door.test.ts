// proxmox_api through the compiled binary and an MCP client, against the simulated cluster.
import { describe, expect, test } from "bun:test";
import { callTool, envFor, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

describe("proxmox_api end to end", () => {
  test("reads a firewall, adds a rule with confirm, and the rule is there", async () => {
    await withSession(envFor(sim()), async (s) => {
      const before = await callTool(s, "proxmox_api", { path: "/cluster/firewall/rules" });
      expect(before.isError).toBe(false);
      expect(before.structured).toMatchObject({ template: "/cluster/firewall/rules", tier: 1 });
      const added = await callTool(s, "proxmox_api", { method: "POST", path: "/cluster/firewall/rules", params: { type: "in", action: "DROP", proto: "tcp", dport: "23", comment: "no telnet" }, confirm: true });
      expect(added.isError).toBe(false);
      const after = await callTool(s, "proxmox_api", { path: "/cluster/firewall/rules" });
      expect(after.text).toContain("no telnet");
    });
  });

  test("a console endpoint is refused with every gate, and nothing reaches Proxmox", async () => {
    await withSession(envFor(sim(), { PROXMOX_ENABLE_DESTRUCTIVE: "1" }), async (s) => {
      sim().resetLog();
      const answer = await callTool(s, "proxmox_api", { method: "POST", path: "/nodes/pve1/qemu/100/vncproxy", confirm: true, destructive: true });
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain("not open through proxmox_api");
      expect(sim().requests).toEqual([]);
    });
  });

  test("read-only mode lists it and serves GET, and refuses a POST before any request", async () => {
    await withSession(envFor(sim(), { PROXMOX_READ_ONLY: "1" }), async (s) => {
      const names = (await s.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain("proxmox_api");
      expect((await callTool(s, "proxmox_api", { path: "/pools" })).isError).toBe(false);
      sim().resetLog();
      const write = await callTool(s, "proxmox_api", { method: "POST", path: "/pools", params: { poolid: "x" }, confirm: true });
      expect(write.text).toContain("read-only");
      expect(sim().requests).toEqual([]);
    });
  });
});
