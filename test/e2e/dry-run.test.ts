// Every write tool previews itself: dry_run: true sends no write, and answers with the plan
// (target, checks, the exact requests), through the compiled binary and the SDK client,
// which checks the answer against the tool's output schema.
import { describe, expect, test } from "bun:test";
import { WRITE_TOOLS } from "../../src/tools/index.ts";
import { callTool, envFor, pveGet, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();
const BACKUP_OF_100 = "<a backup of 100>";
const A_RUNNING_TASK = "<a running task>";

// Arguments each write tool needs on the demo cluster to get as far as its plan.
const PLANNABLE: Record<string, Record<string, unknown>> = {
  proxmox_start_resource: { vmid: 104 },
  proxmox_stop_resource: { vmid: 103 },
  proxmox_reboot_resource: { vmid: 103 },
  proxmox_force_stop_resource: { vmid: 103, destructive: true },
  proxmox_snapshot_resource: { vmid: 103, name: "plan-check" },
  proxmox_delete_snapshot: { vmid: 100, name: "before-php84", destructive: true },
  proxmox_rollback_snapshot: { vmid: 100, name: "before-php84", destructive: true },
  proxmox_run_backup: { vmid: 103 },
  proxmox_create_container: { node: "pve1", ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", hostname: "plan-ct", ssh_public_keys: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlanKey1234 admin@laptop", unprivileged: false, start: true },
  proxmox_create_vm: { node: "pve1", name: "plan-vm" },
  proxmox_clone_resource: { vmid: 9000, name: "plan-clone" },
  proxmox_migrate_resource: { vmid: 103, target: "pve1" },
  proxmox_destroy_resource: { vmid: 105, destructive: true },
  proxmox_guest_exec: { vmid: 100, command: ["hostname"], destructive: true },
  proxmox_api: { method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in", action: "DROP", dport: "23", proto: "tcp" } },
  proxmox_update_config: { vmid: 104, cores: 6, tags: ["lab", "win"] },
  proxmox_resize_disk: { vmid: 104, disk: "scsi0", size: "+1G" },
  proxmox_restore_backup: { volid: BACKUP_OF_100, vmid: 7800 },
  proxmox_verify_backup: { volid: BACKUP_OF_100, scratch_vmid: 7801 },
  proxmox_download_to_storage: { node: "pve1", storage: "local", url: "https://198.51.100.7/images/plan.qcow2", content: "import" },
  proxmox_cancel_task: { upid: A_RUNNING_TASK },
};

/** Values that exist only once the simulator runs (backup names carry its clock, tasks its pids). */
async function resolved(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out = { ...args };
  if (out.volid === BACKUP_OF_100) {
    const list = await pveGet<{ volid: string; vmid?: number }[]>(sim(), "/nodes/pve1/storage/nas-backup/content?content=backup");
    out.volid = list.find((v) => v.vmid === 100)?.volid;
  }
  if (out.upid === A_RUNNING_TASK) {
    sim().scriptNextTask({ outcome: "ok", durationMs: 60_000 });
    out.upid = sim().tasks.start({ node: "pve1", type: "vzdump", id: "104", user: "root@pam", log: ["INFO: starting new backup job"] });
  }
  return out;
}

const ENV = { PROXMOX_ENABLE_DESTRUCTIVE: "1" };

describe("dry_run on every write tool", () => {
  test("the table above covers every write tool", () => {
    expect(Object.keys(PLANNABLE).sort()).toEqual(WRITE_TOOLS.map((t) => t.name).sort());
  });

  test("no write request reaches Proxmox, and each answer is a plan naming its requests", async () => {
    await withSession(envFor(sim(), ENV), async (s) => {
      for (const [name, args] of Object.entries(PLANNABLE)) {
        sim().resetLog();
        const answer = await callTool(s, name, { ...(await resolved(args)), dry_run: true });
        expect({ name, isError: answer.isError, text: answer.isError ? answer.text : "" }).toEqual({ name, isError: false, text: "" });
        expect(sim().requests.filter((r) => r.method !== "GET").map((r) => `${name}: ${r.method} ${r.path}`)).toEqual([]);
        const plan = (answer.structured as { dry_run: boolean; plan: { requests: { method: string; path: string }[]; action: string } }).plan;
        expect((answer.structured as { dry_run: boolean }).dry_run).toBe(true);
        expect(plan.requests.length).toBeGreaterThan(0);
        expect(answer.text).toStartWith("DRY RUN, nothing was written.");
        for (const r of plan.requests) expect(answer.text).toContain(`${r.method} ${r.path}`);
      }
    });
  });

  test("a dry run needs no confirm, and the real call afterwards still does", async () => {
    await withSession(envFor(sim()), async (s) => {
      const plan = await callTool(s, "proxmox_start_resource", { vmid: 104, dry_run: true });
      expect(plan.isError).toBe(false);
      expect(plan.text).toContain("POST /nodes/pve1/qemu/104/status/start");
      const real = await callTool(s, "proxmox_start_resource", { vmid: 104 });
      expect(real.isError).toBe(true);
      expect(real.text).toContain("Missing: confirm");
    });
  });

  test("a destructive dry run still needs destructive: true and PROXMOX_ENABLE_DESTRUCTIVE=1", async () => {
    await withSession(envFor(sim()), async (s) => {
      sim().resetLog();
      const answer = await callTool(s, "proxmox_destroy_resource", { vmid: 105, destructive: true, dry_run: true });
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain("PROXMOX_ENABLE_DESTRUCTIVE");
      expect(sim().requests).toHaveLength(0);
    });
  });

  test("the plan shows what a person must see: policy checks passed and secrets masked", async () => {
    await withSession(envFor(sim(), { PROXMOX_ALLOWED_VMIDS: "100-999", PROXMOX_PROTECTED_TAGS: "critical" }), async (s) => {
      const answer = await callTool(s, "proxmox_create_container", { ...PLANNABLE.proxmox_create_container, password: "hunter2-root-pw", dry_run: true });
      expect(answer.isError).toBe(false);
      expect(answer.text).toContain("PRIVILEGED container");
      expect(answer.text).toContain("SSH keys added for root: 1 (ssh-ed25519");
      expect(answer.text).toContain("started once created");
      expect(answer.text).toContain("inside PROXMOX_ALLOWED_VMIDS");
      expect(answer.text).not.toContain("hunter2-root-pw");
      expect(JSON.stringify(answer.structured)).not.toContain("hunter2-root-pw");
      const stop = await callTool(s, "proxmox_stop_resource", { vmid: 103, dry_run: true });
      expect(stop.text).toContain("carries no protected tag");
    });
  });

  test("policy still refuses in a dry run: a protected guest gets no plan", async () => {
    await withSession(envFor(sim(), { PROXMOX_PROTECTED_TAGS: "prod" }), async (s) => {
      const answer = await callTool(s, "proxmox_stop_resource", { vmid: 100, dry_run: true });
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain("protected tag prod");
    });
  });
});
