// Worker tasks: reading a task's status and log.
import { clipText } from "../format/text.ts";
import type { PveClient } from "./client.ts";
import { parseUpid } from "./formats.ts";

export interface TaskStatus {
  upid: string;
  node: string;
  status: "running" | "stopped";
  exitstatus?: string;
  type: string;
  id?: string;
  user: string;
  starttime: number;
  endtime?: number;
  pid?: number;
}

/** The longest task log line kept (vzdump and migration lines are far shorter). */
const MAX_LOG_LINE = 1000;

export interface TaskLogLine {
  n: number;
  t: string;
}

/** The node a task ran on is part of its UPID. */
export function taskNode(upid: string): string {
  const parsed = parseUpid(upid);
  if (!parsed) throw new Error(`not a UPID: ${upid.slice(0, 80)}`);
  return parsed.node;
}

export function getTaskStatus(pve: PveClient, upid: string, signal?: AbortSignal): Promise<TaskStatus> {
  return pve.getObject<TaskStatus>(["nodes", taskNode(upid), "tasks", upid, "status"], {}, { signal });
}

export async function getTaskLog(pve: PveClient, upid: string, start: number, limit: number, signal?: AbortSignal): Promise<{ lines: TaskLogLine[]; total: number }> {
  const envelope = await pve.request<TaskLogLine[] | null>("GET", ["nodes", taskNode(upid), "tasks", upid, "log"], { start, limit }, { signal });
  // Security: a log line may quote a guest (a hook's output, a guest name); bounded here.
  const lines = (Array.isArray(envelope.data) ? envelope.data : []).map((l) => ({ n: Number(l?.n) || 0, t: clipText(l?.t, MAX_LOG_LINE) }));
  return { lines, total: envelope.total ?? start + lines.length };
}

/** OK and "WARNINGS: n" are successes; anything else in exitstatus is PVE's error text. */
export function taskSucceeded(exitstatus: string | undefined): boolean {
  return exitstatus === "OK" || (exitstatus?.startsWith("WARNINGS") ?? false);
}
