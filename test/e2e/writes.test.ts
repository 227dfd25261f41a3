// The write tools through a real MCP client against the compiled binary: gates, early
// refusals, state changes in the simulated cluster, task outcomes, progress, cancellation.
import { describe, expect, test } from "bun:test";
import { callTool, connectMcp, envFor, type McpSession, pveGet, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();
const DESTRUCTIVE_ENV = { PROXMOX_ENABLE_DESTRUCTIVE: "1" };

interface Res {
  type: string;
  vmid: number;
  node: string;
  status: string;
  name?: string;
  template?: number;
}

const guests = async () => (await pveGet<Res[]>(sim(), "/cluster/resources?type=vm")).filter((r) => r.type === "qemu" || r.type === "lxc");
const onlineGuests = async () => (await guests()).filter((g) => g.node !== "pve3" && !g.template);
const find = async (pred: (g: Res) => boolean) => {
  const g = (await onlineGuests()).find(pred);
  if (!g) throw new Error("the demo cluster lacks a guest this test needs");
  return g;
};
const call = (name: string, args: Record<string, unknown>, env: Record<string, string> = {}) => withSession(envFor(sim(), env), (s) => callTool(s, name, args));
const writeRequests = () => sim().requests.filter((r) => r.method !== "GET");

describe("gates through MCP", () => {
  test("a tier-2 call without confirm makes zero requests", async () => {
    const g = await find((x) => x.status === "stopped");
    sim().resetLog();
    const answer = await call("proxmox_start_resource", { vmid: g.vmid });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("Missing: confirm");
    expect(sim().requests).toHaveLength(0);
  });

  test("a tier-3 call with confirm and destructive but no env flag makes zero requests", async () => {
    sim().resetLog();
    const answer = await call("proxmox_destroy_resource", { vmid: 100, confirm: true, destructive: true });
    expect(answer.text).toContain("PROXMOX_ENABLE_DESTRUCTIVE");
    expect(sim().requests).toHaveLength(0);
  });

  test("a tier-3 call with the env flag but without destructive: true makes zero requests", async () => {
    sim().resetLog();
    const answer = await call("proxmox_force_stop_resource", { vmid: 100, confirm: true }, DESTRUCTIVE_ENV);
    expect(answer.text).toContain("Missing: destructive");
    expect(sim().requests).toHaveLength(0);
  });
});

describe("power", () => {
  test("start turns a stopped guest running and reports the task finished OK", async () => {
    const g = await find((x) => x.status === "stopped" && x.type === "qemu");
    const answer = await call("proxmox_start_resource", { vmid: g.vmid, confirm: true });
    const data = answer.structured as { state: string; upid: string; node: string };
    expect(data.state).toBe("ok");
    expect(data.upid).toStartWith(`UPID:${g.node}:`);
    expect(answer.text).toContain("finished OK");
    const after = (await guests()).find((x) => x.vmid === g.vmid);
    expect(after?.status).toBe("running");
  });

  test("starting a running guest does nothing and sends no write", async () => {
    const g = await find((x) => x.status === "running");
    sim().resetLog();
    const answer = await call("proxmox_start_resource", { vmid: g.vmid, confirm: true });
    expect((answer.structured as { state: string }).state).toBe("not_needed");
    expect(writeRequests()).toHaveLength(0);
  });

  test("starting a template is refused before any write", async () => {
    const template = (await guests()).find((x) => x.template === 1 && x.node !== "pve3") as Res;
    sim().resetLog();
    const answer = await call("proxmox_start_resource", { vmid: template.vmid, confirm: true });
    expect(answer.text).toContain("template");
    expect(writeRequests()).toHaveLength(0);
  });

  test("a type that does not match the guest is a clear error", async () => {
    const g = await find((x) => x.type === "lxc");
    const answer = await call("proxmox_start_resource", { vmid: g.vmid, type: "qemu", confirm: true });
    expect(answer.text).toContain("container (lxc), not qemu");
  });

  test("stop shuts down gracefully, passing the timeout through", async () => {
    const g = await find((x) => x.status === "running" && x.type === "lxc");
    sim().resetLog();
    const answer = await call("proxmox_stop_resource", { vmid: g.vmid, timeout: 30, confirm: true });
    expect((answer.structured as { state: string }).state).toBe("ok");
    const post = writeRequests()[0];
    expect(post?.path).toBe(`/nodes/${g.node}/lxc/${g.vmid}/status/shutdown`);
    expect(post?.params.timeout).toBe("30");
    expect((await guests()).find((x) => x.vmid === g.vmid)?.status).toBe("stopped");
  });

  test("reboot of a stopped guest is refused", async () => {
    const g = await find((x) => x.status === "stopped");
    const answer = await call("proxmox_reboot_resource", { vmid: g.vmid, confirm: true });
    expect(answer.text).toContain("cannot be rebooted");
  });

  test("reboot of a running guest runs the reboot task", async () => {
    const g = await find((x) => x.status === "running");
    const answer = await call("proxmox_reboot_resource", { vmid: g.vmid, confirm: true });
    expect((answer.structured as { state: string }).state).toBe("ok");
  });

  test("force stop with every gate powers a running guest off", async () => {
    const g = await find((x) => x.status === "running");
    const answer = await call("proxmox_force_stop_resource", { vmid: g.vmid, confirm: true, destructive: true }, DESTRUCTIVE_ENV);
    expect((answer.structured as { state: string }).state).toBe("ok");
    expect((await guests()).find((x) => x.vmid === g.vmid)?.status).toBe("stopped");
  });
});

describe("tasks that do not simply succeed", () => {
  test("a failing task is reported as FAILED with PVE's exit status and the last log lines", async () => {
    const g = await find((x) => x.status === "stopped");
    sim().scriptNextTask({ outcome: "error", error: "start failed: simulated disk missing" });
    const answer = await call("proxmox_start_resource", { vmid: g.vmid, confirm: true });
    const data = answer.structured as { state: string; exitstatus: string; log_tail: string[] };
    expect(data.state).toBe("failed");
    expect(data.exitstatus).toContain("simulated disk missing");
    expect(answer.text).toContain("FAILED");
    expect(data.log_tail.join("\n")).toContain("TASK ERROR");
  });

  test("a task that outlasts the wait budget is reported as still running, with how to check it", async () => {
    const g = await find((x) => x.status === "stopped");
    sim().scriptNextTask({ outcome: "ok", durationMs: 4000 });
    const answer = await call("proxmox_start_resource", { vmid: g.vmid, confirm: true, wait_timeout_s: 1 });
    expect((answer.structured as { state: string }).state).toBe("running");
    expect(answer.text).toContain("STILL RUNNING");
    expect(answer.text).toContain("proxmox_get_task_status");
  });

  test("progress notifications arrive while waiting", async () => {
    const g = await find((x) => x.status === "stopped");
    sim().scriptNextTask({ outcome: "ok", durationMs: 1500 });
    const progress: { progress: number; message?: string }[] = [];
    await withSession(envFor(sim()), async (s) => {
      await s.client.callTool({ name: "proxmox_start_resource", arguments: { vmid: g.vmid, confirm: true } }, { onprogress: (p: { progress: number; message?: string }) => progress.push(p) });
    });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
  });

  test("a cancelled call stops waiting and the server keeps serving", async () => {
    const g = await find((x) => x.status === "stopped");
    sim().scriptNextTask({ outcome: "ok", durationMs: 5000 });
    const session: McpSession = await connectMcp(envFor(sim()));
    try {
      const controller = new AbortController();
      const pending = session.client.callTool({ name: "proxmox_start_resource", arguments: { vmid: g.vmid, confirm: true } }, { signal: controller.signal });
      await Bun.sleep(700);
      controller.abort();
      await expect(pending).rejects.toThrow();
      const polls = sim().requests.filter((r) => r.path.endsWith("/status")).length;
      await Bun.sleep(1200);
      expect(sim().requests.filter((r) => r.path.endsWith("/status")).length).toBe(polls);
      expect((await callTool(session, "proxmox_status")).isError).toBe(false);
    } finally {
      await session.close();
    }
  });
});

describe("snapshots", () => {
  test("a snapshot appears in the guest's snapshot list", async () => {
    const g = await find((x) => x.type === "qemu");
    const answer = await call("proxmox_snapshot_resource", { vmid: g.vmid, name: "before-upgrade", description: "test", confirm: true });
    expect((answer.structured as { state: string }).state).toBe("ok");
    const snaps = await pveGet<{ name: string }[]>(sim(), `/nodes/${g.node}/qemu/${g.vmid}/snapshot`);
    expect(snaps.map((s) => s.name)).toContain("before-upgrade");
  });

  test("a snapshot name already taken is refused before any write", async () => {
    const g = await find((x) => x.type === "qemu");
    await call("proxmox_snapshot_resource", { vmid: g.vmid, name: "twice", confirm: true });
    sim().resetLog();
    const answer = await call("proxmox_snapshot_resource", { vmid: g.vmid, name: "twice", confirm: true });
    expect(answer.text).toContain("already has a snapshot named 'twice'");
    expect(writeRequests()).toHaveLength(0);
  });

  test("vmstate is refused for a container", async () => {
    const g = await find((x) => x.type === "lxc");
    const answer = await call("proxmox_snapshot_resource", { vmid: g.vmid, name: "ram", vmstate: true, confirm: true });
    expect(answer.text).toContain("VMs only");
  });

  test("delete_snapshot removes it, and a missing one is named with the existing ones", async () => {
    const g = await find((x) => x.type === "lxc");
    await call("proxmox_snapshot_resource", { vmid: g.vmid, name: "gone-soon", confirm: true });
    const missing = await call("proxmox_delete_snapshot", { vmid: g.vmid, name: "never-was", confirm: true, destructive: true }, DESTRUCTIVE_ENV);
    expect(missing.text).toContain("gone-soon");
    const answer = await call("proxmox_delete_snapshot", { vmid: g.vmid, name: "gone-soon", confirm: true, destructive: true }, DESTRUCTIVE_ENV);
    expect((answer.structured as { state: string }).state).toBe("ok");
    const snaps = await pveGet<{ name: string }[]>(sim(), `/nodes/${g.node}/lxc/${g.vmid}/snapshot`);
    expect(snaps.map((s) => s.name)).not.toContain("gone-soon");
  });
});

describe("backups", () => {
  test("a backup returns its UPID at once by default", async () => {
    const g = await find((x) => x.type === "lxc");
    const answer = await call("proxmox_run_backup", { vmid: g.vmid, confirm: true });
    const data = answer.structured as { state: string; upid: string; storage: string };
    expect(data.state).toBe("running");
    expect(data.upid).toContain(":vzdump:");
    expect(answer.text).toContain("not waited for");
  });

  test("a waited-for backup appears on the storage", async () => {
    const g = await find((x) => x.type === "qemu");
    const before = (await call("proxmox_list_backups", { vmid: g.vmid })).structured as { total: number };
    const answer = await call("proxmox_run_backup", { vmid: g.vmid, mode: "snapshot", notes: "{{guestname}} nightly", wait: true, confirm: true });
    expect((answer.structured as { state: string }).state).toBe("ok");
    const after = (await call("proxmox_list_backups", { vmid: g.vmid })).structured as { total: number };
    expect(after.total).toBe(before.total + 1);
  });

  test("a storage that holds no backups is refused before any write", async () => {
    const g = await find((x) => x.type === "qemu");
    sim().resetLog();
    const answer = await call("proxmox_run_backup", { vmid: g.vmid, storage: "local-lvm", confirm: true });
    expect(answer.text).toContain("does not hold backups");
    expect(writeRequests()).toHaveLength(0);
  });
});

describe("creating, cloning and destroying", () => {
  test("create_container takes the next free vmid and the guest appears", async () => {
    const templates = (await call("proxmox_list_templates", {})).structured as { lxc: { volid: string }[] };
    const answer = await call("proxmox_create_container", { node: "pve1", ostemplate: templates.lxc[0]?.volid, hostname: "test-ct", password: "s3cret-pass", wait: true, confirm: true });
    const data = answer.structured as { state: string; newid: number };
    expect(data.state).toBe("ok");
    expect((await guests()).find((g) => g.vmid === data.newid)?.type).toBe("lxc");
  });

  test("the container password never comes back in the answer", async () => {
    const templates = (await call("proxmox_list_templates", {})).structured as { lxc: { volid: string }[] };
    const answer = await call("proxmox_create_container", { node: "pve2", ostemplate: templates.lxc[0]?.volid, hostname: "pw-ct", password: "hunter2-hunter2", confirm: true });
    expect(JSON.stringify(answer)).not.toContain("hunter2-hunter2");
  });

  test("create_vm with an ISO creates a VM with a disk and a NIC", async () => {
    const answer = await call("proxmox_create_vm", { node: "pve2", name: "test-vm", memory_mb: 1024, disk_gb: 16, wait: true, confirm: true });
    const data = answer.structured as { state: string; newid: number };
    expect(data.state).toBe("ok");
    const config = await pveGet<Record<string, string>>(sim(), `/nodes/pve2/qemu/${data.newid}/config`);
    expect(config.scsi0).toContain("local-lvm");
    expect(config.net0).toContain("bridge=vmbr0");
  });

  test("creating onto a vmid that exists is refused before any write", async () => {
    const g = await find(() => true);
    sim().resetLog();
    const answer = await call("proxmox_create_vm", { node: "pve1", vmid: g.vmid, name: "dup", confirm: true });
    expect(answer.text).toContain(`vmid ${g.vmid} is already used`);
    expect(writeRequests()).toHaveLength(0);
  });

  test("creating on an offline node is refused", async () => {
    const answer = await call("proxmox_create_vm", { node: "pve3", name: "nowhere", confirm: true });
    expect(answer.text).toMatch(/pve3 is (offline|unknown|not online)/);
  });

  test("a linked clone of a VM template appears as a new guest", async () => {
    const template = (await guests()).find((x) => x.template === 1 && x.type === "qemu" && x.node !== "pve3") as Res;
    const answer = await call("proxmox_clone_resource", { vmid: template.vmid, name: "from-template", wait: true, confirm: true });
    const data = answer.structured as { state: string; newid: number };
    expect(data.state).toBe("ok");
    expect((await guests()).find((g) => g.vmid === data.newid)?.name).toBe("from-template");
  });

  test("a linked clone of a guest that is not a template is refused", async () => {
    const g = await find((x) => x.type === "qemu");
    const answer = await call("proxmox_clone_resource", { vmid: g.vmid, full: false, confirm: true });
    expect(answer.text).toContain("needs a template source");
  });

  test("destroying a running guest is refused, pointing at stop", async () => {
    const g = await find((x) => x.status === "running");
    sim().resetLog();
    const answer = await call("proxmox_destroy_resource", { vmid: g.vmid, confirm: true, destructive: true }, DESTRUCTIVE_ENV);
    expect(answer.text).toContain("Stop it first");
    expect(writeRequests()).toHaveLength(0);
  });

  test("destroying a stopped guest removes it", async () => {
    const created = (await call("proxmox_create_vm", { node: "pve1", name: "doomed", wait: true, confirm: true })).structured as { newid: number };
    const answer = await call("proxmox_destroy_resource", { vmid: created.newid, purge: true, confirm: true, destructive: true }, DESTRUCTIVE_ENV);
    expect((answer.structured as { state: string }).state).toBe("ok");
    expect((await guests()).some((g) => g.vmid === created.newid)).toBe(false);
  });
});

describe("admin policy", () => {
  test("PROXMOX_ALLOWED_VMIDS refuses a write outside the list with zero requests", async () => {
    sim().resetLog();
    const answer = await call("proxmox_start_resource", { vmid: 999, confirm: true }, { PROXMOX_ALLOWED_VMIDS: "100-199" });
    expect(answer.text).toContain("PROXMOX_ALLOWED_VMIDS");
    expect(sim().requests).toHaveLength(0);
  });

  test("PROXMOX_PROTECTED_TAGS refuses every write to a tagged guest", async () => {
    const tagged = (await pveGet<(Res & { tags?: string })[]>(sim(), "/cluster/resources?type=vm")).find((g) => g.tags && g.node !== "pve3") as Res & { tags: string };
    const tag = tagged.tags.split(";")[0] as string;
    sim().resetLog();
    const answer = await call("proxmox_snapshot_resource", { vmid: tagged.vmid, name: "nope", confirm: true }, { PROXMOX_PROTECTED_TAGS: tag.toUpperCase() });
    expect(answer.text).toContain("protected tag");
    expect(writeRequests()).toHaveLength(0);
  });

  test("PROXMOX_ALLOWED_NODES refuses a write on another node", async () => {
    const g = await find((x) => x.node === "pve2");
    const answer = await call("proxmox_start_resource", { vmid: g.vmid, confirm: true }, { PROXMOX_ALLOWED_NODES: "pve1" });
    expect(answer.text).toContain("PROXMOX_ALLOWED_NODES");
  });

  test("every write attempt leaves one audit line, with passwords masked", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      await callTool(session, "proxmox_start_resource", { vmid: 100 });
      await callTool(session, "proxmox_create_container", { node: "pve1", ostemplate: "local:vztmpl/x.tar.zst", hostname: "a", password: "topsecret-pw" });
      const audit = session.stderr().split("\n").filter((l) => l.includes('"audit":true'));
      expect(audit).toHaveLength(2);
      expect(JSON.parse(audit[0] as string)).toMatchObject({ tool: "proxmox_start_resource", decision: "refused" });
      expect(session.stderr()).not.toContain("topsecret-pw");
    } finally {
      await session.close();
    }
  });
});
