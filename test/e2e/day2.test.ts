// The day-2 tools through a real MCP client against the compiled binary and the simulated
// cluster: change, grow, restore, prove a backup, download, cancel, provision a reachable
// guest. Every write is refused before any request without its gates or against the admin's
// policy; every task outcome is reported as it is.
import { describe, expect, test } from "bun:test";
import { callTool, envFor, pveGet, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();
const ALL = { PROXMOX_TOOLSETS: "all" };
const call = (name: string, args: Record<string, unknown>, env: Record<string, string> = {}) => withSession(envFor(sim(), { ...ALL, ...env }), (s) => callTool(s, name, args));
const writes = () => sim().requests.filter((r) => r.method !== "GET");
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb6Vw0sFhQ2o0x7yKqk0Tt2cE8v3vUu1qJ4b9mQab12 admin@laptop";

async function backupOf(vmid: number): Promise<string> {
  const list = await pveGet<{ volid: string; vmid?: number }[]>(sim(), "/nodes/pve1/storage/nas-backup/content?content=backup");
  const volid = list.find((v) => v.vmid === vmid)?.volid;
  if (!volid) throw new Error(`the demo cluster has no backup of ${vmid}`);
  return volid;
}

describe("proxmox_update_config", () => {
  test("without confirm it is refused with zero requests", async () => {
    sim().resetLog();
    const answer = await call("proxmox_update_config", { vmid: 104, cores: 6 });
    expect(answer.text).toContain("Missing: confirm");
    expect(sim().requests).toHaveLength(0);
  });

  test("on a running VM, cores wait for a restart and the name applies live, with the digest sent", async () => {
    const answer = await call("proxmox_update_config", { vmid: 100, cores: 4, name: "web-01b", confirm: true });
    const data = answer.structured as { changes: { key: string; before: string; after: string; applied: string }[]; pending_restart: boolean };
    expect(data.changes).toContainEqual({ key: "cores", before: "2", after: "4", applied: "pending" });
    expect(data.changes).toContainEqual({ key: "name", before: "web-01", after: "web-01b", applied: "live" });
    expect(data.pending_restart).toBe(true);
    expect(answer.text).toContain("cores: 2 → 4");
    const put = writes().find((r) => r.method === "PUT");
    expect(put?.params.digest).toMatch(/^[0-9a-f]{40}$/);
  });

  test("an edit made between the read and the write is refused, not overwritten", async () => {
    // The server reads config, then pending; a person edits while the pending read is held up.
    sim().injectFault({ method: "GET", path: "/nodes/pve1/qemu/104/pending", times: 1, fault: { kind: "latency", delayMs: 500 } });
    const pending = call("proxmox_update_config", { vmid: 104, memory: 4096, confirm: true });
    while (!sim().requests.some((r) => r.path === "/nodes/pve1/qemu/104/pending")) await Bun.sleep(10);
    const g = sim().state.guests.get(104);
    if (g) g.config.description = "edited by a person meanwhile";
    const answer = await pending;
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("changed after it was read");
    expect(sim().state.guests.get(104)?.config.memory).toBe("8192");
  });

  test("tags as a list become PVE's ';' string and apply at once on a stopped guest", async () => {
    await call("proxmox_update_config", { vmid: 203, tags: ["monitoring", "lab"], onboot: true, confirm: true });
    expect(sim().state.guests.get(203)?.config.tags).toBe("monitoring;lab");
    expect(sim().state.guests.get(203)?.config.onboot).toBe(1);
  });

  test("a network change keeps the MAC address and adds the VLAN tag", async () => {
    const before = String(sim().state.guests.get(104)?.config.net0);
    const mac = /virtio=([0-9A-F:]{17})/.exec(before)?.[1];
    await call("proxmox_update_config", { vmid: 104, net: [{ index: 0, tag: 20, firewall: true }], confirm: true });
    expect(sim().state.guests.get(104)?.config.net0).toBe(`virtio=${mac},bridge=vmbr0,tag=20,firewall=1`);
  });

  test("turning protection off is refused with a pointer, before any write", async () => {
    sim().resetLog();
    const answer = await call("proxmox_update_config", { vmid: 104, delete: ["protection"], confirm: true });
    expect(answer.text).toContain("Turning protection off is not this tool's job");
    expect(writes()).toHaveLength(0);
  });

  test("removing a disk is refused, pointing elsewhere", async () => {
    sim().resetLog();
    const answer = await call("proxmox_update_config", { vmid: 104, delete: ["scsi0"], confirm: true });
    expect(answer.text).toContain("not this tool's job");
    expect(answer.text).toContain("proxmox_resize_disk");
    expect(writes()).toHaveLength(0);
  });

  test("a VM-only setting on a container says which settings containers take", async () => {
    const answer = await call("proxmox_update_config", { vmid: 203, balloon: 512, confirm: true });
    expect(answer.text).toContain("balloon applies to VMs");
  });

  test("a guest with a protected tag is refused before any write", async () => {
    sim().resetLog();
    const answer = await call("proxmox_update_config", { vmid: 200, cores: 2, confirm: true }, { PROXMOX_PROTECTED_TAGS: "dns" });
    expect(answer.text).toContain("protected tag dns");
    expect(writes()).toHaveLength(0);
  });
});

describe("proxmox_resize_disk", () => {
  test("a shrink is refused before any write, saying the current size", async () => {
    sim().resetLog();
    const answer = await call("proxmox_resize_disk", { vmid: 105, disk: "scsi0", size: "20G", confirm: true });
    expect(answer.text).toContain("would shrink scsi0 from 32G");
    expect(writes()).toHaveLength(0);
  });

  test("an unknown disk is refused, listing the guest's disks", async () => {
    const answer = await call("proxmox_resize_disk", { vmid: 105, disk: "scsi3", size: "+1G", confirm: true });
    expect(answer.text).toContain("has no disk scsi3");
    expect(answer.text).toContain("scsi0 (32G)");
  });

  test("a size without a unit is refused, naming the accepted form", async () => {
    const answer = await call("proxmox_resize_disk", { vmid: 105, disk: "scsi0", size: "40", confirm: true });
    expect(answer.text).toContain("+10G or 40G");
  });

  test("+8G grows the disk and the task is followed to OK", async () => {
    const answer = await call("proxmox_resize_disk", { vmid: 105, disk: "scsi0", size: "+8G", confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", size_before: "32G", size_after: "40G" });
    expect(String(sim().state.guests.get(105)?.config.scsi0)).toContain("size=40G");
  });

  test("a container's rootfs grows to an absolute size", async () => {
    const answer = await call("proxmox_resize_disk", { vmid: 203, disk: "rootfs", size: "12G", confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", size_after: "12G" });
  });
});

describe("proxmox_restore_backup", () => {
  test("a vmid in use is refused before any write, pointing at destroy", async () => {
    sim().resetLog();
    const answer = await call("proxmox_restore_backup", { volid: await backupOf(100), vmid: 104, confirm: true });
    expect(answer.text).toContain("vmid 104 is already used");
    expect(writes()).toHaveLength(0);
  });

  test("a VM backup restores into a new vmid, new MACs with unique", async () => {
    const volid = await backupOf(100);
    const answer = await call("proxmox_restore_backup", { volid, vmid: 7200, unique: true, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", newid: 7200, type: "qemu" });
    const post = writes().find((r) => r.path === "/nodes/pve1/qemu");
    expect(post?.params).toMatchObject({ vmid: "7200", archive: volid, unique: "1" });
    expect(sim().state.guests.get(7200)?.name).toBe("web-01");
  });

  test("a container backup restores with restore=1", async () => {
    const volid = await backupOf(200);
    const answer = await call("proxmox_restore_backup", { volid, vmid: 7201, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", type: "lxc" });
    expect(writes().find((r) => r.path === "/nodes/pve1/lxc")?.params).toMatchObject({ ostemplate: volid, restore: "1" });
  });

  test("a new vmid outside PROXMOX_ALLOWED_VMIDS is refused with zero writes, though the backed-up guest is allowed", async () => {
    sim().resetLog();
    const answer = await call("proxmox_restore_backup", { volid: await backupOf(100), vmid: 7300, confirm: true }, { PROXMOX_ALLOWED_VMIDS: "100-199" });
    expect(answer.text).toContain("outside PROXMOX_ALLOWED_VMIDS");
    expect(writes()).toHaveLength(0);
  });

  test("a failed restore task is reported as FAILED with PVE's exit status", async () => {
    sim().scriptNextTask({ type: "qmrestore", outcome: "error", error: "unable to restore VM 7202 - no space left on device" });
    const answer = await call("proxmox_restore_backup", { volid: await backupOf(100), vmid: 7202, confirm: true });
    expect(answer.structured).toMatchObject({ state: "failed" });
    expect(answer.text).toContain("no space left on device");
  });
});

describe("proxmox_verify_backup", () => {
  test("a VM backup is restored with every NIC disconnected, booted until the agent answers, then destroyed", async () => {
    const volid = await backupOf(100);
    const answer = await call("proxmox_verify_backup", { volid, scratch_vmid: 7400, confirm: true });
    const data = answer.structured as { verdict: string; agent: string; cleanup: string; boot: { seconds: number } };
    expect(data).toMatchObject({ verdict: "verified", agent: "answered", cleanup: "destroyed" });
    expect(answer.text).toContain("VERIFIED");
    const restore = writes().find((r) => r.path === "/nodes/pve1/qemu");
    expect(String(restore?.params.net0)).toEndWith(",link_down=1");
    expect(restore?.params.tags).toBe("mcp-verify");
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /nodes/pve1/qemu",
      "POST /nodes/pve1/qemu/7400/status/start",
      ...writes().filter((r) => r.path.endsWith("/agent/ping")).map(() => "POST /nodes/pve1/qemu/7400/agent/ping"),
      "POST /nodes/pve1/qemu/7400/status/stop",
      "DELETE /nodes/pve1/qemu/7400",
    ]);
    expect(sim().state.guests.has(7400)).toBe(false);
  });

  test("a container backup is verified by its running state", async () => {
    const answer = await call("proxmox_verify_backup", { volid: await backupOf(200), confirm: true });
    expect(answer.structured).toMatchObject({ verdict: "verified", agent: "not_applicable", cleanup: "destroyed" });
  });

  test("a scratch vmid in use is refused before any write", async () => {
    sim().resetLog();
    const answer = await call("proxmox_verify_backup", { volid: await backupOf(100), scratch_vmid: 100, confirm: true });
    expect(answer.text).toContain("vmid 100 is already used");
    expect(writes()).toHaveLength(0);
  });

  test("a scratch vmid outside the allowlist is refused with zero requests", async () => {
    sim().resetLog();
    const answer = await call("proxmox_verify_backup", { volid: await backupOf(100), scratch_vmid: 7401, confirm: true }, { PROXMOX_ALLOWED_VMIDS: "100-199" });
    expect(answer.text).toContain("outside PROXMOX_ALLOWED_VMIDS");
    expect(writes()).toHaveLength(0);
  });

  test("a backup whose restore fails is reported FAILED and nothing is left behind", async () => {
    sim().scriptNextTask({ type: "qmrestore", outcome: "error", error: "vma: restore failed - checksum mismatch" });
    const answer = await call("proxmox_verify_backup", { volid: await backupOf(100), scratch_vmid: 7402, confirm: true });
    expect(answer.structured).toMatchObject({ verdict: "failed", cleanup: "nothing_created" });
    expect(answer.text).toContain("checksum mismatch");
  });
});

describe("proxmox_download_to_storage", () => {
  test("an http URL is refused before any request", async () => {
    sim().resetLog();
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "http://198.51.100.7/noble.qcow2", content: "import", confirm: true });
    expect(answer.text).toContain("url must use https://");
    expect(sim().requests).toHaveLength(0);
  });

  for (const url of ["https://127.0.0.1/x.iso", "https://localhost/x.iso", "https://169.254.169.254/latest/x.iso", "https://10.0.0.5/x.iso", "https://[::ffff:192.168.1.1]/x.iso", "https://2130706433/x.iso"]) {
    test(`the node is not sent to fetch ${url} (SSRF)`, async () => {
      sim().resetLog();
      const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url, content: "iso", confirm: true });
      expect(answer.text).toContain("Refused:");
      expect(answer.text).toContain("PROXMOX_DOWNLOAD_ALLOW_PRIVATE=1");
      expect(sim().requests).toHaveLength(0);
    });
  }

  test("with PROXMOX_DOWNLOAD_ALLOW_PRIVATE=1 a private source is allowed", async () => {
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://10.0.0.5/mirror/debian.iso", content: "iso", confirm: true }, { PROXMOX_DOWNLOAD_ALLOW_PRIVATE: "1" });
    expect(answer.structured).toMatchObject({ state: "ok", volid: "local:iso/debian.iso" });
  });

  test("a checksum not in ALGO:HEX form is refused, naming the form", async () => {
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://198.51.100.7/noble.qcow2", content: "import", checksum: "9f86d081884c7d65", confirm: true });
    expect(answer.text).toContain("checksum must be ALGO:HEX");
  });

  test("a checksum of the wrong length for its algorithm is refused", async () => {
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://198.51.100.7/noble.qcow2", content: "import", checksum: "sha256:abcd", confirm: true });
    expect(answer.text).toContain("a sha256 is 64 hex digits");
  });

  test("a cloud image lands in import content, with the checksum and certificate checks sent to PVE", async () => {
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://198.51.100.7/images/noble-server-cloudimg-amd64.img", filename: "noble.qcow2", content: "import", checksum: `sha256:${"ab".repeat(32)}`, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", volid: "local:import/noble.qcow2" });
    expect(writes()[0]?.params).toMatchObject({ checksum: "ab".repeat(32), "checksum-algorithm": "sha256", "verify-certificates": "1" });
  });

  test("a file name that does not fit the content type is refused", async () => {
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://198.51.100.7/noble.img", content: "import", confirm: true });
    expect(answer.text).toContain("must end in .qcow2");
  });

  test("the catalogue lists appliances, and one downloads by its template name", async () => {
    const list = await call("proxmox_list_templates", { catalogue: true }, {});
    const items = (list.structured as { catalogue: { items: { template: string }[] } }).catalogue.items;
    expect(items.length).toBeGreaterThan(0);
    const pick = items.find((t) => t.template.startsWith("ubuntu-24.04"))?.template;
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", template: pick, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", volid: `local:vztmpl/${pick}` });
    const again = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", template: pick, confirm: true });
    expect(again.structured).toMatchObject({ state: "not_needed" });
  });
});

describe("proxmox_cancel_task", () => {
  test("a running task is stopped and reported as stopped with PVE's status", async () => {
    sim().scriptNextTask({ outcome: "ok", durationMs: 8000 });
    const started = await call("proxmox_snapshot_resource", { vmid: 104, name: "long-one", wait: false, confirm: true });
    const upid = (started.structured as { upid: string }).upid;
    const answer = await call("proxmox_cancel_task", { upid, confirm: true });
    expect(answer.structured).toMatchObject({ state: "stopped", exitstatus: "interrupted by signal" });
  });

  test("a task that already ended is reported as such and no DELETE is sent", async () => {
    const done = await call("proxmox_snapshot_resource", { vmid: 104, name: "short-one", confirm: true });
    sim().resetLog();
    const answer = await call("proxmox_cancel_task", { upid: (done.structured as { upid: string }).upid, confirm: true });
    expect(answer.structured).toMatchObject({ state: "not_needed" });
    expect(writes()).toHaveLength(0);
  });
});

describe("provisioning a reachable guest", () => {
  test("a VM from a cloud image with cloud-init starts and returns the address its agent reports", async () => {
    await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://198.51.100.7/images/jammy.qcow2", content: "import", confirm: true });
    const answer = await call("proxmox_create_vm", { node: "pve1", vmid: 7500, name: "cloud-01", import_from: "local:import/jammy.qcow2", ciuser: "debian", sshkeys: KEY, ip: "192.168.1.77/24", gateway: "192.168.1.1", start: true, wait_for_ip: true, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", newid: 7500, ip: "192.168.1.77", ip_state: "reported" });
    const post = writes().find((r) => r.path === "/nodes/pve1/qemu");
    expect(post?.params).toMatchObject({ scsi0: "local-lvm:0,import-from=local:import/jammy.qcow2", ide2: "local-lvm:cloudinit", ipconfig0: "ip=192.168.1.77/24,gw=192.168.1.1", agent: "enabled=1", ciuser: "debian" });
    expect(decodeURIComponent(String(post?.params.sshkeys))).toBe(KEY);
  });

  test("when the agent reports no address within the budget, the answer says so and invents none", async () => {
    sim().injectFault({ method: "GET", path: /agent\/network-get-interfaces/, fault: { kind: "status", status: 500, message: "QEMU guest agent is not running" } });
    const answer = await call("proxmox_create_vm", { node: "pve1", vmid: 7501, name: "cloud-02", import_from: "local:import/jammy.qcow2", start: true, wait_for_ip: true, wait_timeout_s: 2, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", ip: null, ip_state: "not_reported" });
    expect(answer.text).toContain("No IP address reported");
  });

  test("disk_gb with import_from is refused, pointing at resize", async () => {
    const answer = await call("proxmox_create_vm", { node: "pve1", name: "cloud-03", import_from: "local:import/jammy.qcow2", disk_gb: 40, confirm: true });
    expect(answer.text).toContain("proxmox_resize_disk");
  });

  test("a container for Docker: unprivileged by default, nesting and keyctl, tags, DNS, started, with its address", async () => {
    const answer = await call("proxmox_create_container", { node: "pve1", vmid: 7600, hostname: "docker-01", ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", ssh_public_keys: KEY, features: ["nesting", "keyctl"], tags: ["docker", "lab"], onboot: true, nameserver: "1.1.1.1 9.9.9.9", searchdomain: "lab.example", ip: "192.168.1.88/24", gateway: "192.168.1.1", start: true, wait_for_ip: true, confirm: true });
    expect(answer.structured).toMatchObject({ state: "ok", ip: "192.168.1.88", ip_state: "reported" });
    const post = writes().find((r) => r.path === "/nodes/pve1/lxc");
    expect(post?.params).toMatchObject({ unprivileged: "1", features: "nesting=1,keyctl=1", tags: "docker;lab", onboot: "1", nameserver: "1.1.1.1 9.9.9.9" });
    expect(sim().state.guests.get(7600)?.tags).toEqual(["docker", "lab"]);
  });

  test("creating onto a vmid in use is refused before any write", async () => {
    sim().resetLog();
    const answer = await call("proxmox_create_vm", { node: "pve1", vmid: 100, name: "clash", confirm: true });
    expect(answer.text).toContain("already used");
    expect(writes()).toHaveLength(0);
  });
});

describe("the tour", () => {
  test("walks one day-2 flow: download, a reachable VM from a cloud image, snapshot, grow, change", async () => {
    const { runBinary } = await import("../helpers/harness.ts");
    const run = await runBinary(["tour"], { PATH: process.env.PATH ?? "/usr/bin:/bin" });
    expect(run.code).toBe(0);
    for (const line of ["Download of local:vztmpl/", "Refused: 169.254.169.254 is a link-local address", "IP address: ", "Snapshot 'fresh'", "Grow scsi0 of VM 120", "memory: 2048 → 4096  [pending"]) expect(run.stdout).toContain(line);
  }, 60_000);
});

describe("dry_run on the day-2 tools", () => {
  interface DryRun {
    dry_run: true;
    plan: { action: string; details: string[]; requests: { method: string; path: string; params: Record<string, unknown> }[] };
  }

  test("update_config with dry_run needs no confirm, sends no write, and shows the PUT with the digest", async () => {
    sim().resetLog();
    const answer = await call("proxmox_update_config", { vmid: 105, memory: 6144, dry_run: true });
    const plan = (answer.structured as unknown as DryRun).plan;
    expect(plan.requests).toEqual([{ method: "PUT", path: "/nodes/pve2/qemu/105/config", params: { memory: "6144", digest: expect.stringMatching(/^[0-9a-f]{40}$/) } }]);
    expect(plan.details).toContain("memory: 4096 → 6144");
    expect(writes()).toHaveLength(0);
  });

  test("verify_backup with dry_run lists every write of the drill: restore, start, agent ping, stop, destroy", async () => {
    sim().resetLog();
    const answer = await call("proxmox_verify_backup", { volid: await backupOf(100), scratch_vmid: 7700, dry_run: true });
    const plan = (answer.structured as unknown as DryRun).plan;
    expect(plan.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /nodes/pve1/qemu",
      "POST /nodes/pve1/qemu/7700/status/start",
      "POST /nodes/pve1/qemu/7700/agent/ping",
      "POST /nodes/pve1/qemu/7700/status/stop",
      "DELETE /nodes/pve1/qemu/7700",
    ]);
    expect(String(plan.requests[0]?.params.net0)).toContain("link_down=1");
    expect(writes()).toHaveLength(0);
    expect(sim().state.guests.has(7700)).toBe(false);
  });

  test("download_to_storage with dry_run still refuses a private URL: the other gates apply", async () => {
    sim().resetLog();
    const answer = await call("proxmox_download_to_storage", { node: "pve1", storage: "local", url: "https://192.168.1.10/x.iso", content: "iso", dry_run: true });
    expect(answer.text).toContain("Refused:");
    expect(sim().requests).toHaveLength(0);
  });
});

describe("honest restore drills", () => {
  test("when the guest agent never answers, the drill is INCONCLUSIVE and the scratch guest is still destroyed", async () => {
    sim().injectFault({ method: "POST", path: /\/agent\/ping$/, fault: { kind: "status", status: 500, message: "QEMU guest agent is not running" } });
    const answer = await call("proxmox_verify_backup", { volid: await backupOf(100), scratch_vmid: 7900, wait_timeout_s: 10, confirm: true });
    expect(answer.structured).toMatchObject({ verdict: "inconclusive", agent: "no_answer", cleanup: "destroyed" });
    expect(answer.text).toContain("INCONCLUSIVE");
    expect(sim().state.guests.has(7900)).toBe(false);
  }, 60_000);

  test("a Proxmox Backup Server volid (with ':' in its time) is accepted as a backup volume", async () => {
    const answer = await call("proxmox_restore_backup", { volid: "pbs:backup/vm/100/2026-11-30T02:00:00Z", vmid: 7901, confirm: true });
    expect(answer.text).toContain("No storage pbs exists");
  });
});
