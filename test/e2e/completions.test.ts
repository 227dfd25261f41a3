// completion/complete for prompt and resource-template arguments, from the live cluster,
// in both protocol eras, against the compiled binary.
import { describe, expect, test } from "bun:test";
import { callTool, connectMcp, envFor, pveGet } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator({ cluster: { nodes: 3, guests: 150, seed: 7 } });
const eras = ["legacy", "modern"] as const;

type Row = { vmid: number; name?: string; node?: string; type: string; storage?: string };

for (const era of eras) {
  describe(`completions (${era} client)`, () => {
    test("the server declares completions", async () => {
      const session = await connectMcp(envFor(sim()), { era });
      try {
        expect(session.client.getServerCapabilities()?.completions).toBeDefined();
      } finally {
        await session.close();
      }
    });

    test("a prompt's vmid completes to the cluster's vmids starting with what was typed, at most 100", async () => {
      const s = sim();
      const session = await connectMcp(envFor(s), { era });
      try {
        const guests = (await pveGet<Row[]>(s, "/cluster/resources?type=vm")).filter((r) => r.type === "qemu" || r.type === "lxc");
        const all = await session.client.complete({ ref: { type: "ref/prompt", name: "proxmox_safe_maintenance" }, argument: { name: "vmid", value: "" } });
        expect(all.completion.values).toHaveLength(100);
        expect(all.completion.total).toBe(guests.length);
        expect(all.completion.hasMore).toBe(true);
        const one = String(guests[0]?.vmid);
        const typed = one.slice(0, 2);
        const some = await session.client.complete({ ref: { type: "ref/prompt", name: "proxmox_safe_maintenance" }, argument: { name: "vmid", value: typed } });
        const expected = guests.map((g) => String(g.vmid)).filter((v) => v.startsWith(typed));
        // Every vmid starting with what was typed, and otherwise only guests whose name holds it.
        expect(some.completion.values).toEqual(expect.arrayContaining(expected));
        const named = new Set(guests.filter((g) => g.name?.toLowerCase().includes(typed)).map((g) => String(g.vmid)));
        expect(some.completion.values.every((v) => v.startsWith(typed) || named.has(v))).toBe(true);
      } finally {
        await session.close();
      }
    });

    test("a vmid also completes from part of the guest's name", async () => {
      const s = sim();
      const session = await connectMcp(envFor(s), { era });
      try {
        const guest = (await pveGet<Row[]>(s, "/cluster/resources?type=vm")).find((r) => r.type === "qemu" && r.name);
        const part = String(guest?.name).slice(1, 5);
        const answer = await session.client.complete({ ref: { type: "ref/prompt", name: "proxmox_safe_maintenance" }, argument: { name: "vmid", value: part } });
        expect(answer.completion.values).toContain(String(guest?.vmid));
      } finally {
        await session.close();
      }
    });

    test("a node template argument completes to the cluster's nodes", async () => {
      const s = sim();
      const session = await connectMcp(envFor(s), { era });
      try {
        const nodes = (await pveGet<{ node: string }[]>(s, "/nodes")).map((n) => n.node).sort();
        const answer = await session.client.complete({ ref: { type: "ref/resource", uri: "proxmox://{instance}/nodes/{node}" }, argument: { name: "node", value: "" } });
        expect(answer.completion.values).toEqual(nodes);
        const instance = await session.client.complete({ ref: { type: "ref/resource", uri: "proxmox://{instance}/guests/{vmid}" }, argument: { name: "instance", value: "d" } });
        expect(instance.completion.values).toEqual(["default"]);
      } finally {
        await session.close();
      }
    });

    test("a storage argument completes to the cluster's storage names", async () => {
      const s = sim();
      const session = await connectMcp(envFor(s), { era });
      try {
        const storages = [...new Set((await pveGet<Row[]>(s, "/cluster/resources?type=storage")).map((r) => String(r.storage)))].sort();
        const answer = await session.client.complete({ ref: { type: "ref/prompt", name: "proxmox_backup_audit" }, argument: { name: "storage", value: "" } });
        expect(answer.completion.values).toEqual(storages);
      } finally {
        await session.close();
      }
    });

    test("a snapshot name completes from the snapshots of the vmid already given", async () => {
      const s = sim();
      const session = await connectMcp(envFor(s), { era });
      try {
        const vms = await callTool(session, "proxmox_list_vms", { status: "running" });
        const vmid = (vms.structured?.items as { vmid: number }[])[0]?.vmid;
        const made = await callTool(session, "proxmox_snapshot_resource", { vmid, name: `pre-${era}`, confirm: true });
        expect(made.isError).toBe(false);
        const answer = await session.client.complete({
          ref: { type: "ref/prompt", name: "proxmox_snapshot_rollback" },
          argument: { name: "snapshot", value: "pre" },
          context: { arguments: { vmid: String(vmid) } },
        });
        expect(answer.completion.values).toContain(`pre-${era}`);
        const without = await session.client.complete({ ref: { type: "ref/prompt", name: "proxmox_snapshot_rollback" }, argument: { name: "snapshot", value: "" } });
        expect(without.completion.values).toEqual([]);
      } finally {
        await session.close();
      }
    });

    test("completing an argument of a prompt that does not exist is invalid params", async () => {
      const session = await connectMcp(envFor(sim()), { era });
      try {
        const error = (await session.client.complete({ ref: { type: "ref/prompt", name: "nope" }, argument: { name: "vmid", value: "" } }).catch((e: unknown) => e)) as { code?: number };
        expect(error.code).toBe(-32602);
      } finally {
        await session.close();
      }
    });
  });
}
