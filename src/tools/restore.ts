// Backups brought back: restore one into a new vmid (proxmox_restore_backup), and the
// restore drill (proxmox_verify_backup): restore into a scratch vmid with every NIC
// disconnected, boot it, see it answer, destroy exactly the guest it created, report.
import * as v from "valibot";
import { pveText } from "../format/text.ts";
import { InputError, NotFoundError, ProxmoxMcpError, RefusedError } from "../errors.ts";
import * as f from "../pve/formats.ts";
import { listResources, splitTags } from "../pve/resources.ts";
import { type TaskOutcome, waitForTask } from "../pve/task-wait.ts";
import type { PlannedRequest } from "./plan.ts";
import { pickNewVmid } from "./provision.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool, type ToolContext } from "./types.ts";
import { approveAndSend, checkNodePolicy, finishTask, send, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

/** The tag the drill puts on its scratch guest; cleanup destroys only a guest carrying it. */
export const VERIFY_TAG = "mcp-verify";

interface BackupLocation {
  node: string;
  storage: string;
  type: f.GuestType;
  size: number;
  vmid: number | null;
}

interface ContentEntry {
  volid: string;
  size?: number;
  vmid?: number | string;
  subtype?: string;
}

/** The guest type a backup holds: vzdump's file name, PBS's backup/vm|ct/, or PVE's subtype. */
function backupType(volid: string, entry?: ContentEntry): f.GuestType | undefined {
  if (/vzdump-qemu-|\/vm\/\d+\//.test(volid) || entry?.subtype === "qemu") return "qemu";
  if (/vzdump-(lxc|openvz)-|\/ct\/\d+\//.test(volid) || entry?.subtype === "lxc") return "lxc";
  return undefined;
}

/** Finds the node that can read the backup (the one given, or an online one holding its storage). */
async function locateBackup(ctx: ToolContext, volid: string, node: string | undefined): Promise<BackupLocation> {
  if (node) checkNodePolicy(ctx, node);
  const storageId = volid.slice(0, volid.indexOf(":"));
  const storages = (await listResources(ctx.pve, "storage", ctx.signal)).filter((s) => s.storage === storageId && s.node);
  if (storages.length === 0) throw new NotFoundError(`No storage ${storageId} exists in the cluster, so ${volid} cannot be read.`, "List backups with proxmox_list_backups and pass a volid from it.");
  const candidates = storages
    .filter((s) => !node || s.node === node)
    .filter((s) => s.status === "available")
    .filter((s) => !ctx.config.allowedNodes || ctx.config.allowedNodes.includes(s.node as string));
  if (candidates.length === 0) {
    throw new RefusedError(`No online${ctx.config.allowedNodes ? ", allowed" : ""} node${node ? ` named ${node}` : ""} can read storage ${storageId} now.`, node ? "Leave node out to use any node that holds the storage." : "Check the nodes with proxmox_status.");
  }
  const shared = candidates.some((s) => s.shared === 1 || s.shared === true);
  for (const s of shared ? candidates.slice(0, 1) : candidates) {
    const content = (await ctx.pve.get<ContentEntry[] | null>(["nodes", s.node as string, "storage", storageId, "content"], { content: "backup" }, { signal: ctx.signal })) ?? [];
    const entry = content.find((c) => c.volid === volid);
    if (entry) {
      const type = backupType(volid, entry);
      if (!type) throw new InputError(`${volid} is not a VM or container backup this server recognises.`, "Pass a vzdump volid from proxmox_list_backups.");
      const vmid = Number(entry.vmid);
      return { node: s.node as string, storage: storageId, type, size: entry.size ?? 0, vmid: Number.isInteger(vmid) ? vmid : null };
    }
  }
  throw new NotFoundError(`Backup ${volid} was not found on storage ${storageId}${node ? ` from node ${node}` : ""}.`, "List backups with proxmox_list_backups and pass a volid from it (with node when the storage is local to one node).");
}

/** The backed-up guest config (PVE: GET /nodes/{node}/vzdump/extractconfig); main section only. */
async function readBackupConfig(ctx: ToolContext, node: string, volid: string): Promise<Record<string, string>> {
  const text = await ctx.pve.get<string | null>(["nodes", node, "vzdump", "extractconfig"], { volume: volid }, { signal: ctx.signal });
  const config: Record<string, string> = {};
  for (const line of String(text ?? "").split("\n")) {
    if (line.startsWith("[")) break; // snapshot and pending sections follow the main one
    const m = /^([a-z][a-z0-9_-]*):\s?(.*)$/.exec(line);
    if (m) config[m[1] as string] = m[2] as string;
  }
  return config;
}

interface DrillRequests {
  restore: PlannedRequest;
  start: PlannedRequest;
  ping: PlannedRequest;
  stop: PlannedRequest;
  destroy: PlannedRequest;
}

const restoreSegments = (node: string, type: f.GuestType) => ["nodes", node, type] as const;

function restoreParams(type: f.GuestType, vmid: number, volid: string, extra: Record<string, string | number | boolean | undefined>): Record<string, string | number | boolean | undefined> {
  return type === "qemu" ? { vmid, archive: volid, ...extra } : { vmid, ostemplate: volid, restore: true, ...extra };
}

function requireUpid(value: unknown, what: string): string {
  if (typeof value === "string" && f.UPID_RE.test(value)) return value;
  throw new ProxmoxMcpError("bad_response", `${what}: Proxmox accepted the request but answered without a task id; it may have happened.`, "Check with proxmox_recent_tasks before trying again.");
}

// A backup volid. Proxmox Backup Server names carry the snapshot time with ':'
// (pbs:backup/vm/100/2026-11-30T02:00:00Z), which f.volid refuses; the volid only travels in
// a request body (archive / ostemplate / volume), never in a path.
const BACKUP_VOLID_RE = /^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]:[\x21-\x7e]+$/;
const volidInput = v.pipe(
  v.string("volid must be a string"),
  v.maxLength(255, "volid is at most 255 characters"),
  v.regex(BACKUP_VOLID_RE, "volid must be a backup volume as proxmox_list_backups shows it, e.g. nas-backup:backup/vzdump-qemu-100-2026_11_30-02_00_00.vma.zst or pbs:backup/vm/100/2026-11-30T02:00:00Z"),
  v.check((s) => !s.split("/").includes(".."), "volid must not contain '..'"),
  v.description("Backup volid from proxmox_list_backups."),
);

export const restoreBackup = defineTool({
  name: "proxmox_restore_backup",
  title: "Restore a backup",
  description: "Restore a backup (volid from proxmox_list_backups) into a new, unused vmid; never over an existing guest. Follows the restore task.",
  tier: 2,
  toolset: "backup",
  annotations: WRITE_HINTS,
  input: v.strictObject({
    volid: volidInput,
    vmid: v.optional(v.pipe(f.vmid, v.description("New vmid for the restored guest; the next free id when omitted. Must not exist."))),
    node: v.optional(v.pipe(f.node, v.description("Node to restore on; one that can read the backup when omitted."))),
    storage: v.optional(v.pipe(f.storage, v.description("Storage for the restored disks (default: as in the backup)."))),
    unique: v.optional(v.pipe(v.boolean(), v.description("New MAC addresses, so the copy can run beside the original (default false)."))),
    start: v.optional(v.pipe(v.boolean(), v.description("Start it once restored (default false)."))),
    ...waitFields(true),
  }),
  output: v.object({ ...TaskOutput.entries, newid: v.number(), type: v.string(), volid: v.string() }),
  async handler(args, ctx) {
    const where = await locateBackup(ctx, args.volid, args.node);
    const vmid = await pickNewVmid(ctx, args.vmid);
    let backed: Record<string, string> = {};
    try {
      backed = await readBackupConfig(ctx, where.node, args.volid);
    } catch {
      // Only for the plan's details; the restore itself does not depend on it.
    }
    const kind = where.type === "qemu" ? "VM" : "container";
    const name = backed.name ?? backed.hostname;
    const tags = splitTags(backed.tags);
    const protectedTags = tags.filter((t) => ctx.config.protectedTags.includes(t.toLowerCase()));
    const params = restoreParams(where.type, vmid, args.volid, { storage: args.storage, unique: args.unique, start: args.start });
    const upid = await approveAndSend<string>(ctx, {
      action: `Restore ${args.volid} as new ${kind} ${vmid} on ${where.node}`,
      target: { vmid, node: where.node, type: where.type, name },
      details: [
        `new vmid ${vmid} on ${where.node} (checked unused)`,
        `backup of ${where.vmid ?? "?"}${name ? ` (${pveText(name, 80)})` : ""}`,
        `disks on ${args.storage ?? "the storages in the backup"}`,
        `MAC addresses: ${args.unique ? "new (unique)" : "as in the backup (do not run it beside the original)"}`,
        `start afterwards: ${args.start ? "yes" : "no"}`,
        ...(protectedTags.length ? [`the restored guest carries protected tag ${protectedTags.join(", ")}: later writes to it will be refused`] : []),
      ],
    }, { method: "POST", segments: restoreSegments(where.node, where.type), params });
    const result = await finishTask(ctx, `Restore ${args.volid} as ${kind} ${vmid} on ${where.node}`, upid, where.node, vmid, args);
    return { text: result.text, data: { ...result.data, newid: vmid, type: where.type, volid: args.volid } };
  },
});

const Step = v.object({ upid: v.nullable(v.string()), state: v.string(), exitstatus: v.nullable(v.string()), seconds: v.number() });

const VerifyOutput = v.object({
  volid: v.string(),
  node: v.string(),
  type: v.string(),
  scratch_vmid: v.number(),
  verdict: v.pipe(v.picklist(["verified", "failed", "inconclusive"]), v.description("verified: restored and booted; failed: restore or boot failed; inconclusive: the budget ran out first.")),
  restore: Step,
  boot: v.object({ started: v.boolean(), seconds: v.nullable(v.number()), status_seen: v.nullable(v.string()) }),
  agent: v.pipe(v.picklist(["answered", "no_answer", "not_configured", "not_applicable"]), v.description("QEMU guest agent ping (VMs); not_applicable for containers.")),
  cleanup: v.pipe(v.picklist(["destroyed", "left_behind", "nothing_created"]), v.description("What happened to the scratch guest.")),
  steps: v.array(v.string()),
});

/** "virtio=BC:…,bridge=vmbr0,link_down=0" → the same with link_down=1. */
function disconnected(net: string): string {
  return `${net.split(",").filter((p) => p && !p.startsWith("link_down=")).join(",")},link_down=1`;
}

export const verifyBackup = defineTool({
  name: "proxmox_verify_backup",
  title: "Prove a backup restores",
  description:
    "Restore drill: restore a backup into a scratch vmid with every NIC disconnected, boot it (agent ping for VMs), destroy that scratch guest only, and report restore time, boot time, agent answer.",
  tier: 2,
  toolset: "backup",
  annotations: WRITE_HINTS,
  input: v.strictObject({
    volid: volidInput,
    scratch_vmid: v.optional(v.pipe(f.vmid, v.description("Scratch vmid to restore into; the next free id when omitted. Must not exist."))),
    node: v.optional(v.pipe(f.node, v.description("Node to run the drill on; one that can read the backup when omitted."))),
    storage: v.optional(v.pipe(f.storage, v.description("Storage for the scratch disks (default: as in the backup)."))),
    wait_timeout_s: v.optional(wholeNumber("wait_timeout_s", 10, 1800, "Budget for restore and boot, in seconds (default 300); cleanup has its own."), 300),
  }),
  output: VerifyOutput,
  async handler(args, ctx) {
    const where = await locateBackup(ctx, args.volid, args.node);
    const vmid = await pickNewVmid(ctx, args.scratch_vmid);
    let backed: Record<string, string>;
    try {
      backed = await readBackupConfig(ctx, where.node, args.volid);
    } catch (error) {
      // Security: without the backed-up config the NICs cannot be listed, so they cannot be
      // disconnected; a restored copy of a production guest must never come up on its network.
      throw new RefusedError(`Could not read the configuration inside ${args.volid} (${error instanceof ProxmoxMcpError ? error.message : "unreadable"}), so its network interfaces cannot be disconnected; nothing was restored.`, "Check the backup with proxmox_list_backups, or restore it yourself with proxmox_restore_backup.");
    }
    const type = where.type;
    const kind = type === "qemu" ? "VM" : "container";
    const base = ["nodes", where.node, type, vmid] as const;
    const nets = Object.keys(backed).filter((k) => /^net\d+$/.test(k));
    const overrides: Record<string, string | number | boolean | undefined> = {
      ...Object.fromEntries(nets.map((k) => [k, disconnected(backed[k] as string)])),
      tags: VERIFY_TAG,
      onboot: false,
      description: `proxmox-mcp restore drill of ${args.volid}; safe to delete`,
      storage: args.storage,
      unique: true,
    };
    const params = restoreParams(type, vmid, args.volid, overrides);
    const agentConfigured = type === "qemu" && /^(1|enabled=1)/.test(backed.agent ?? "0");
    // Every write the drill may make, planned up front; each is sent exactly as planned.
    const steps: DrillRequests = {
      restore: { method: "POST", segments: restoreSegments(where.node, type), params },
      start: { method: "POST", segments: [...base, "status", "start"] },
      ping: { method: "POST", segments: [...base, "agent", "ping"] },
      stop: { method: "POST", segments: [...base, "status", "stop"] },
      destroy: { method: "DELETE", segments: [...base], params: { purge: true, "destroy-unreferenced-disks": true } },
    };
    await ctx.approve({
      action: `Restore drill of ${args.volid}: scratch ${kind} ${vmid} on ${where.node}, booted, then destroyed`,
      target: { vmid, node: where.node, type, name: backed.name ?? backed.hostname },
      details: [
        `scratch vmid ${vmid} (checked unused), tagged ${VERIFY_TAG}`,
        `network interfaces disconnected (link_down=1): ${nets.join(", ") || "none in the backup"}`,
        `boot check: ${type === "qemu" ? (agentConfigured ? "guest agent ping" : "running state (the backup has no guest agent enabled)") : "running state"}`,
        "afterwards the scratch guest is stopped and destroyed (only it: its vmid and tag are checked first)",
      ],
      requests: [steps.restore, steps.start, ...(agentConfigured ? [steps.ping] : []), steps.stop, steps.destroy],
    });

    const deadline = performance.now() + args.wait_timeout_s * 1000;
    const remaining = () => Math.max(1, Math.round((deadline - performance.now()) / 1000));
    const log: string[] = [];
    const step = (o: TaskOutcome, upid: string | null) => ({ upid, state: o.state, exitstatus: o.exitstatus, seconds: o.waited_s });
    const result: v.InferOutput<typeof VerifyOutput> = {
      volid: args.volid,
      node: where.node,
      type,
      scratch_vmid: vmid,
      verdict: "inconclusive",
      restore: { upid: null, state: "not_started", exitstatus: null, seconds: 0 },
      boot: { started: false, seconds: null, status_seen: null },
      agent: type === "qemu" ? (agentConfigured ? "no_answer" : "not_configured") : "not_applicable",
      cleanup: "nothing_created",
      steps: log,
    };

    // 1. Restore.
    const restoreUpid = requireUpid(await send<string>(ctx, steps.restore), `Restore of ${args.volid}`);
    const restored = await waitForTask(ctx, restoreUpid, remaining());
    result.restore = step(restored, restoreUpid);
    log.push(`restore: ${restored.state}${restored.exitstatus ? ` (${pveText(restored.exitstatus, 200)})` : ""} after ${restored.waited_s} s`);
    if (restored.state === "running") {
      result.cleanup = "left_behind";
      log.push(`the restore is still running; scratch ${kind} ${vmid} (tag ${VERIFY_TAG}) must be destroyed once it ends`);
      return report(result, restored.log_tail);
    }
    if (restored.state === "failed") {
      result.verdict = "failed";
      result.cleanup = (await cleanUp(ctx, base, vmid, steps, log, false)) ?? "nothing_created";
      return report(result, restored.log_tail);
    }
    result.cleanup = "left_behind";

    // 2. Start and wait until it shows it booted.
    const bootStarted = performance.now();
    const started = await waitForTask(ctx, requireUpid(await send<string>(ctx, steps.start), `Start of scratch ${kind} ${vmid}`), remaining());
    log.push(`start: ${started.state}${started.exitstatus ? ` (${pveText(started.exitstatus, 200)})` : ""}`);
    result.boot.started = started.state === "ok";
    if (started.state === "ok") {
      for (;;) {
        const status = await ctx.pve.getObject<{ status?: string; qmpstatus?: string }>([...base, "status", "current"], {}, { signal: ctx.signal });
        result.boot.status_seen = status.qmpstatus ?? status.status ?? null;
        let booted = status.status === "running";
        if (booted && agentConfigured) {
          try {
            await send(ctx, steps.ping);
            result.agent = "answered";
          } catch {
            booted = false; // PVE answers 500 until the agent inside runs
          }
        }
        if (booted) {
          result.boot.seconds = Math.round((performance.now() - bootStarted) / 100) / 10;
          break;
        }
        if (performance.now() >= deadline || ctx.signal.aborted) break;
        await Bun.sleep(Math.min(1000, Math.max(50, deadline - performance.now())));
      }
    }
    if (result.boot.seconds !== null) {
      result.verdict = "verified";
      log.push(`booted after ${result.boot.seconds} s${result.agent === "answered" ? " (guest agent answered)" : ""}`);
    } else {
      result.verdict = started.state === "failed" ? "failed" : "inconclusive";
      log.push(started.state === "failed" ? "the scratch guest did not start" : `no sign of a booted guest within the budget${agentConfigured ? " (the guest agent never answered)" : ""}`);
    }

    // 3. Stop and destroy what this call created, and only that.
    result.cleanup = (await cleanUp(ctx, base, vmid, steps, log, true)) ?? "left_behind";
    return report(result, started.state === "failed" ? started.log_tail : []);
  },
});

/** Stops (when asked) and destroys the scratch guest, after checking it is the one the drill made. */
async function cleanUp(ctx: ToolContext, base: readonly ["nodes", string, f.GuestType, number], vmid: number, planned: DrillRequests, log: string[], stop: boolean): Promise<"destroyed" | "left_behind" | undefined> {
  const budget = 120;
  let config: Record<string, unknown>;
  try {
    config = await ctx.pve.getObject<Record<string, unknown>>([...base, "config"], { current: true }, { signal: ctx.signal });
  } catch {
    log.push(`no scratch guest ${vmid} exists; nothing to clean up`);
    return undefined;
  }
  // Security: destroy only the guest this call restored: same vmid, carrying the drill's tag.
  const tags = splitTags(String(config.tags ?? ""));
  if (!tags.includes(VERIFY_TAG)) {
    log.push(`guest ${vmid} does not carry the ${VERIFY_TAG} tag, so it was NOT destroyed; check it yourself`);
    return "left_behind";
  }
  try {
    if (stop) {
      const status = await ctx.pve.getObject<{ status?: string }>([...base, "status", "current"], {}, { signal: ctx.signal });
      if (status.status === "running") {
        const stopped = await waitForTask(ctx, requireUpid(await send<string>(ctx, planned.stop), `Stop of scratch guest ${vmid}`), budget);
        log.push(`stop: ${stopped.state}`);
        if (stopped.state !== "ok") {
          log.push(`scratch guest ${vmid} (tag ${VERIFY_TAG}) is left behind: it did not stop`);
          return "left_behind";
        }
      }
    }
    const destroyed = await waitForTask(ctx, requireUpid(await send<string>(ctx, planned.destroy), `Destroy of scratch guest ${vmid}`), budget);
    log.push(`destroy: ${destroyed.state}${destroyed.exitstatus && destroyed.state !== "ok" ? ` (${pveText(destroyed.exitstatus, 200)})` : ""}`);
    if (destroyed.state === "ok") return "destroyed";
  } catch (error) {
    log.push(`cleanup failed: ${error instanceof ProxmoxMcpError ? pveText(error.message, 300) : "unexpected error"}`);
  }
  log.push(`scratch guest ${vmid} (tag ${VERIFY_TAG}) is left behind; destroy it with proxmox_destroy_resource`);
  return "left_behind";
}

function report(result: v.InferOutput<typeof VerifyOutput>, logTail: string[]): { text: string; data: v.InferOutput<typeof VerifyOutput> } {
  const headline =
    result.verdict === "verified"
      ? `VERIFIED: ${result.volid} restored in ${result.restore.seconds} s and booted in ${result.boot.seconds} s${result.agent === "answered" ? "; the guest agent answered" : ""}.`
      : result.verdict === "failed"
        ? `FAILED: ${result.volid} did not ${result.restore.state === "failed" ? "restore" : "boot"}.`
        : `INCONCLUSIVE: the budget ran out before ${result.volid} ${result.restore.state === "running" ? "finished restoring" : "showed it booted"}.`;
  const text = [
    headline,
    `Scratch ${result.type === "qemu" ? "VM" : "container"} ${result.scratch_vmid} on ${result.node}, NICs disconnected; cleanup: ${result.cleanup.replace("_", " ")}.`,
    ...result.steps.map((s) => `  - ${s}`),
    ...(logTail.length ? ["Last log lines:", ...logTail.map((l) => `  ${pveText(l, 300)}`)] : []),
  ].join("\n");
  return { text, data: result };
}
