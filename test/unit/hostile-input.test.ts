import { describe, expect, test } from "bun:test";
import { testRegistry } from "../helpers/runtime.ts";

// Each value must be refused by the input schema before it can reach a URL.
const HOSTILE_STRINGS = ["../../access/users", "pve1/qemu", "%2e%2e", "pve1\u0000", "pve1\nHost: evil", "x".repeat(10_000), "", " pve1", "pve1?x=1", "pve1#frag"];

describe("hostile identifiers never reach Proxmox", () => {
  for (const value of HOSTILE_STRINGS) {
    const label = JSON.stringify(value.slice(0, 24));
    test(`node ${label} is refused with a clear error and no request`, async () => {
      const { registry, requests } = testRegistry();
      const outcome = await registry.call("proxmox_list_vms", { node: value });
      expect(outcome.code).toBe("invalid_input");
      expect(outcome.text).toContain("node");
      expect(requests).toHaveLength(0);
    });

    test(`upid ${label} is refused with a clear error and no request`, async () => {
      const { registry, requests } = testRegistry();
      const outcome = await registry.call("proxmox_get_task_status", { upid: value });
      expect(outcome.code).toBe("invalid_input");
      expect(requests).toHaveLength(0);
    });

    test(`storage ${label} is refused with a clear error and no request`, async () => {
      const { registry, requests } = testRegistry();
      const outcome = await registry.call("proxmox_list_backups", { storage: value });
      expect(outcome.code).toBe("invalid_input");
      expect(requests).toHaveLength(0);
    });
  }

  test("a vmid given as a string is refused and the message says a number is expected", async () => {
    const { registry, requests } = testRegistry();
    const outcome = await registry.call("proxmox_get_resource", { vmid: "100" });
    expect(outcome.text).toContain("not a string");
    expect(requests).toHaveLength(0);
  });

  for (const vmid of [99, 1_000_000_000, 100.5, -1, Number.NaN]) {
    test(`vmid ${vmid} is out of PVE's range and refused`, async () => {
      const { registry, requests } = testRegistry();
      const outcome = await registry.call("proxmox_get_resource", { vmid });
      expect(outcome.code).toBe("invalid_input");
      expect(requests).toHaveLength(0);
    });
  }

  test("an unknown parameter is named, with the valid ones listed", async () => {
    const { registry } = testRegistry();
    const outcome = await registry.call("proxmox_get_resource", { vm_id: 100 });
    expect(outcome.text).toContain("unknown parameter 'vm_id'");
    expect(outcome.text).toContain("vmid");
  });

  test("a snapshot name that PVE would refuse is refused before any request", async () => {
    const { registry, requests } = testRegistry();
    const outcome = await registry.call("proxmox_snapshot_resource", { vmid: 100, name: "1-bad/name", confirm: true });
    expect(outcome.code).toBe("invalid_input");
    expect(outcome.text).toContain("snapshot name");
    expect(requests).toHaveLength(0);
  });

  test("arguments that are not an object are refused", async () => {
    const { registry } = testRegistry();
    expect((await registry.call("proxmox_status", [1, 2])).code).toBe("invalid_input");
  });

  test("an unknown tool is refused with the list of tools", async () => {
    const { registry } = testRegistry();
    const outcome = await registry.call("proxmox_rm_rf", {});
    expect(outcome.text).toContain("proxmox_status");
  });
});
