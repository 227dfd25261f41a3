// What every write tool shares: wait options, the guest it acts on (with the admin's
// policy applied before any write request), and one way to report a task.
import * as v from "valibot";
import { vmidAllowed, formatRanges } from "../config/ranges.ts";
import { RefusedError } from "../errors.ts";
import { pveOutput, pveText } from "../format/text.ts";
import { PveError } from "../pve/errors.ts";
import * as f from "../pve/formats.ts";
import { findGuest, type Guest } from "../pve/resources.ts";
import { type TaskOutcome, waitForTask } from "../pve/task-wait.ts";
import type { PlannedRequest, WritePlan } from "./plan.ts";
import { wholeNumber } from "./schemas.ts";
import type { ToolContext, ToolHints } from "./types.ts";

export const WRITE_HINTS: ToolHints = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };

export const waitFields = (waitByDefault: boolean) => ({
  wait: v.optional(
    v.pipe(v.boolean("wait must be true or false"), v.description(`Wait for the task to end (default ${waitByDefault}).`)),
    waitByDefault,
  ),
  wait_timeout_s: v.optional(wholeNumber("wait_timeout_s", 1, 600, "Seconds to wait (default 60)."), 60),
});

export const guestTarget = {
  vmid: f.vmid,
  node: v.optional(v.pipe(f.node, v.description("Its node (found if omitted)."))),
  type: v.optional(v.pipe(f.guestType, v.description("qemu/lxc (found if omitted)."))),
};

export const TaskOutput = v.object({
  upid: v.nullable(v.string()),
  node: v.string(),
  vmid: v.nullable(v.number()),
  state: v.pipe(v.picklist(["ok", "failed", "running", "not_needed"]), v.description("ok/failed: the task ended; running: still going (not waited for, or the wait budget ran out); not_needed: nothing to do.")),
  exitstatus: v.nullable(v.string()),
  waited_s: v.number(),
  log_tail: v.array(v.string()),
});
export type TaskOutputData = v.InferOutput<typeof TaskOutput>;

/** Vmid and node allowlists need no request, so they are checked first. */
export function checkVmidPolicy(ctx: ToolContext, vmid: number, role = "guest"): void {
  const ranges = ctx.config.allowedVmids;
  if (ranges && !vmidAllowed(ranges, vmid)) {
    throw new RefusedError(`Refused: ${role} ${vmid} is outside PROXMOX_ALLOWED_VMIDS (${formatRanges(ranges)}).`, "The admin limited which guests this server may change; ask them to widen the list.");
  }
  if (ranges) ctx.checks.push(`${role} ${vmid} is inside PROXMOX_ALLOWED_VMIDS`);
}

export function checkNodePolicy(ctx: ToolContext, node: string): void {
  const nodes = ctx.config.allowedNodes;
  if (nodes && !nodes.includes(node)) {
    throw new RefusedError(`Refused: node ${node} is outside PROXMOX_ALLOWED_NODES (${nodes.join(", ")}).`, "The admin limited which nodes this server may change.");
  }
  if (nodes && !ctx.checks.includes(`node ${node} is inside PROXMOX_ALLOWED_NODES`)) ctx.checks.push(`node ${node} is inside PROXMOX_ALLOWED_NODES`);
}

/** Finds the guest a write acts on and applies every policy rule before the write request. */
export async function resolveWriteTarget(ctx: ToolContext, args: { vmid: number; node?: string; type?: f.GuestType }): Promise<Guest> {
  checkVmidPolicy(ctx, args.vmid);
  if (args.node) checkNodePolicy(ctx, args.node);
  const guest = await findGuest(ctx.pve, args.vmid, { node: args.node, type: args.type }, ctx.signal);
  checkNodePolicy(ctx, guest.node);
  const tagged = guest.tags.map((t) => t.toLowerCase()).filter((t) => ctx.config.protectedTags.includes(t));
  if (tagged.length > 0) {
    throw new RefusedError(`Refused: guest ${guest.vmid} (${pveText(guest.name, 63)}) carries the protected tag ${tagged.join(", ")} (PROXMOX_PROTECTED_TAGS), so no write may touch it.`, "Ask the admin, or remove the tag in Proxmox if that is really intended.");
  }
  if (ctx.config.protectedTags.length) ctx.checks.push(`guest ${guest.vmid} carries no protected tag (${ctx.config.protectedTags.join(", ")})`);
  return guest;
}

/** A guest as a plan names its target. */
export function planTarget(g: Pick<Guest, "vmid" | "name" | "type" | "node" | "status">): WritePlan["target"] {
  return { vmid: g.vmid, node: g.node, type: g.type, name: g.name, state: `${describeGuest(g)} is ${g.status}` };
}

export function describeGuest(g: Pick<Guest, "vmid" | "name" | "type" | "node">): string {
  return `${g.type === "qemu" ? "VM" : "container"} ${g.vmid}${g.name ? ` (${pveText(g.name, 63)})` : ""} on ${pveText(g.node, 63)}`;
}

/** Follows the task when asked to and renders the outcome in words a model cannot misread. */
export async function finishTask(
  ctx: ToolContext,
  what: string,
  upid: string,
  node: string,
  vmid: number | null,
  wait: { wait: boolean; wait_timeout_s: number },
): Promise<{ text: string; data: TaskOutputData }> {
  if (typeof upid !== "string" || !f.UPID_RE.test(upid)) {
    // Security: the request was sent; saying "failed" could make a model repeat a create.
    throw new PveError(
      "bad_response",
      `${what}: Proxmox accepted the request but answered without a task id (got ${pveText(JSON.stringify(upid) ?? "nothing", 60)}). The action may have happened.`,
      "Check with proxmox_recent_tasks (and the guest's state) before trying again.",
      { method: "POST", path: "-", mayHaveReachedPve: true },
    );
  }
  const outcome: TaskOutcome = wait.wait ? await waitForTask(ctx, upid, wait.wait_timeout_s) : { state: "running", exitstatus: null, waited_s: 0, log_tail: [] };
  const data: TaskOutputData = { upid, node, vmid, ...outcome };
  const check = `Check it with proxmox_get_task_status {"upid": "${upid}"}.`;
  let text: string;
  switch (outcome.state) {
    case "ok":
      text = `${what}: task finished OK${outcome.exitstatus && outcome.exitstatus !== "OK" ? ` (${pveText(outcome.exitstatus, 200)})` : ""} after ${outcome.waited_s} s.`;
      break;
    case "failed":
      text = `${what}: task FAILED: ${pveText(outcome.exitstatus, 300)}.\n${pveOutput("last task log lines", outcome.log_tail.join("\n"), 8 * 1024)}`;
      break;
    default:
      text = wait.wait
        ? `${what}: task is STILL RUNNING after the ${wait.wait_timeout_s} s wait budget; it is not done yet. ${check}`
        : `${what}: task started and is running (not waited for). ${check}`;
  }
  return { text: `${text}\nUPID: ${upid}`, data };
}

export function notNeeded(node: string, vmid: number, text: string): { text: string; data: TaskOutputData } {
  return { text, data: { upid: null, node, vmid, state: "not_needed", exitstatus: null, waited_s: 0, log_tail: [] } };
}

/** Sends a planned request exactly as the plan names it (the guard checks it was approved). */
export async function send<T>(ctx: ToolContext, request: PlannedRequest): Promise<T> {
  return (await ctx.pve.request<T>(request.method, request.segments, request.params ?? {}, { signal: ctx.signal })).data;
}

/** The common case: one write request, approved and then sent. */
export async function approveAndSend<T>(ctx: ToolContext, plan: Omit<WritePlan, "requests">, request: PlannedRequest): Promise<T> {
  await ctx.approve({ ...plan, requests: [request] });
  return send<T>(ctx, request);
}
