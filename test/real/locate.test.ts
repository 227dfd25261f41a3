// The vmid → node memory: finding one guest must not cost the whole inventory, and a guest
// that moved (HA, migration) is found again, once, by the call itself.
import { describe, expect, test } from "bun:test";
import { startSimulator } from "../../src/sim/index.ts";
import { simRegistry } from "../helpers/in-process.ts";

describe("vmid → node memory", () => {
  test("after one inventory read, get_resource {vmid} makes only its two GETs", async () => {
    const sim = startSimulator({});
    try {
      const { registry } = simRegistry(sim);
      await registry.call("proxmox_get_resource", { vmid: 100 });
      sim.resetLog();
      const again = await registry.call("proxmox_get_resource", { vmid: 101 });
      expect(again.isError).toBe(false);
      expect(sim.requests.map((r) => r.path).sort()).toEqual(["/nodes/pve1/qemu/101/config", "/nodes/pve1/qemu/101/status/current"]);
    } finally {
      await sim.stop();
    }
  });

  test("a guest moved since it was remembered is located afresh once, and the answer names its new node", async () => {
    const sim = startSimulator({});
    try {
      const { registry } = simRegistry(sim);
      await registry.call("proxmox_list_vms", {});
      const g = sim.state.guests.get(100);
      if (g) g.node = "pve2";
      sim.resetLog();
      const a = await registry.call("proxmox_get_resource", { vmid: 100 });
      expect(a.isError).toBe(false);
      expect((a.structured as { node: string }).node).toBe("pve2");
      expect(sim.requests.filter((r) => r.path === "/cluster/resources")).toHaveLength(1);
    } finally {
      await sim.stop();
    }
  });

  test("a guest destroyed since it was remembered is reported as not existing, not as an error of its old node", async () => {
    const sim = startSimulator({});
    try {
      const { registry } = simRegistry(sim);
      await registry.call("proxmox_list_vms", {});
      sim.state.guests.delete(104);
      const a = await registry.call("proxmox_get_resource", { vmid: 104 });
      expect(a.isError).toBe(true);
      expect(a.text).toContain("No guest with vmid 104 exists");
    } finally {
      await sim.stop();
    }
  });
});
