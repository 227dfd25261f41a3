// The simulator's day-2 endpoints behave as qemu-server / pve-container / pve-storage do:
// digest checks, the pending section, resize refusals, restore overrides, downloads,
// the appliance catalogue, task stop and the agent ping. Every request passes the schema.
import { describe, expect, test } from "bun:test";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator({ taskDurationMs: 50 });

async function pve<T>(method: string, path: string, params: Record<string, string> = {}): Promise<{ status: number; data: T; message?: string }> {
  const s = sim();
  const query = method === "GET" || method === "DELETE" ? `?${new URLSearchParams(params)}` : "";
  const response = await fetch(`${s.url}/api2/json${path}${query}`, {
    method,
    headers: { Authorization: `PVEAPIToken=${s.tokenId}=${s.tokenSecret}`, ...(query ? {} : { "Content-Type": "application/x-www-form-urlencoded" }) },
    body: query ? undefined : new URLSearchParams(params).toString(),
  });
  const body = (await response.json()) as { data: T; message?: string };
  return { status: response.status, data: body.data, message: body.message };
}

async function task(upid: string): Promise<{ status: string; exitstatus?: string }> {
  for (;;) {
    const { data } = await pve<{ status: string; exitstatus?: string }>("GET", `/nodes/${upid.split(":")[1]}/tasks/${encodeURIComponent(upid)}/status`);
    if (data.status === "stopped") return data;
    await Bun.sleep(20);
  }
}

describe("config changes", () => {
  test("a stale digest is refused as a concurrent change", async () => {
    const answer = await pve("PUT", "/nodes/pve1/qemu/104/config", { cores: "6", digest: "0".repeat(40) });
    expect(answer.status).toBe(500);
    expect(answer.message).toContain("detected modified configuration");
  });

  test("on a running VM, cores go to pending and name applies at once", async () => {
    const before = await pve<{ digest: string }>("GET", "/nodes/pve1/qemu/100/config");
    expect((await pve("PUT", "/nodes/pve1/qemu/100/config", { cores: "4", name: "web-01a", digest: before.data.digest })).status).toBe(200);
    const rows = (await pve<{ key: string; value?: string; pending?: string }[]>("GET", "/nodes/pve1/qemu/100/pending")).data;
    expect(rows.find((r) => r.key === "cores")).toEqual({ key: "cores", value: "2", pending: "4" });
    expect(rows.find((r) => r.key === "name")).toEqual({ key: "name", value: "web-01a" });
    const current = (await pve<{ cores: number }>("GET", "/nodes/pve1/qemu/100/config", { current: "1" })).data;
    expect(Number(current.cores)).toBe(2);
  });

  test("on a stopped container every change applies at once", async () => {
    await pve("PUT", "/nodes/pve2/lxc/203/config", { memory: "2048", tags: "monitoring;lab" });
    expect(sim().state.guests.get(203)?.maxmem).toBe(2048 * 1024 * 1024);
    expect(sim().state.guests.get(203)?.tags).toEqual(["monitoring", "lab"]);
  });
});

describe("resize", () => {
  test("a shrink fails inside the task, as qemu-server's worker does", async () => {
    const upid = (await pve<string>("PUT", "/nodes/pve1/qemu/104/resize", { disk: "scsi0", size: "10G" })).data;
    expect(await task(upid)).toMatchObject({ exitstatus: "shrinking disks is not supported" });
  });

  test("growing by +8G updates the disk's size", async () => {
    const upid = (await pve<string>("PUT", "/nodes/pve1/qemu/104/resize", { disk: "scsi0", size: "+8G" })).data;
    expect((await task(upid)).exitstatus).toBe("OK");
    expect(String(sim().state.guests.get(104)?.config.scsi0)).toContain("size=88G");
  });
});

describe("restore", () => {
  test("a VM backup restores into a new vmid with the given net0 overriding the backed-up one", async () => {
    const volid = (await pve<{ volid: string; vmid: number }[]>("GET", "/nodes/pve1/storage/nas-backup/content", { content: "backup" })).data.find((v) => v.vmid === 100)?.volid as string;
    const text = (await pve<string>("GET", "/nodes/pve1/vzdump/extractconfig", { volume: volid })).data;
    expect(text).toContain("net0: virtio=");
    const upid = (await pve<string>("POST", "/nodes/pve1/qemu", { vmid: "7100", archive: volid, unique: "1", net0: "virtio,bridge=vmbr0,link_down=1" })).data;
    expect(upid).toContain(":qmrestore:7100:");
    expect((await task(upid)).exitstatus).toBe("OK");
    expect(sim().state.guests.get(7100)?.config.net0).toBe("virtio,bridge=vmbr0,link_down=1");
  });

  test("a disk option beside archive is refused", async () => {
    const answer = await pve("POST", "/nodes/pve1/qemu", { vmid: "7101", archive: "nas-backup:backup/x.vma.zst", scsi0: "local-lvm:8" });
    expect(answer.message).toContain("option conflicts with option 'archive'");
  });
});

describe("downloads, catalogue, tasks, agent", () => {
  test("download-url refuses an ISO without .iso/.img", async () => {
    const answer = await pve("POST", "/nodes/pve1/storage/local/download-url", { url: "https://example.com/x", filename: "x.qcow2", content: "iso" });
    expect(answer.message).toContain("wrong file extension");
  });

  test("download-url puts a cloud image into local's import content", async () => {
    const upid = (await pve<string>("POST", "/nodes/pve1/storage/local/download-url", { url: "https://cloud.example.com/noble.img", filename: "noble.qcow2", content: "import", checksum: "ab".repeat(32), "checksum-algorithm": "sha256" })).data;
    expect((await task(upid)).exitstatus).toBe("OK");
    const vols = (await pve<{ volid: string }[]>("GET", "/nodes/pve1/storage/local/content", { content: "import" })).data;
    expect(vols.map((v) => v.volid)).toContain("local:import/noble.qcow2");
  });

  test("aplinfo lists the catalogue and downloads a template by file name", async () => {
    const list = (await pve<{ template: string }[]>("GET", "/nodes/pve1/aplinfo")).data;
    const upid = (await pve<string>("POST", "/nodes/pve1/aplinfo", { storage: "local", template: list[0]?.template as string })).data;
    expect((await task(upid)).exitstatus).toBe("OK");
  });

  test("DELETE on a running task kills it and its change never lands", async () => {
    sim().scriptNextTask({ outcome: "ok", durationMs: 5000 });
    const upid = (await pve<string>("PUT", "/nodes/pve2/lxc/203/resize", { disk: "rootfs", size: "+1G" })).data;
    await pve("DELETE", `/nodes/pve2/tasks/${encodeURIComponent(upid)}`);
    expect(await task(upid)).toMatchObject({ exitstatus: "interrupted by signal" });
    expect(String(sim().state.guests.get(203)?.config.rootfs)).toContain("size=8G");
  });

  test("the agent ping answers for a running VM with the agent", async () => {
    expect((await pve("POST", "/nodes/pve2/qemu/103/agent/ping")).data).toEqual({ result: {} });
    expect((await pve("POST", "/nodes/pve2/qemu/102/agent/ping")).status).toBe(500);
  });
});
