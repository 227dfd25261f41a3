// Issue 10: what real clusters do that the tidy simulator did not, each behaviour switched on
// in the simulator and the tools' answers checked for what they say, not only their shape.
import { describe, expect, test } from "bun:test";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/sim/index.ts";
import { ask } from "../helpers/in-process.ts";

async function withSim<T>(options: SimulatorOptions, fn: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = startSimulator({ taskDurationMs: 100, ...options });
  try {
    const result = await fn(sim);
    expect(sim.rejections.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    return result;
  } finally {
    await sim.stop();
  }
}

describe("1. backups a token may not see", () => {
  test("with the README's PVEAuditor token, list_backups says PVE hides backups and names the privileges, instead of 'No backups found'", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_list_backups", {}, { token: "auditor" });
      expect(a.isError).toBe(false);
      expect(a.data.total).toBe(0);
      expect(a.text).not.toContain("No backups found");
      expect(a.text).toContain("does NOT mean there are none");
      expect(a.text).toContain("Datastore.AllocateSpace on /storage/nas-backup");
      expect(a.text).toContain("VM.Backup");
      expect(a.data.hidden.map((h: { storage: string }) => h.storage)).toContain("nas-backup");
    });
  });

  test("a root token sees the backups and no hidden note", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_list_backups", { vmid: 100 });
      expect(a.data.total).toBeGreaterThan(0);
      expect(a.data.hidden).toEqual([]);
    });
  });

  test("a pool-scoped token sees the backups of its pool's guests on the pool's storage", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_list_backups", { vmid: 100 }, { token: "pool" });
      expect(a.data.total).toBeGreaterThan(0);
      expect(a.data.items.every((b: { vmid: number }) => b.vmid === 100)).toBe(true);
    });
  });

  test("whoami and the privilege judgement report that the auditor token's read tools cannot see backups", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_whoami", {}, { token: "auditor" });
      const read = a.data.tiers.find((t: { tier: string }) => t.tier === "read");
      expect(read.works).toBe(true);
      expect(read.hidden.join(" ")).toContain("backup volumes");
      expect(a.text).toContain("see less");
    });
  });
});

describe("2. a standalone node", () => {
  test("node_status does not raise 'corosync NOT active' on a node without a cluster", async () => {
    await withSim({ standalone: true }, async (sim) => {
      const a = await ask(sim, "proxmox_node_status", { node: "proxmox" });
      expect(a.isError).toBe(false);
      expect(a.data.standalone).toBe(true);
      expect(a.text).not.toContain("NOT active");
      expect(a.text).toContain("corosync inactive as it should be on a standalone node");
    });
  });

  test("the same inactive corosync on a cluster member is reported", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_node_status", { node: "pve1" });
      expect(a.data.standalone).toBe(false);
      expect(a.data.services.every((s: { expected: boolean }) => s.expected)).toBe(true);
    });
  });

  test("proxmox_status calls it a standalone node", async () => {
    await withSim({ standalone: true }, async (sim) => {
      const a = await ask(sim, "proxmox_status");
      expect(a.text).toContain("Standalone node (no cluster)");
      expect(a.data.cluster).toBeNull();
    });
  });
});

describe("3. permission errors are not agent errors", () => {
  test("a 403 on a guest-agent read names the path and the privilege PVE named, and does not say 'install the agent'", async () => {
    // PVE 8 asks VM.Monitor for guest-agent reads; the pool token holds VM.GuestAgent.Audit only.
    await withSim({ token: "pool", real: { legacyErrors: true } }, async (sim) => {
      const a = await ask(sim, "proxmox_guest_info", { vmid: 100 });
      expect(a.isError).toBe(true);
      expect(a.text).toContain("VM.Monitor on /vms/100");
      expect(a.text).toContain("permission problem");
      expect(a.text).not.toMatch(/install/i);
    });
  });

  test("on PVE ≤ 8.3 the 403 text comes only in the HTTP reason phrase, and is still read", async () => {
    await withSim({ token: "auditor", real: { legacyErrors: true } }, async (sim) => {
      const a = await ask(sim, "proxmox_snapshot_resource", { vmid: 100, name: "probe", confirm: true });
      expect(a.isError).toBe(true);
      expect(a.text).toContain("VM.Snapshot on /vms/100");
    });
  });

  test("PVE 9.2's tag check on create is named as Sys.Modify on /, with PVE's remark", async () => {
    const { errorFromResponse } = await import("../../src/pve/errors.ts");
    const error = errorFromResponse("POST", "/nodes/pve1/qemu", 403, "Permission check failed (/, Sys.Modify for modifying tag 'prod')", undefined, "mcp@pve!agent");
    expect(error.message).toContain("lacks Sys.Modify on / (for modifying tag 'prod')");
    expect(error.hint).toContain("pveum acl modify / --tokens 'mcp@pve!agent'");
  });

  test("check_any's privileges joined by '|' are all named", async () => {
    const { errorFromResponse } = await import("../../src/pve/errors.ts");
    const error = errorFromResponse("GET", "/nodes/pve1/qemu/100/agent/get-osinfo", 403, "Permission check failed (/vms/100, VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted)", undefined);
    expect(error.message).toContain("VM.GuestAgent.Audit or VM.GuestAgent.Unrestricted on /vms/100");
  });
});

describe("4. an offline node", () => {
  test("list_backups skips the offline node's local storage, says so, and does not wait for a 595", async () => {
    await withSim({ real: { offlineDelayMs: 1500 } }, async (sim) => {
      const started = performance.now();
      const a = await ask(sim, "proxmox_list_backups");
      const took = performance.now() - started;
      expect(took).toBeLessThan(1500);
      expect(a.data.unreachable.join(" ")).toContain("local@pve3 (skipped: node pve3 is offline)");
      expect(a.text).toContain("pve3");
      expect(sim.requests.some((r) => r.path.startsWith("/nodes/pve3/"))).toBe(false);
    });
  });

  test("a 595 after a long wait is not retried", async () => {
    await withSim({ real: { offlineDelayMs: 2100 } }, async (sim) => {
      const { PveClient } = await import("../../src/pve/client.ts");
      const { createLogger } = await import("../../src/log.ts");
      const { Redactor } = await import("../../src/security/redactor.ts");
      const pve = new PveClient({ baseUrl: sim.url, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, timeoutMs: 10_000, tls: { insecure: false }, logger: createLogger(new Redactor(), "error", () => {}), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
      await expect(pve.get(["nodes", "pve3", "status"])).rejects.toThrow(/595/);
      expect(sim.requests.filter((r) => r.path === "/nodes/pve3/status")).toHaveLength(1);
    });
  }, 15_000);
});

describe("7. a privilege-separated token without an ACL", () => {
  test("list_vms says the token sees nothing and gives the pveum line, instead of '0 VMs'", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_list_vms", {}, { token: "privsep-no-acl" });
      expect(a.isError).toBe(false);
      expect(a.text).not.toMatch(/^0 VMs/);
      expect(a.text).toContain("No VMs visible to this token");
      expect(a.text).toContain("pveum acl modify / --tokens 'mcp@pve!privsep' --roles PVEAuditor");
    });
  });

  test("get_resource does not claim the guest does not exist", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_get_resource", { vmid: 100 }, { token: "privsep-no-acl" });
      expect(a.isError).toBe(true);
      expect(a.text).not.toContain("No guest with vmid 100 exists");
      expect(a.text).toContain("not visible to this token");
      expect(a.text).toContain("pveum acl modify");
    });
  });

  test("whoami says the token has no privileges", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_whoami", {}, { token: "privsep-no-acl" });
      expect(a.data.no_privileges).toBe(true);
      expect(a.text).toContain("no privileges");
    });
  });
});

describe("8. multi-guest backup jobs", () => {
  test("a vmid filter keeps the scheduled backup jobs (empty id) as possibly including the guest", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_recent_tasks", { vmid: 100 });
      expect(a.data.multi_guest_jobs.length).toBeGreaterThan(0);
      expect(a.text).toContain("may include guest 100");
    });
  });

  test("scan_logs reads the jobs' logs and tells which included the guest", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_recent_tasks", { vmid: 100, node: "pve1", scan_logs: true });
      const jobs = a.data.multi_guest_jobs as { includes_vmid: boolean | null }[];
      expect(jobs.length).toBeGreaterThan(0);
      expect(jobs.some((j) => j.includes_vmid === true)).toBe(true);
    });
  });
});

describe("9. VM disk usage", () => {
  test("a VM's disk: 0 is shown as unknown, a container's disk as its figure", async () => {
    await withSim({}, async (sim) => {
      const vms = await ask(sim, "proxmox_list_vms");
      expect(vms.data.items.every((i: { disk_bytes: number | null }) => i.disk_bytes === null)).toBe(true);
      expect(vms.text).not.toMatch(/\t0 B\/(32|128|64|80)\.?0? GiB\t/);
      expect(vms.text).toContain("?/32.0 GiB");
      const cts = await ask(sim, "proxmox_list_containers");
      expect(cts.data.items.every((i: { disk_bytes: number | null }) => typeof i.disk_bytes === "number" && i.disk_bytes > 0)).toBe(true);
    });
  });
});

describe("10. paused and io-error VMs", () => {
  test("they are counted and filtered by their QMP state", async () => {
    await withSim({ qmpStates: true }, async (sim) => {
      const all = await ask(sim, "proxmox_list_vms");
      expect(all.text).toContain("1 paused");
      expect(all.text).toContain("1 io-error");
      const paused = await ask(sim, "proxmox_list_vms", { status: "paused" });
      expect(paused.data.items.map((i: { vmid: number }) => i.vmid)).toEqual([104]);
    });
  });

  test("get_resource says 'resume it' for a paused VM", async () => {
    await withSim({ qmpStates: true }, async (sim) => {
      const a = await ask(sim, "proxmox_get_resource", { vmid: 104 });
      expect(a.data.status).toBe("paused");
      expect(a.text).toContain("resume it");
    });
  });

  test("guest_info does not call an io-error VM stopped", async () => {
    await withSim({ qmpStates: true }, async (sim) => {
      const a = await ask(sim, "proxmox_guest_info", { vmid: 105 });
      expect(a.text).not.toContain("stopped guest");
      expect(a.text).toContain("io-error");
      expect(a.text).toContain("resume");
    });
  });
});

describe("11. guest-agent errors", () => {
  test("PVE 6's {result:{error}} is an answer about the agent, never an internal error", async () => {
    await withSim({ agentErrors: true }, async (sim) => {
      const a = await ask(sim, "proxmox_guest_info", { vmid: 103 });
      expect(a.isError).toBe(false);
      expect(a.data.agent).toBe("error");
      expect(a.text).toContain("not currently supported");
    });
  });

  test("a 500 'Agent error: …' is reported the same way", async () => {
    await withSim({ agentErrors: true }, async (sim) => {
      const a = await ask(sim, "proxmox_guest_info", { vmid: 100 });
      expect(a.isError).toBe(false);
      expect(a.data.agent).toBe("error");
    });
  });

  test("an agent switched off in the config is said to be off, not 'not running'", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_guest_info", { vmid: 102 });
      expect(a.data.agent).toBe("not_configured");
    });
  });
});

describe("12. smaller ones", () => {
  test("get_task_status shows when a finished task ended", async () => {
    await withSim({}, async (sim) => {
      const done = sim.tasks.tasks.find((t) => t.endtime !== undefined && t.node === "pve1") as { upid: string; endtime: number };
      const a = await ask(sim, "proxmox_get_task_status", { upid: done.upid });
      expect(a.data.end).toBe(new Date(done.endtime * 1000).toISOString().replace(".000Z", "Z"));
      expect(a.text).toContain("ended");
    });
  });

  test("proxmox_status answers with what a pool token can see when /cluster/status is refused", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_status", {}, { token: "pool" });
      expect(a.isError).toBe(false);
      expect(a.data.nodes.length).toBe(3);
      expect(a.text).toContain("Sys.Audit on /");
      expect(a.text).not.toContain("Standalone");
    });
  });

  test("node_status flags a root filesystem at 95 %", async () => {
    await withSim({ standalone: true }, async (sim) => {
      const a = await ask(sim, "proxmox_node_status", { node: "proxmox" });
      expect(a.data.rootfs_full).toBe(true);
      expect(a.text).toContain("Root filesystem 95% full");
    });
  });

  test("tasks started by an API token keep the token's name", async () => {
    await withSim({}, async (sim) => {
      await ask(sim, "proxmox_snapshot_resource", { vmid: 100, name: "tok", confirm: true });
      const a = await ask(sim, "proxmox_recent_tasks", { type: "qmsnapshot" });
      expect(a.data.items[0]?.user).toBe("root@pam!mcp");
    });
  });

  test("whoami judges privileges granted on a pool as held on some guests, not missing", async () => {
    await withSim({}, async (sim) => {
      const a = await ask(sim, "proxmox_whoami", {}, { token: "pool" });
      const write = a.data.tiers.find((t: { tier: string }) => t.tier === "write");
      expect(write.partial.join(" ")).toContain("VM.PowerMgmt");
      expect(write.partial.join(" ")).toContain("/pool/prod");
      expect(write.missing.join(" ")).not.toContain("VM.PowerMgmt on");
    });
  });
});

describe("5. run_backup without a storage", () => {
  const usb = (sim: Simulator) =>
    sim.state.storages.push({ id: "usb-backup", type: "dir", content: ["backup"], shared: false, nodes: ["pve1"], total: 2 * 1024 ** 4, volumes: new Map() });

  test("with storage lists in hash order, picks the same active shared storage on the guest's node every time, and says why", async () => {
    await withSim({ real: { shuffleStorage: true } }, async (sim) => {
      usb(sim);
      const chosen = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const a = await ask(sim, "proxmox_run_backup", { vmid: 103, confirm: true });
        expect(a.isError).toBe(false);
        chosen.add(a.data.storage);
        expect(a.text).toContain("shared (the backup survives the node)");
      }
      expect([...chosen]).toEqual(["nas-backup"]);
      expect(sim.requests.filter((r) => r.method === "POST").every((r) => r.params.storage === "nas-backup")).toBe(true);
    });
  });

  test("a storage that exists only on another node is refused before any write, naming where it is", async () => {
    await withSim({}, async (sim) => {
      usb(sim);
      const a = await ask(sim, "proxmox_run_backup", { vmid: 103, storage: "usb-backup", confirm: true });
      expect(a.isError).toBe(true);
      expect(a.text).toContain("not available on pve2");
      expect(a.text).toContain("pve1");
      expect(sim.requests.some((r) => r.method === "POST")).toBe(false);
    });
  });

  test("on a standalone node without shared storage, the node's own backup storage is chosen and the reason says so", async () => {
    await withSim({ standalone: true }, async (sim) => {
      const a = await ask(sim, "proxmox_run_backup", { vmid: 100, confirm: true });
      expect(a.data.storage).toBe("local");
      expect(a.text).toContain("local to the node");
    });
  });
});

describe("6. HA-managed guests", () => {
  test("stop follows the guest after the hastop request until it is really stopped", async () => {
    await withSim({ real: { haDelayMs: 400 } }, async (sim) => {
      const a = await ask(sim, "proxmox_stop_resource", { vmid: 101, confirm: true });
      expect(a.isError).toBe(false);
      expect(a.data.upid).toContain(":hastop:101:");
      expect(a.data.ha.reached).toBe(true);
      expect(a.data.ha.status).toBe("stopped");
      expect(a.text).toContain("HA-managed");
      expect(a.text).toContain("now stopped");
    });
  });

  test("when the HA manager has not acted within the wait budget, the answer says it was only asked", async () => {
    await withSim({ real: { haDelayMs: 5000 } }, async (sim) => {
      const a = await ask(sim, "proxmox_stop_resource", { vmid: 101, confirm: true, wait_timeout_s: 1 });
      expect(a.data.ha.reached).toBe(false);
      expect(a.text).toContain("has NOT happened yet");
      expect(a.text).not.toContain("now stopped");
    });
  });

  test("migrate of an HA guest follows it to the target node", async () => {
    await withSim({ real: { haDelayMs: 300 } }, async (sim) => {
      const a = await ask(sim, "proxmox_migrate_resource", { vmid: 101, target: "pve2", confirm: true });
      expect(a.isError).toBe(false);
      expect(a.data.upid).toContain(":hamigrate:");
      expect(a.data.ha.node).toBe("pve2");
      expect(a.data.ha.reached).toBe(true);
    });
  });

  test("start of an HA guest without waiting says the HA manager was asked, not that it started", async () => {
    await withSim({ haGuests: [104], real: { haDelayMs: 2000 } }, async (sim) => {
      const a = await ask(sim, "proxmox_start_resource", { vmid: 104, confirm: true, wait: false });
      expect(a.text).toContain("only asked the HA manager");
    });
  });
});

describe("10. starting a paused VM", () => {
  test("is refused before any write with 'resume it', not PVE's raw 'already running'", async () => {
    await withSim({ qmpStates: true }, async (sim) => {
      const a = await ask(sim, "proxmox_start_resource", { vmid: 104, confirm: true });
      expect(a.isError).toBe(true);
      expect(a.text).toContain("Resume it");
      expect(a.text).not.toContain("already running\n");
      expect(sim.requests.some((r) => r.method === "POST")).toBe(false);
    });
  });

  test("shutting down a paused VM is refused with the way out (resume or force-stop)", async () => {
    await withSim({ qmpStates: true }, async (sim) => {
      const a = await ask(sim, "proxmox_stop_resource", { vmid: 104, confirm: true });
      expect(a.isError).toBe(true);
      expect(a.text).toContain("proxmox_force_stop_resource");
    });
  });
});
