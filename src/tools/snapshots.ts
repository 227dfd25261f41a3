// Snapshots: take one (tier 2), delete one (tier 3).
import * as v from "valibot";
import { NotFoundError, RefusedError } from "../errors.ts";
import type { PveClient } from "../pve/client.ts";
import * as f from "../pve/formats.ts";
import type { Guest } from "../pve/resources.ts";
import { clipText, pveText } from "../format/text.ts";
import { isoTime, table } from "../format/units.ts";
import { findGuest } from "../pve/resources.ts";
import { defineTool, READ_HINTS } from "./types.ts";
import { approveAndSend, describeGuest, finishTask, guestTarget, planTarget, resolveWriteTarget, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

export interface SnapshotEntry {
  name: string;
  description?: string;
  snaptime?: number;
  parent?: string;
  vmstate?: number | boolean;
  running?: number;
}

/** The guest's snapshots, without PVE's "current" pseudo-entry ("You are here!"). */
export async function listSnapshots(pve: PveClient, guest: Pick<Guest, "node" | "type" | "vmid">, signal?: AbortSignal): Promise<SnapshotEntry[]> {
  const entries = (await pve.get<SnapshotEntry[] | null>(["nodes", guest.node, guest.type, guest.vmid, "snapshot"], {}, { signal })) ?? [];
  return entries.filter((s) => s.name !== "current");
}

const SnapshotOutput = v.object({ ...TaskOutput.entries, snapshot: v.string() });

/** Refuses, naming the snapshots that do exist, when `name` is not one of them. */
async function requireSnapshot(pve: PveClient, guest: Guest, name: string, signal: AbortSignal): Promise<SnapshotEntry> {
  const existing = await listSnapshots(pve, guest, signal);
  const found = existing.find((s) => s.name === name);
  if (!found) {
    throw new NotFoundError(`${describeGuest(guest)} has no snapshot named '${name}'.`, existing.length ? `Its snapshots: ${existing.map((s) => s.name).join(", ")}.` : "It has no snapshots.");
  }
  return found;
}

/** The snapshot a person approves losing or returning to, as they would recognise it. */
function snapshotLine(s: SnapshotEntry): string {
  const description = (s.description ?? "").trim();
  return `snapshot '${s.name}' taken ${isoTime(s.snaptime) ?? "at an unknown time"}${description ? ` (${pveText(description, 80)})` : ""}${s.vmstate === 1 || s.vmstate === true ? ", with RAM state" : ""}`;
}

export const snapshotResource = defineTool({
  name: "proxmox_snapshot_resource",
  title: "Snapshot a guest",
  description: "Snapshot a VM or container (e.g. before an upgrade); the name must be new for this guest. vmstate (VMs only) also saves RAM, to resume exactly.",
  tier: 2,
  toolset: "snapshots",
  inDefault: true,
  annotations: { ...WRITE_HINTS, idempotentHint: true },
  input: v.strictObject({
    ...guestTarget,
    name: v.pipe(f.snapshotName, v.description("Snapshot name: starts with a letter; letters, digits, '-', '_'; 2–40 characters, e.g. before-upgrade.")),
    description: v.optional(v.pipe(v.string("description must be a string"), v.maxLength(1024, "description is at most 1024 characters"), v.description("A note kept with the snapshot."))),
    vmstate: v.optional(v.pipe(v.boolean("vmstate must be true or false"), v.description("VMs only: include RAM state."))),
    ...waitFields(true),
  }),
  output: SnapshotOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (args.vmstate !== undefined && guest.type === "lxc") throw new RefusedError("vmstate applies to VMs only; containers cannot save RAM state.", "Leave vmstate out for a container.");
    if (guest.template) throw new RefusedError(`${describeGuest(guest)} is a template; templates cannot be snapshotted.`);
    const existing = await listSnapshots(ctx.pve, guest, ctx.signal);
    if (existing.some((s) => s.name === args.name)) {
      throw new RefusedError(`${describeGuest(guest)} already has a snapshot named '${args.name}'; nothing was changed.`, "Pick a new name, or list snapshots to see what exists.");
    }
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Take snapshot '${args.name}' of ${describeGuest(guest)}`, target: planTarget(guest), details: [`snapshot name: ${args.name}`, ...(args.vmstate ? ["RAM state is saved too"] : [])] },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "snapshot"], params: { snapname: args.name, description: args.description, vmstate: guest.type === "qemu" ? args.vmstate : undefined } },
    );
    const result = await finishTask(ctx, `Snapshot '${args.name}' of ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
    return { text: result.text, data: { ...result.data, snapshot: args.name } };
  },
});

export const deleteSnapshot = defineTool({
  name: "proxmox_delete_snapshot",
  title: "Delete a snapshot",
  description: "Delete one snapshot of a VM or container. The snapshot's saved state is gone for good; the guest itself is not touched.",
  tier: 3,
  toolset: "snapshots",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true },
  input: v.strictObject({ ...guestTarget, name: v.pipe(f.snapshotName, v.description("Name of the snapshot to delete.")), ...waitFields(true) }),
  output: SnapshotOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    const snapshot = await requireSnapshot(ctx.pve, guest, args.name, ctx.signal);
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Delete snapshot '${args.name}' of ${describeGuest(guest)}`, target: planTarget(guest), details: [snapshotLine(snapshot)], irreversible: `snapshot '${args.name}' and the state it saved are gone for good; the guest itself is not touched.` },
      { method: "DELETE", segments: ["nodes", guest.node, guest.type, guest.vmid, "snapshot", args.name] },
    );
    const result = await finishTask(ctx, `Delete snapshot '${args.name}' of ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
    return { text: result.text, data: { ...result.data, snapshot: args.name } };
  },
});

export const listSnapshotsTool = defineTool({
  name: "proxmox_list_snapshots",
  title: "List snapshots",
  description: "A guest's snapshots, oldest first, with time, description, parent and whether RAM state was saved.",
  tier: 1,
  toolset: "snapshots",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({ vmid: f.vmid, node: v.optional(f.node) }),
  output: v.object({
    vmid: v.number(),
    node: v.string(),
    items: v.array(v.object({ name: v.string(), time: v.nullable(v.string()), description: v.string(), parent: v.nullable(v.string()), vmstate: v.boolean() })),
  }),
  async handler(args, ctx) {
    const guest = await findGuest(ctx.pve, args.vmid, { node: args.node }, ctx.signal);
    const items = (await listSnapshots(ctx.pve, guest, ctx.signal))
      .sort((a, b) => (a.snaptime ?? 0) - (b.snaptime ?? 0))
      .map((s) => ({ name: s.name, time: isoTime(s.snaptime), description: clipText(typeof s.description === "string" ? s.description.trim() : s.description, 200), parent: s.parent ?? null, vmstate: s.vmstate === 1 || s.vmstate === true }));
    const text = items.length
      ? `${items.length} snapshots of ${describeGuest(guest)}:\n${table(["name", "time", "parent", "ram", "description"], items.map((s) => [s.name, s.time ?? "-", s.parent ?? "-", s.vmstate ? "yes" : "no", s.description]))}`
      : `${describeGuest(guest)} has no snapshots.`;
    return { text, data: { vmid: guest.vmid, node: guest.node, items } };
  },
});

export const rollbackSnapshot = defineTool({
  name: "proxmox_rollback_snapshot",
  title: "Roll back to a snapshot",
  description: "Return a VM or container to a snapshot. Everything changed since that snapshot (disk and, for a running guest, memory) is lost for good. start: true starts it afterwards.",
  tier: 3,
  toolset: "snapshots",
  annotations: { ...WRITE_HINTS, destructiveHint: true },
  input: v.strictObject({
    ...guestTarget,
    name: v.pipe(f.snapshotName, v.description("Snapshot to return to.")),
    start: v.optional(v.pipe(v.boolean(), v.description("Start the guest after the rollback (default false)."))),
    ...waitFields(true),
  }),
  output: SnapshotOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    const snapshot = await requireSnapshot(ctx.pve, guest, args.name, ctx.signal);
    const upid = await approveAndSend<string>(
      ctx,
      {
        action: `Roll ${describeGuest(guest)} back to snapshot '${args.name}'`,
        target: planTarget(guest),
        details: [snapshotLine(snapshot), args.start ? "the guest is started afterwards" : "the guest is left stopped afterwards"],
        irreversible: `everything changed in the guest since '${args.name}' (disk${guest.status === "running" ? " and memory" : ""}) is lost.`,
      },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "snapshot", args.name, "rollback"], params: { start: args.start } },
    );
    const result = await finishTask(ctx, `Rollback of ${describeGuest(guest)} to '${args.name}'`, upid, guest.node, guest.vmid, args);
    return { text: result.text, data: { ...result.data, snapshot: args.name } };
  },
});
