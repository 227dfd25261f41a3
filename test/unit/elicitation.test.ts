import { describe, expect, test } from "bun:test";
import { RefusedError } from "../../src/errors.ts";
import { NeedsInput } from "../../src/security/confirmation.ts";
import { testRegistry } from "../helpers/runtime.ts";

// A fetch that answers the one look-up a destroy makes, then records any write.
function fakePve() {
  const writes: string[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (init?.method && init.method !== "GET") {
      writes.push(`${init.method} ${url}`);
      return Response.json({ data: "UPID:pve1:00000001:00000001:6740A000:qmdestroy:105:root@pam:" });
    }
    if (url.includes("/cluster/resources")) return Response.json({ data: [{ id: "qemu/105", type: "qemu", vmid: 105, node: "pve1", name: "old", status: "stopped" }] });
    if (url.includes("/config")) return Response.json({ data: { name: "old" } });
    return Response.json({ data: null });
  }) as unknown as typeof fetch;
  return { writes, fetchImpl };
}

const DESTROY = { vmid: 105, confirm: true, destructive: true, wait: false };

describe("asking a person before a destructive write", () => {
  test("the question names the action, the guest and its node, and nothing is written yet", async () => {
    const { writes, fetchImpl } = fakePve();
    const { registry } = testRegistry({ config: { destructiveEnabled: true }, fetchImpl });
    let asked = "";
    const outcome = await registry.call("proxmox_destroy_resource", DESTROY, {
      confirm: async (question) => {
        asked = question;
        throw new NeedsInput({ resultType: "input_required" });
      },
    });
    expect(outcome.inputRequired).toBeDefined();
    expect(asked).toContain("Destroy a guest");
    expect(asked).toContain("VM 105 (old) on pve1");
    expect(writes).toHaveLength(0);
  });

  test("a declined confirmation is a clear refusal with no write", async () => {
    const { writes, fetchImpl } = fakePve();
    const { registry } = testRegistry({ config: { destructiveEnabled: true }, fetchImpl });
    const outcome = await registry.call("proxmox_destroy_resource", DESTROY, {
      confirm: async () => {
        throw new RefusedError("Not done: the person declined.");
      },
    });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("declined");
    expect(writes).toHaveLength(0);
  });

  test("an accepted confirmation lets the write through, once", async () => {
    const { writes, fetchImpl } = fakePve();
    const { registry } = testRegistry({ config: { destructiveEnabled: true }, fetchImpl });
    let questions = 0;
    const outcome = await registry.call("proxmox_destroy_resource", DESTROY, { confirm: async () => void questions++ });
    expect(outcome.isError).toBe(false);
    expect(questions).toBe(1);
    expect(writes).toHaveLength(1);
  });

  test("the gates still apply first: no question is asked when a gate is missing", async () => {
    const { fetchImpl } = fakePve();
    const { registry } = testRegistry({ fetchImpl });
    let asked = false;
    const outcome = await registry.call("proxmox_destroy_resource", DESTROY, { confirm: async () => void (asked = true) });
    expect(outcome.code).toBe("write_gate");
    expect(asked).toBe(false);
  });

  test("tier-2 writes ask only with PROXMOX_CONFIRM_WRITES=elicit", async () => {
    const { fetchImpl } = fakePve();
    let asked = 0;
    const confirm = async () => void asked++;
    await testRegistry({ fetchImpl }).registry.call("proxmox_start_resource", { vmid: 105, confirm: true, wait: false }, { confirm });
    expect(asked).toBe(0);
    await testRegistry({ fetchImpl, config: { confirmWrites: "elicit" } }).registry.call("proxmox_start_resource", { vmid: 105, confirm: true, wait: false }, { confirm });
    expect(asked).toBe(1);
  });
});
