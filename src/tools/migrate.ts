// proxmox_migrate_resource: move a guest to another node — live for a running VM,
// restart mode for a running container (containers cannot move live).
import * as v from "valibot";
import { InputError, RefusedError } from "../errors.ts";
import * as f from "../pve/formats.ts";
import { listResources } from "../pve/resources.ts";
import { defineTool } from "./types.ts";
import { followHa, HaOutput, isHaRequest } from "./ha.ts";
import { approveAndSend, checkNodePolicy, describeGuest, finishTask, guestTarget, planTarget, resolveWriteTarget, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

export const migrateResource = defineTool({
  name: "proxmox_migrate_resource",
  title: "Migrate a guest",
  description: "Move a VM or container to another node. A running VM migrates online (no downtime); a running container is stopped, moved and started again (restart mode). Follows the task with progress.",
  tier: 2,
  toolset: "provision",
  annotations: WRITE_HINTS,
  input: v.strictObject({
    ...guestTarget,
    target: v.pipe(f.node, v.description("Node to move the guest to.")),
    with_local_disks: v.optional(v.pipe(v.boolean(), v.description("VMs: also move local disks (needed when disks are not on shared storage)."))),
    ...waitFields(true),
  }),
  output: v.object({ ...TaskOutput.entries, target: v.string(), ha: HaOutput }),
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    checkNodePolicy(ctx, args.target);
    if (args.target === guest.node) throw new InputError(`${describeGuest(guest)} is already on ${args.target}.`, "Pick another target node.");
    if (args.with_local_disks !== undefined && guest.type === "lxc") throw new InputError("with_local_disks applies to VMs only.");
    const target = (await listResources(ctx.pve, "node", ctx.signal)).find((n) => n.node === args.target);
    if (!target) throw new InputError(`Node ${args.target} is not in the cluster.`);
    if (target.status !== "online") throw new RefusedError(`Node ${args.target} is ${target.status ?? "not online"}; a guest cannot move there now.`);
    const running = guest.status === "running";
    const params =
      guest.type === "qemu"
        ? { target: args.target, online: running ? true : undefined, "with-local-disks": args.with_local_disks }
        : { target: args.target, restart: running ? true : undefined };
    const how = running ? (guest.type === "qemu" ? "online" : "restart mode") : "offline";
    const effect = running ? (guest.type === "qemu" ? "live migration: the VM keeps running" : "restart mode: the container is stopped, moved and started again") : "offline: the guest is stopped and stays stopped";
    const upid = await approveAndSend<string>(
      ctx,
      {
        action: `Migrate ${describeGuest(guest)} to ${args.target}`,
        target: planTarget(guest),
        details: [`from ${guest.node} to ${args.target}`, effect, ...(args.with_local_disks ? ["local disks are copied to the target"] : []), ...(guest.raw.hastate ? ["HA-managed: PVE asks the HA manager to move it (hamigrate); the answer follows the guest until it is on the target"] : [])],
      },
      { method: "POST", segments: ["nodes", guest.node, guest.type, guest.vmid, "migrate"], params },
    );
    const what = `Migration (${how}) of ${describeGuest(guest)} to ${args.target}`;
    const result = await finishTask(ctx, what, upid, guest.node, guest.vmid, args);
    if (isHaRequest(upid)) {
      if (!args.wait || result.data.state !== "ok") {
        return { text: `${result.text}\nThe guest is HA-managed: this task only asked the HA manager to move it; it is on ${args.target} only once the HA manager has migrated it. Check with proxmox_get_resource.`, data: { ...result.data, target: args.target } };
      }
      const followed = await followHa(ctx, guest.vmid, { node: args.target }, args.wait_timeout_s, what, result);
      return { text: followed.text, data: { ...result.data, target: args.target, ha: followed.ha } };
    }
    return { text: result.text, data: { ...result.data, target: args.target } };
  },
});
