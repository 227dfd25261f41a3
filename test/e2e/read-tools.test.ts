// The ten read tools through a real MCP client against the compiled binary and the simulator.
import { describe, expect, test } from "bun:test";
import { callTool, envFor, pveGet, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

interface Res {
  type: string;
  vmid?: number;
  node?: string;
  status?: string;
  name?: string;
  template?: number;
  tags?: string;
  mem?: number;
}

const guests = async () => (await pveGet<Res[]>(sim(), "/cluster/resources?type=vm")).filter((r) => r.type === "qemu" || r.type === "lxc");
const call = (name: string, args: Record<string, unknown> = {}) => withSession(envFor(sim()), (s) => callTool(s, name, args));

describe("proxmox_status", () => {
  test("reports the cluster, quorum, version and every node with its state", async () => {
    const answer = await call("proxmox_status");
    expect(answer.isError).toBe(false);
    const data = answer.structured as { cluster: { name: string; quorate: boolean }; nodes: { name: string; online: boolean }[]; version: { version: string } };
    expect(data.cluster.name).toBeTruthy();
    expect(data.nodes.length).toBeGreaterThanOrEqual(3);
    expect(data.nodes.some((n) => !n.online)).toBe(true);
    expect(data.version.version).not.toBe("unknown");
    expect(answer.text).toContain("offline");
  });
});

describe("proxmox_list_vms and proxmox_list_containers", () => {
  test("list every VM (templates excluded) with one request to /cluster/resources", async () => {
    const expected = (await guests()).filter((g) => g.type === "qemu" && !g.template).length;
    sim().resetLog();
    const answer = await call("proxmox_list_vms");
    expect((answer.structured as { total: number }).total).toBe(expected);
    expect(sim().requests.map((r) => r.path)).toEqual(["/cluster/resources"]);
  });

  test("list containers only", async () => {
    const expected = (await guests()).filter((g) => g.type === "lxc" && !g.template).map((g) => g.vmid);
    const answer = await call("proxmox_list_containers");
    const items = (answer.structured as { items: { vmid: number }[] }).items;
    expect(items.map((i) => i.vmid).sort()).toEqual(expected.sort() as number[]);
  });

  test("filter by status returns only guests in that state", async () => {
    const answer = await call("proxmox_list_vms", { status: "running" });
    const items = (answer.structured as { items: { status: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.status === "running")).toBe(true);
  });

  test("a limit cuts the list and says how many more there are", async () => {
    const answer = await call("proxmox_list_vms", { limit: 1 });
    const data = answer.structured as { total: number; returned: number; more: number };
    expect(data.returned).toBe(1);
    expect(data.more).toBe(data.total - 1);
    expect(answer.text).toContain(`${data.more} more not shown`);
  });

  test("sort by mem puts the biggest memory user first", async () => {
    const answer = await call("proxmox_list_vms", { sort: "mem" });
    const mems = (answer.structured as { items: { mem_bytes: number }[] }).items.map((i) => i.mem_bytes);
    expect(mems).toEqual([...mems].sort((a, b) => b - a));
  });

  test("filter by name substring is case-insensitive", async () => {
    const some = (await guests()).find((g) => g.type === "qemu" && !g.template && g.name);
    const part = (some?.name ?? "").slice(0, 3).toUpperCase();
    const answer = await call("proxmox_list_vms", { name: part });
    const items = (answer.structured as { items: { name: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.name.toUpperCase().includes(part))).toBe(true);
  });

  test("filter by tag keeps only tagged guests", async () => {
    const tagged = (await guests()).find((g) => g.type === "qemu" && !g.template && g.tags);
    const tag = tagged?.tags?.split(";")[0] as string;
    const answer = await call("proxmox_list_vms", { tag });
    const items = (answer.structured as { items: { tags: string[] }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.tags.includes(tag))).toBe(true);
  });
});

describe("proxmox_get_resource", () => {
  test("returns a guest's config and current status, finding its node", async () => {
    const running = (await guests()).find((g) => g.status === "running") as Res;
    const answer = await call("proxmox_get_resource", { vmid: running.vmid });
    expect(answer.isError).toBe(false);
    const data = answer.structured as { node: string; current: { status: string }; config: Record<string, unknown> };
    expect(data.node).toBe(running.node as string);
    expect(data.current.status).toBe("running");
    expect(Object.keys(data.config).length).toBeGreaterThan(3);
    expect(data.config.digest).toBeUndefined();
  });

  test("an unknown vmid is a clear not-found error", async () => {
    const answer = await call("proxmox_get_resource", { vmid: 987654 });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("No guest with vmid 987654");
  });

  test("a node that does not match the guest's is a clear error naming the right one", async () => {
    const g = (await guests()).find((x) => x.node === "pve1") as Res;
    const answer = await call("proxmox_get_resource", { vmid: g.vmid, node: "pve2" });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("is on node pve1");
  });

  test("a guest on an offline node reports the node as unreachable", async () => {
    const offline = (await guests()).find((g) => g.node === "pve3");
    if (!offline) throw new Error("the demo cluster should have a guest on the offline node pve3");
    const answer = await call("proxmox_get_resource", { vmid: offline.vmid });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/reach|offline/i);
  });
});

describe("tasks", () => {
  test("recent tasks come newest first with a result for each", async () => {
    const answer = await call("proxmox_recent_tasks", { limit: 10 });
    const items = (answer.structured as { items: { start: string; upid: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((i) => i.start)).toEqual([...items.map((i) => i.start)].sort().reverse());
  });

  test("errors_only lists failed tasks only", async () => {
    const answer = await call("proxmox_recent_tasks", { errors_only: true });
    const items = (answer.structured as { items: { ok: boolean | null }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.ok === false)).toBe(true);
  });

  test("per-node task lists are filtered by PVE itself", async () => {
    sim().resetLog();
    const answer = await call("proxmox_recent_tasks", { node: "pve1", limit: 5 });
    expect(answer.isError).toBe(false);
    expect(sim().requests[0]?.path).toBe("/nodes/pve1/tasks");
  });

  test("a task's status and the tail of its log", async () => {
    const recent = await call("proxmox_recent_tasks", { errors_only: true, limit: 1 });
    const upid = (recent.structured as { items: { upid: string }[] }).items[0]?.upid as string;
    const status = await call("proxmox_get_task_status", { upid });
    expect((status.structured as { status: string; ok: boolean }).ok).toBe(false);
    const log = await call("proxmox_get_task_log", { upid });
    const data = log.structured as { lines: string[]; total: number };
    expect(data.lines[data.lines.length - 1]).toMatch(/^TASK (ERROR|WARNINGS)/);
  });

  test("paging a task log from the start", async () => {
    const recent = await call("proxmox_recent_tasks", { limit: 1 });
    const upid = (recent.structured as { items: { upid: string }[] }).items[0]?.upid as string;
    const log = await call("proxmox_get_task_log", { upid, start: 0, limit: 2 });
    const data = log.structured as { lines: string[]; start: number; more_after: number; total: number };
    expect(data.start).toBe(0);
    expect(data.lines.length).toBeLessThanOrEqual(2);
    expect(data.more_after).toBe(Math.max(0, data.total - data.lines.length));
  });
});

describe("backups, usage and templates", () => {
  test("backups come newest first from every backup storage", async () => {
    const answer = await call("proxmox_list_backups");
    const data = answer.structured as { total: number; items: { time: string; vmid: number }[] };
    expect(data.total).toBeGreaterThan(0);
    expect(data.items.map((i) => i.time)).toEqual([...data.items.map((i) => i.time)].sort().reverse());
  });

  test("backups filtered by vmid are that guest's only", async () => {
    const all = await call("proxmox_list_backups");
    const vmid = (all.structured as { items: { vmid: number }[] }).items[0]?.vmid as number;
    const answer = await call("proxmox_list_backups", { vmid });
    expect((answer.structured as { items: { vmid: number }[] }).items.every((i) => i.vmid === vmid)).toBe(true);
  });

  test("node usage is summarised per metric, not dumped", async () => {
    const answer = await call("proxmox_resource_usage", { node: "pve1", timeframe: "day" });
    const data = answer.structured as { points: number; metrics: Record<string, { min: number; avg: number; max: number; last: number }> };
    expect(data.points).toBeGreaterThan(10);
    expect(data.metrics.cpu).toBeDefined();
    expect(data.metrics.cpu?.min).toBeLessThanOrEqual(data.metrics.cpu?.max ?? 0);
    expect(answer.text.length).toBeLessThan(2000);
  });

  test("guest usage is found by vmid alone", async () => {
    const running = (await guests()).find((g) => g.status === "running") as Res;
    const answer = await call("proxmox_resource_usage", { vmid: running.vmid, cf: "MAX" });
    expect((answer.structured as { target: { node: string } }).target.node).toBe(running.node as string);
  });

  test("usage without a target says what to give", async () => {
    const answer = await call("proxmox_resource_usage", {});
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("vmid");
  });

  test("templates lists LXC templates and VM templates", async () => {
    const answer = await call("proxmox_list_templates");
    const data = answer.structured as { lxc: { volid: string }[]; vm: { vmid: number }[] };
    expect(data.lxc.length).toBeGreaterThan(0);
    expect(data.lxc[0]?.volid).toContain("vztmpl/");
    expect(data.vm.length).toBeGreaterThan(0);
  });
});
