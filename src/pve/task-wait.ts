// Never claim done when only a UPID came back: follow the task until it ends, the wait
// budget runs out, or the client cancels, reporting progress from the task log.
import { ProxmoxMcpError } from "../errors.ts";
import { pveText } from "../format/text.ts";
import type { ToolContext } from "../tools/types.ts";
import { getTaskLog, getTaskStatus, taskSucceeded } from "./tasks.ts";

export type TaskState = "ok" | "failed" | "running";

export interface TaskOutcome {
  state: TaskState;
  exitstatus: string | null;
  waited_s: number;
  log_tail: string[];
}

const TAIL_LINES = 8;
const PERCENT_RE = /(\d{1,3}(?:\.\d+)?)\s*%/;

export async function waitForTask(ctx: ToolContext, upid: string, budgetSeconds: number): Promise<TaskOutcome> {
  const started = performance.now();
  const deadline = started + budgetSeconds * 1000;
  let delay = 250;
  let lastProgress = 0;
  let sawPercent = false;
  for (;;) {
    if (ctx.signal.aborted) throw new ProxmoxMcpError("cancelled", `Stopped waiting for task ${upid}: the request was cancelled. The task itself keeps running in Proxmox.`);
    const status = await getTaskStatus(ctx.pve, upid, ctx.signal);
    const waited = Math.round((performance.now() - started) / 100) / 10;
    if (status.status === "stopped") {
      const tail = await readTail(ctx, upid);
      return { state: taskSucceeded(status.exitstatus) ? "ok" : "failed", exitstatus: status.exitstatus ?? null, waited_s: waited, log_tail: tail };
    }
    if (performance.now() >= deadline) {
      return { state: "running", exitstatus: null, waited_s: waited, log_tail: await readTail(ctx, upid) };
    }
    const tail = await readTail(ctx, upid, 1);
    const line = tail[tail.length - 1];
    const pct = line ? PERCENT_RE.exec(line) : null;
    // Progress must only grow: percentages once the log shows them, elapsed seconds before.
    if (pct && Number(pct[1]) <= 100) sawPercent = true;
    const value = sawPercent ? Math.max(lastProgress, pct ? Number(pct[1]) : lastProgress) : Math.max(lastProgress, waited);
    if (value > lastProgress || lastProgress === 0) {
      lastProgress = value;
      await ctx.progress({ progress: value, total: sawPercent ? 100 : undefined, message: line !== undefined ? pveText(line, 200) : `task running for ${waited} s` });
    }
    await sleep(Math.min(delay, Math.max(0, deadline - performance.now())), ctx.signal);
    delay = Math.min(delay * 1.6, 2000);
  }
}

async function readTail(ctx: ToolContext, upid: string, lines = TAIL_LINES): Promise<string[]> {
  const first = await getTaskLog(ctx.pve, upid, 0, lines, ctx.signal);
  if (first.total <= lines) return first.lines.map((l) => l.t);
  const last = await getTaskLog(ctx.pve, upid, first.total - lines, lines, ctx.signal);
  return last.lines.map((l) => l.t);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
