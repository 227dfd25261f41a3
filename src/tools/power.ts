// Power tools: start, graceful stop, reboot (tier 2) and force stop (tier 3).
import * as v from "valibot";
import { RefusedError } from "../errors.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool } from "./types.ts";
import { followHa, HaOutput, isHaRequest } from "./ha.ts";
import { approveAndSend, describeGuest, finishTask, guestTarget, notNeeded, planTarget, resolveWriteTarget, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

const PowerOutput = v.object({ ...TaskOutput.entries, ha: HaOutput });

/** QMP states of a VM whose QEMU runs but whose CPUs do not: neither start nor shutdown applies. */
const HALTED = new Set(["paused", "io-error", "suspended", "prelaunch", "postmigrate", "inmigrate"]);

/** An HA guest's request task is followed to the guest's real state (src/tools/ha.ts). */
async function finishPower(ctx: Parameters<typeof finishTask>[0], what: string, upid: string, guest: { node: string; vmid: number }, args: { wait: boolean; wait_timeout_s: number }, want: "running" | "stopped") {
  const result = await finishTask(ctx, what, upid, guest.node, guest.vmid, args);
  if (!isHaRequest(upid)) return result;
  if (!args.wait || result.data.state !== "ok") {
    return { text: `${result.text}
The guest is HA-managed: this task only asked the HA manager to have it ${want === "running" ? "started" : "stopped"}; the guest changes state when the HA manager acts. Check with proxmox_get_resource.`, data: result.data };
  }
  const followed = await followHa(ctx, guest.vmid, { status: want }, args.wait_timeout_s, what, result);
  return { text: followed.text, data: { ...result.data, ha: followed.ha } };
}

const timeoutField = v.optional(wholeNumber("timeout", 0, 3600, "Seconds PVE gives the guest to shut down before giving up."));

export const startResource = defineTool({
  name: "proxmox_start_resource",
  title: "Start a guest",
  description: "Start a VM or container by vmid and wait for the start task. A guest that is already running is left alone.",
  tier: 2,
  toolset: "power",
  inDefault: true,
  annotations: { ...WRITE_HINTS, idempotentHint: true },
  input: v.strictObject({ ...guestTarget, ...waitFields(true) }),
  output: PowerOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (HALTED.has(guest.status)) {
      throw new RefusedError(
        `${describeGuest(guest)} is ${guest.status}, not stopped: its QEMU process runs, so PVE would answer "already running". Nothing was sent.`,
        guest.status === "io-error" ? "QEMU halted it on a disk I/O error (often a full storage): free space on its storage, then resume it (qm resume, or Resume in the GUI)." : "Resume it (qm resume, or Resume in the GUI) rather than start it.",
      );
    }
    if (guest.template) throw new RefusedError(`${describeGuest(guest)} is a template and cannot be started.`, "Clone it with proxmox_clone_resource and start the clone.");
    if (guest.status === "running") return notNeeded(guest.node, guest.vmid, `${describeGuest(guest)} is already running; nothing to do.`);
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Start ${describeGuest(guest)}`, target: planTarget(guest), ...(guest.raw.hastate ? { details: ["HA-managed: PVE asks the HA manager to start it (hastart); the answer follows the guest until it runs"] } : {}) },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "start"] },
    );
    return finishPower(ctx, `Start ${describeGuest(guest)}`, upid, guest, args, "running");
  },
});

export const stopResource = defineTool({
  name: "proxmox_stop_resource",
  title: "Shut down a guest",
  description: "Gracefully shut down a VM (ACPI/agent) or container within timeout seconds; a stopped guest is left alone. If it will not stop, use proxmox_force_stop_resource.",
  tier: 2,
  toolset: "power",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true, idempotentHint: true },
  input: v.strictObject({ ...guestTarget, timeout: timeoutField, ...waitFields(true) }),
  output: PowerOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status === "stopped") return notNeeded(guest.node, guest.vmid, `${describeGuest(guest)} is already stopped; nothing to do.`);
    // qemu-server API2/Qemu.pm vm_shutdown: "VM is paused - cannot shutdown".
    if (guest.status === "paused" || guest.status === "io-error") {
      throw new RefusedError(`${describeGuest(guest)} is ${guest.status}: a paused guest cannot shut down cleanly (its CPUs do not run). Nothing was sent.`, "Resume it first (qm resume) and then shut it down, or force-stop it with proxmox_force_stop_resource.");
    }
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Shut down ${describeGuest(guest)}`, target: planTarget(guest), details: [`clean shutdown; PVE gives up after ${args.timeout === undefined ? "its default timeout" : `${args.timeout} s`}`, "whatever runs in the guest stops until it is started again"] },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "shutdown"], params: { timeout: args.timeout } },
    );
    return finishPower(ctx, `Shut down ${describeGuest(guest)}`, upid, guest, args, "stopped");
  },
});

export const rebootResource = defineTool({
  name: "proxmox_reboot_resource",
  title: "Reboot a guest",
  description: "Reboot a running VM or container (clean shutdown, then start). Refused for a guest that is not running: start it instead.",
  tier: 2,
  toolset: "power",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true },
  input: v.strictObject({ ...guestTarget, timeout: timeoutField, ...waitFields(true) }),
  output: PowerOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status !== "running") throw new RefusedError(`${describeGuest(guest)} is ${guest.status}, not running, so it cannot be rebooted.`, "Start it with proxmox_start_resource.");
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Reboot ${describeGuest(guest)}`, target: planTarget(guest), details: ["clean shutdown, then start; the guest is unavailable meanwhile"] },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "reboot"], params: { timeout: args.timeout } },
    );
    return finishTask(ctx, `Reboot ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
  },
});

export const forceStopResource = defineTool({
  name: "proxmox_force_stop_resource",
  title: "Force-stop a guest",
  description: "Stop a VM or container at once, like pulling the power cord: unsaved data in the guest is lost. For a guest that does not respond to proxmox_stop_resource.",
  tier: 3,
  toolset: "power",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true, idempotentHint: true },
  input: v.strictObject({ ...guestTarget, ...waitFields(true) }),
  output: PowerOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status === "stopped") return notNeeded(guest.node, guest.vmid, `${describeGuest(guest)} is already stopped; nothing to do.`);
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Force-stop ${describeGuest(guest)}`, target: planTarget(guest), details: ["immediate power-off, no clean shutdown"], irreversible: "data the guest had not written to disk is lost." },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "stop"] },
    );
    return finishPower(ctx, `Force-stop ${describeGuest(guest)}`, upid, guest, args, "stopped");
  },
});
