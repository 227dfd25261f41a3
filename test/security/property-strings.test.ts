// The attack: a value that goes into a PVE property string carries the string's own
// separators, so PVE reads extra options the caller never chose ("x.iso,media=disk" turns
// the installer CD into a writable disk; a second "file=" attaches another volume). Every
// such value is refused with a reason, and no write is sent.
import { describe, expect, test } from "bun:test";
import { propertyString } from "../../src/pve/property-string.ts";
import { useSimulator } from "../helpers/sim.ts";
import { inProcessRegistry, SECRET } from "./support.ts";

const sim = useSimulator({ taskDurationMs: 50, tokenSecret: SECRET });

const VM = { node: "pve1", name: "inject-01", confirm: true };

describe("create_vm's iso", () => {
  for (const iso of ["local:iso/debian-13.1.0-amd64-netinst.iso,media=disk", "local:iso/x.iso,file=local-lvm:vm-101-disk-0", "local:iso/x.iso;order=ide2", "local:iso/a=b.iso", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"]) {
    test(`${JSON.stringify(iso)} is refused before any write, saying why`, async () => {
      const { registry, requests } = inProcessRegistry(sim());
      const outcome = await registry.call("proxmox_create_vm", { ...VM, iso });
      expect(outcome.isError).toBe(true);
      expect(outcome.code).toBe("invalid_input");
      expect(outcome.text).toMatch(/iso must/);
      expect(requests.filter((r) => r.method !== "GET")).toEqual([]);
    });
  }

  test("a plain ISO volume still goes in as the CD drive's file, with media=cdrom", async () => {
    const { registry } = inProcessRegistry(sim());
    const outcome = await registry.call("proxmox_create_vm", { ...VM, iso: "local:iso/debian-13.1.0-amd64-netinst.iso" });
    expect(outcome.isError).toBe(false);
    const create = sim().requests.find((r) => r.method === "POST" && r.path === "/nodes/pve1/qemu");
    expect(create?.params.ide2).toBe("local:iso/debian-13.1.0-amd64-netinst.iso,media=cdrom");
  });
});

describe("the property string builder", () => {
  for (const value of ["vmbr0,firewall=0", "a=b", "x;y", "with space", "nl\nbr", "nul\u0000", ""]) {
    test(`refuses ${JSON.stringify(value)} as a value`, () => {
      expect(() => propertyString([[null, "virtio"], ["bridge", value, "bridge"]])).toThrow(/bridge must not/);
    });
  }

  test("joins checked parts and leaves out absent ones", () => {
    expect(propertyString([["name", "eth0"], ["bridge", "vmbr0"], ["ip", "192.168.1.50/24"], false, undefined, ["gw", "192.168.1.1"]])).toBe("name=eth0,bridge=vmbr0,ip=192.168.1.50/24,gw=192.168.1.1");
  });
});
