// Power tools: start, graceful stop, reboot (tier 2) and force stop (tier 3).
import * as v from "valibot";
import { RefusedError } from "../errors.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool } from "./types.ts";
import { approveAndSend, describeGuest, finishTask, guestTarget, notNeeded, planTarget, resolveWriteTarget, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

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
  output: TaskOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.template) throw new RefusedError(`${describeGuest(guest)} is a template and cannot be started.`, "Clone it with proxmox_clone_resource and start the clone.");
    if (guest.status === "running") return notNeeded(guest.node, guest.vmid, `${describeGuest(guest)} is already running; nothing to do.`);
    const upid = await approveAndSend<string>(ctx, { action: `Start ${describeGuest(guest)}`, target: planTarget(guest) }, { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "start"] });
    return finishTask(ctx, `Start ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
  },
});

export const stopResource = defineTool({
  name: "proxmox_stop_resource",
  title: "Shut down a guest",
  description: "Gracefully shut down a VM (ACPI / guest agent) or container, waiting up to timeout seconds. A stopped guest is left alone. If it will not stop, use proxmox_force_stop_resource.",
  tier: 2,
  toolset: "power",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true, idempotentHint: true },
  input: v.strictObject({ ...guestTarget, timeout: timeoutField, ...waitFields(true) }),
  output: TaskOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status === "stopped") return notNeeded(guest.node, guest.vmid, `${describeGuest(guest)} is already stopped; nothing to do.`);
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Shut down ${describeGuest(guest)}`, target: planTarget(guest), details: [`clean shutdown; PVE gives up after ${args.timeout === undefined ? "its default timeout" : `${args.timeout} s`}`, "whatever runs in the guest stops until it is started again"] },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "shutdown"], params: { timeout: args.timeout } },
    );
    return finishTask(ctx, `Shut down ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
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
  output: TaskOutput,
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
  description: "Stop a VM or container immediately, like pulling the power cord: unsaved data in the guest is lost. Use proxmox_stop_resource first; this is for a guest that does not respond.",
  tier: 3,
  toolset: "power",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true, idempotentHint: true },
  input: v.strictObject({ ...guestTarget, ...waitFields(true) }),
  output: TaskOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status === "stopped") return notNeeded(guest.node, guest.vmid, `${describeGuest(guest)} is already stopped; nothing to do.`);
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Force-stop ${describeGuest(guest)}`, target: planTarget(guest), details: ["immediate power-off, no clean shutdown"], irreversible: "data the guest had not written to disk is lost." },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "status", "stop"] },
    );
    return finishTask(ctx, `Force-stop ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
  },
});
