// HA-managed guests: PVE does not start, stop or move them itself. qemu-server and
// pve-container run `ha-manager set vm:<id> --state …` (or `crm-command migrate`) in a worker
// of type hastart/hastop/hamigrate that ends OK at once; the HA manager acts some seconds
// later, or not at all (no quorum, a fenced node, a failing start). So an OK task is only
// "the HA manager was asked": the answer follows the guest itself up to the wait budget.
import * as v from "valibot";
import { pveText } from "../format/text.ts";
import * as f from "../pve/formats.ts";
import { listGuests } from "../pve/resources.ts";
import type { ToolContext } from "./types.ts";
import type { TaskOutputData } from "./writes.ts";

export const HaOutput = v.optional(
  v.pipe(
    v.object({
      requested: v.pipe(v.string(), v.description("What the HA manager was asked: started, stopped, or migrate to <node>.")),
      reached: v.pipe(v.boolean(), v.description("The guest reached it within the wait budget.")),
      status: v.pipe(v.string(), v.description("The guest's state when the answer was written.")),
      node: v.string(),
      hastate: v.nullable(v.string()),
      waited_s: v.number(),
    }),
    v.description("Present for an HA-managed guest: PVE only queued the request to the HA manager; this is what the guest itself did."),
  ),
);
export type HaFollow = NonNullable<v.InferOutput<typeof HaOutput>>;

/** The task was an HA request (hastart, hastop, hamigrate…), not the action itself. */
export function isHaRequest(upid: string | null): boolean {
  return !!upid && /^ha/.test(f.parseUpid(upid)?.type ?? "");
}

/**
 * After an HA request task: watch /cluster/resources until the guest is in the wanted state
 * (and on the wanted node), or the rest of the wait budget is spent.
 */
export async function followHa(
  ctx: ToolContext,
  vmid: number,
  want: { status?: "running" | "stopped"; node?: string },
  budgetS: number,
  what: string,
  task: { text: string; data: TaskOutputData },
): Promise<{ text: string; ha: HaFollow }> {
  const requested = want.node ? `migrate to ${want.node}` : want.status === "running" ? "started" : "stopped";
  const started = performance.now();
  const deadline = started + Math.max(0, budgetS - task.data.waited_s) * 1000;
  let delay = 500;
  for (;;) {
    const guest = (await listGuests(ctx.pve, ctx.signal)).find((g) => g.vmid === vmid);
    const waited = Math.round((task.data.waited_s + (performance.now() - started) / 1000) * 10) / 10;
    const status = guest?.status ?? "unknown";
    const node = guest?.node ?? "";
    const reached = !!guest && (!want.status || status === want.status) && (!want.node || node === want.node);
    if (reached || performance.now() >= deadline || ctx.signal.aborted) {
      const ha: HaFollow = { requested, reached, status, node, hastate: guest?.raw.hastate ?? null, waited_s: waited };
      const text = reached
        ? `${what}: the guest is HA-managed, so PVE asked the HA manager (task ${task.data.state === "ok" ? "OK" : task.data.state}); the guest is now ${pveText(status, 40)}${want.node ? ` on ${pveText(node, 63)}` : ""} (after ${waited} s).`
        : `${what}: the guest is HA-managed, so PVE only asked the HA manager to have it ${requested} (request task ${task.data.state === "ok" ? "OK" : task.data.state}). It has NOT happened yet: after ${waited} s the guest is ${pveText(status, 40)} on ${pveText(node, 63)}, HA state ${pveText(guest?.raw.hastate ?? "unknown", 40)}. The HA manager may still act; check with proxmox_ha_status or proxmox_get_resource.`;
      return { text: `${text}\nUPID: ${task.data.upid}`, ha };
    }
    await Bun.sleep(Math.min(delay, Math.max(0, deadline - performance.now())));
    delay = Math.min(delay * 1.5, 2000);
  }
}
