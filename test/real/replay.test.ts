// Responses captured from real PVE hosts (../shared/pve-api/samples, not copied into the
// project: see its USING.md) replayed through the tools; the answers are checked for what
// they say. Skipped when the shared folder is not next to the checkout.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { testRegistry } from "../helpers/runtime.ts";

const SAMPLES = new URL("../../../shared/pve-api/samples/", import.meta.url).pathname;
const present = existsSync(SAMPLES);
const sample = (name: string): unknown => JSON.parse(readFileSync(`${SAMPLES}${name}`, "utf8"));
/** A QGA capture ({"return": …}) as PVE hands it on: {"data":{"result": …}}. */
const viaPve = (name: string) => ({ data: { result: (sample(name) as { return: unknown }).return } });

type Routes = Record<string, unknown | ((url: URL) => unknown)>;

/** The real registry and client, with PVE's answers taken from the routes (method GET, path → body). */
function replay(routes: Routes) {
  const seen: string[] = [];
  const fetchImpl = async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    const path = decodeURIComponent(url.pathname).replace(/^\/api2\/json/, "");
    seen.push(path);
    const route = routes[path];
    if (route === undefined) return new Response(JSON.stringify({ data: null, message: `Method 'GET ${path}' not implemented\n` }), { status: 501 });
    const body = typeof route === "function" ? (route as (u: URL) => unknown)(url) : route;
    return Response.json(body);
  };
  const { registry } = testRegistry({ fetchImpl: fetchImpl as typeof fetch });
  return {
    seen,
    call: async (tool: string, args: Record<string, unknown> = {}) => {
      const outcome = await registry.call(tool, args);
      return { ...outcome, data: outcome.structured as Record<string, any> };
    },
  };
}

const ROOT_PERMS = "get-access-permissions--go-proxmox-root.json";

describe.skipIf(!present)("replayed real captures", () => {
  test("PVE 9, 5 nodes, privsep PVEAuditor token: list_vms shows VM disks as unknown, leaves out both templates, keeps tags and mem > maxmem", async () => {
    const r = replay({ "/cluster/resources": sample("real-2026/pve9-cluster-resources-vm--yanboyang713-blog.json"), "/access/permissions": sample(ROOT_PERMS) });
    const vms = await r.call("proxmox_list_vms", { limit: 100 });
    expect(vms.isError).toBe(false);
    const ids = vms.data.items.map((i: { vmid: number }) => i.vmid);
    expect(ids).not.toContain(101);
    expect(ids).not.toContain(122);
    expect(vms.data.items.every((i: { disk_bytes: number | null }) => i.disk_bytes === null)).toBe(true);
    expect(vms.text).toContain("?/32.0 GiB");
    const cts = await r.call("proxmox_list_containers", { name: "netbox" });
    expect(cts.data.items.map((i: { vmid: number }) => i.vmid)).toEqual([115, 116]);
    expect(cts.data.items.every((i: { disk_bytes: number }) => i.disk_bytes > 0)).toBe(true);
    const tagged = await r.call("proxmox_list_containers", { tag: "docker" });
    expect(tagged.data.items.map((i: { name: string }) => i.name)).toContain("alpine-docker");
  });

  test("PVE 8.4 standalone node at 95 % root: node_status flags the root disk and does not call corosync missing", async () => {
    const nodes = sample("real-2026/pve84-standalone-nodes--k3s-checklist.json") as { data: { node: string; ip?: string }[] };
    const r = replay({
      "/nodes/proxmox/status": sample("real-2026/pve84-standalone-node-status--k3s-checklist.json"),
      // pve-manager Cluster.pm: a node without a cluster answers with one "fake entry for local node".
      "/cluster/status": { data: [{ type: "node", id: "node/proxmox", name: "proxmox", ip: "192.168.1.10", local: 1, nodeid: 0, online: 1, level: "" }] },
      "/nodes/proxmox/services": { data: [{ service: "corosync", name: "corosync", state: "dead", "active-state": "inactive", "unit-state": "enabled" }, { service: "pveproxy", name: "pveproxy", state: "running", "active-state": "active", "unit-state": "enabled" }] },
      "/cluster/resources": nodes,
      "/version": { data: { version: "8.4.14", release: "8.4", repoid: "b502d23c55afcba1" } },
    });
    const a = await r.call("proxmox_node_status", { node: "proxmox" });
    expect(a.isError).toBe(false);
    expect(a.data.rootfs_full).toBe(true);
    expect(a.text).toContain("Root filesystem 95% full");
    expect(a.text).not.toContain("NOT active");
    expect(a.data.pve_version).toContain("8.4.14");
    const s = await r.call("proxmox_status");
    expect(s.text).toContain("Standalone node (no cluster)");
  });

  test("PVE 7/8 container status with numbers as strings: get_resource reads them as numbers", async () => {
    const r = replay({
      "/nodes/pve1/lxc/506/status/current": sample("real-2026/pve8-lxc-status-current-string-numbers--bpg-issue-621.json"),
      "/nodes/pve1/lxc/506/config": sample("get-nodes-node-lxc-vmid-config--go-proxmox-pve7x.json"),
    });
    const a = await r.call("proxmox_get_resource", { vmid: 506, node: "pve1", type: "lxc" });
    expect(a.isError).toBe(false);
    expect(a.data.current.disk_bytes).toBe(2843205632);
    expect(a.data.current.maxdisk_bytes).toBe(8388009984);
    expect(a.data.template).toBe(false);
    expect(a.data.status).toBe("running");
  });

  test("Windows Server 2022's guest agent: the OS is named and 'Loopback Pseudo-Interface 1' is left out like lo", async () => {
    const r = replay({
      "/cluster/resources": { data: [{ id: "qemu/120", type: "qemu", vmid: 120, node: "pve1", name: "win2022", status: "running" }] },
      "/nodes/pve1/qemu/120/agent/get-osinfo": viaPve("real-2026/qga-win2022-osinfo--truenas-virsh.json"),
      "/nodes/pve1/qemu/120/agent/network-get-interfaces": viaPve("real-2026/qga-win2022-network-get-interfaces--truenas-virsh.json"),
    });
    const a = await r.call("proxmox_guest_info", { vmid: 120 });
    expect(a.isError).toBe(false);
    expect(a.data.os.name).toBe("Windows Server 2022 Standard");
    expect(a.data.interfaces.map((i: { name: string }) => i.name)).toEqual(["Ethernet"]);
    expect(a.data.interfaces[0].ipv4).toEqual(["192.168.1.81/24"]);
  });

  test("PVE 6.2's guest-agent error inside result: an answer that the agent refused, not an internal error", async () => {
    const r = replay({
      "/cluster/resources": { data: [{ id: "qemu/101", type: "qemu", vmid: 101, node: "pve1", name: "old", status: "running" }] },
      "/nodes/pve1/qemu/101/agent/get-osinfo": sample("get-nodes-node-qemu-vmid-agent-network-get-interfaces--ansible-pve62-unsupported.json"),
      "/nodes/pve1/qemu/101/agent/network-get-interfaces": sample("get-nodes-node-qemu-vmid-agent-network-get-interfaces--ansible-pve62-unsupported.json"),
    });
    const a = await r.call("proxmox_guest_info", { vmid: 101 });
    expect(a.isError).toBe(false);
    expect(a.data.agent).toBe("error");
    expect(a.text).toContain("this feature or command is not currently supported (Unsupported)");
  });

  test("PVE 6.2's guest-agent interface list: addresses read, lo left out", async () => {
    const r = replay({
      "/cluster/resources": { data: [{ id: "qemu/101", type: "qemu", vmid: 101, node: "pve1", name: "vm", status: "running" }] },
      "/nodes/pve1/qemu/101/agent/get-osinfo": { data: { result: { name: "Debian GNU/Linux", "pretty-name": "Debian" } } },
      "/nodes/pve1/qemu/101/agent/network-get-interfaces": sample("get-nodes-node-qemu-vmid-agent-network-get-interfaces--ansible-pve62.json"),
    });
    const a = await r.call("proxmox_guest_info", { vmid: 101 });
    expect(a.isError).toBe(false);
    expect(a.data.interfaces.some((i: { name: string }) => i.name === "lo")).toBe(false);
    expect(a.data.interfaces.some((i: { ipv4: string[] }) => i.ipv4.length > 0)).toBe(true);
  });

  test("PVE 6.4's task list: the failed reload is reported with PVE's own error text", async () => {
    const r = replay({ "/nodes/iaclab-01-01/tasks": sample("get-nodes-node-tasks--ansible-pve64.json") });
    const a = await r.call("proxmox_recent_tasks", { node: "iaclab-01-01", errors_only: true });
    expect(a.isError).toBe(false);
    expect(a.data.items.map((i: { status: string }) => i.status)).toContain("command 'ifreload -a' failed: exit code 1");
    expect(a.data.items.every((i: { ok: boolean }) => i.ok === false)).toBe(true);
  });

  test("PVE 7.2's stopped task status: finished OK, and no made-up end time", async () => {
    const body = sample("get-nodes-node-tasks-upid-status--proxmoxer-stopped-ok.json") as { data: { upid: string; node: string } };
    const r = replay({ [`/nodes/${body.data.node}/tasks/${body.data.upid}/status`]: body, [`/nodes/${body.data.node}/tasks`]: { data: [] } });
    const a = await r.call("proxmox_get_task_status", { upid: body.data.upid });
    expect(a.isError).toBe(false);
    expect(a.data.ok).toBe(true);
    expect("end" in a.data).toBe(false);
    expect(a.text).toContain("finished OK");
  });

  test("a 4-node cluster's status and resources (PVE 8): quorate, every node listed", async () => {
    const r = replay({ "/cluster/status": sample("get-cluster-status--go-proxmox.json"), "/cluster/resources": sample("get-cluster-resources--go-proxmox.json"), "/version": sample("get-version--proxmoxer.json") });
    const a = await r.call("proxmox_status");
    expect(a.isError).toBe(false);
    expect(a.text).toContain('Cluster "clustername": quorate');
    expect(a.data.cluster.nodes).toBe(4);
  });

  test("root@pam's permissions (PVE 8): whoami finds every tier's privileges", async () => {
    const r = replay({ "/access/permissions": sample(ROOT_PERMS) });
    const a = await r.call("proxmox_whoami");
    for (const tier of a.data.tiers) expect({ tier: tier.tier, works: tier.works }).toEqual({ tier: tier.tier, works: true });
  });
});
