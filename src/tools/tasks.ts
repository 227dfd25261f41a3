// Read tools about worker tasks: what ran recently, how one task ended, what it logged.
import * as v from "valibot";
import { pveOutput, pveText } from "../format/text.ts";
import { isoTime, moreLine, table } from "../format/units.ts";
import * as f from "../pve/formats.ts";
import { getTaskLog, getTaskStatus, taskSucceeded } from "../pve/tasks.ts";
import { listEnvelope, wholeNumber } from "./schemas.ts";
import { defineTool, READ_HINTS } from "./types.ts";
import { approveAndSend, checkNodePolicy, checkVmidPolicy, finishTask, resolveWriteTarget, TaskOutput, WRITE_HINTS } from "./writes.ts";
import { findGuest } from "../pve/resources.ts";

interface TaskListEntry {
  upid: string;
  node: string;
  type: string;
  id?: string;
  user: string;
  /** pve-manager API2/Tasks.pm lists a token's task as user + tokenid. */
  tokenid?: string;
  starttime: number;
  endtime?: number;
  status?: string;
}

const TaskRow = v.object({
  upid: v.string(),
  node: v.string(),
  type: v.string(),
  id: v.string(),
  user: v.string(),
  start: v.nullable(v.string()),
  end: v.nullable(v.string()),
  status: v.pipe(v.string(), v.description("'running', 'OK', 'WARNINGS: n' or PVE's error text.")),
  ok: v.nullable(v.boolean()),
});

const TASK_TYPE_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;

/** "root@pam!mcp" for a token's task (PVE lists user and tokenid apart), else the user. */
export const taskUser = (t: { user: string; tokenid?: string }) => (t.tokenid ? `${t.user}!${t.tokenid}` : t.user);

/** A backup job of several guests: its UPID's id is empty, so no vmid filter can match it. */
const multiGuestJob = (t: TaskListEntry) => t.type === "vzdump" && !t.id;
const MAX_LOG_SCANS = 10;

export const recentTasks = defineTool({
  name: "proxmox_recent_tasks",
  title: "Recent tasks",
  description:
    "Recent tasks (backups, starts, migrations…), newest first, cluster-wide or per node: UPID, type, guest, user, start/end, result. errors_only finds failures; with vmid, multi-guest backup jobs that may include it are listed apart (scan_logs reads their logs).",
  tier: 1,
  toolset: "tasks",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({
    node: v.optional(f.node),
    vmid: v.optional(f.vmid),
    type: v.optional(v.pipe(v.string(), v.regex(TASK_TYPE_RE, "type must be a PVE task type such as vzdump, qmstart, vzcreate"), v.description("Task type, e.g. vzdump, qmstart."))),
    errors_only: v.optional(v.pipe(v.boolean("errors_only must be true or false"), v.description("Only failed tasks.")), false),
    scan_logs: v.optional(v.pipe(v.boolean("scan_logs must be true or false"), v.description(`With vmid: read the logs of up to ${MAX_LOG_SCANS} multi-guest backup jobs to see which included the guest.`)), false),
    limit: f.limit(20, 200),
  }),
  output: v.object({
    ...listEnvelope(TaskRow).entries,
    multi_guest_jobs: v.pipe(
      v.array(v.object({ upid: v.string(), node: v.string(), start: v.nullable(v.string()), status: v.string(), includes_vmid: v.pipe(v.nullable(v.boolean()), v.description("From its log when scan_logs was asked; null when not read.")) })),
      v.description("With vmid: backup jobs of several guests (empty id in the UPID) that may include it."),
    ),
  }),
  async handler(args, ctx) {
    let tasks: TaskListEntry[];
    let jobs: TaskListEntry[] = [];
    if (args.node) {
      // Per node PVE filters server-side; ask for one more than shown to know if more exist.
      // Its vmid filter drops the multi-guest backup jobs, so those are asked for apart.
      const query = (extra: Record<string, string | number | boolean | undefined>) =>
        ctx.pve.get<TaskListEntry[] | null>(["nodes", args.node as string, "tasks"], { limit: Math.min(args.limit * 5, 1000), errors: args.errors_only ? true : undefined, source: "all", ...extra }, { signal: ctx.signal }).then((r) => r ?? []);
      const wantJobs = args.vmid !== undefined && (!args.type || args.type === "vzdump");
      [tasks, jobs] = await Promise.all([query({ vmid: args.vmid, typefilter: args.type }), wantJobs ? query({ typefilter: "vzdump" }) : Promise.resolve([])]);
      jobs = jobs.filter(multiGuestJob);
    } else {
      tasks = (await ctx.pve.get<TaskListEntry[] | null>(["cluster", "tasks"], {}, { signal: ctx.signal })) ?? [];
      if (args.vmid !== undefined && (!args.type || args.type === "vzdump")) jobs = tasks.filter(multiGuestJob);
    }
    jobs = jobs.filter((t) => !args.errors_only || (t.status !== undefined && !taskSucceeded(t.status) && t.endtime !== undefined)).sort((a, b) => b.starttime - a.starttime);
    const scanned = new Map<string, boolean>();
    if (args.scan_logs && args.vmid !== undefined) {
      // vzdump logs "Starting Backup of VM <vmid>" for each guest it includes.
      const mark = new RegExp(`Backup of VM ${args.vmid}\\b`);
      await Promise.all(
        jobs.slice(0, MAX_LOG_SCANS).map(async (t) => {
          try {
            const log = await getTaskLog(ctx.pve, t.upid, 0, 1000, ctx.signal);
            scanned.set(t.upid, log.lines.some((l) => mark.test(l.t)));
          } catch {
            // unreadable log: left as unknown
          }
        }),
      );
    }
    const multi = jobs.slice(0, 20).map((t) => ({ upid: t.upid, node: t.node, start: isoTime(t.starttime), status: t.endtime === undefined ? "running" : (t.status ?? "unknown"), includes_vmid: scanned.get(t.upid) ?? null }));
    const filtered = tasks
      .filter((t) => !args.vmid || t.id === String(args.vmid))
      .filter((t) => !args.type || t.type === args.type)
      .filter((t) => !args.errors_only || (t.status !== undefined && !taskSucceeded(t.status) && t.endtime !== undefined))
      .sort((a, b) => b.starttime - a.starttime);
    const items = filtered.slice(0, args.limit).map((t) => {
      const running = t.endtime === undefined || t.status === undefined || t.status === "running";
      return {
        upid: t.upid,
        node: t.node,
        type: t.type,
        id: t.id ?? "",
        user: taskUser(t),
        start: isoTime(t.starttime),
        end: running ? null : isoTime(t.endtime),
        status: running ? "running" : (t.status ?? "unknown"),
        ok: running ? null : taskSucceeded(t.status),
      };
    });
    const more = filtered.length - items.length;
    const failed = items.filter((i) => i.ok === false).length;
    const including = multi.filter((j) => j.includes_vmid === true);
    const unknown = multi.filter((j) => j.includes_vmid === null);
    const text = [
      `${filtered.length} tasks${args.vmid ? ` of guest ${args.vmid}` : ""}${args.node ? ` on ${args.node}` : ""}${failed ? `, ${failed} failed among those shown` : ""}.`,
      items.length ? table(["start", "node", "type", "id", "user", "status", "upid"], items.map((i) => [i.start ?? "-", i.node, i.type, i.id || "-", i.user, i.status, i.upid])) : "(none)",
      multi.length
        ? [
            args.scan_logs
              ? `Multi-guest backup jobs: ${including.length} of ${multi.length} included guest ${args.vmid} by their logs${unknown.length ? ` (${unknown.length} not read)` : ""}.`
              : `Also ${jobs.length} backup job(s) of several guests (vzdump with no single guest id) that may include guest ${args.vmid}; pass scan_logs: true to read their logs, or read one with proxmox_get_task_log.`,
            table(["start", "node", "status", `has ${args.vmid}`, "upid"], multi.slice(0, 10).map((j) => [j.start ?? "-", j.node, j.status, j.includes_vmid === null ? "?" : j.includes_vmid ? "yes" : "no", j.upid])),
          ].join("\n")
        : "",
    ]
      .filter(Boolean)
      .join("\n");
    return { text: text + moreLine(more, "node, vmid, type or errors_only"), data: { total: filtered.length, returned: items.length, more, items, multi_guest_jobs: multi } };
  },
});

export const getTaskStatusTool = defineTool({
  name: "proxmox_get_task_status",
  title: "Task status",
  description: "Whether a task (by UPID) is still running or has stopped, and with what exit status. Use it to follow a write that returned a UPID.",
  tier: 1,
  toolset: "tasks",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({ upid: f.upid }),
  output: v.object({
    upid: v.string(),
    node: v.string(),
    type: v.string(),
    id: v.string(),
    user: v.string(),
    status: v.picklist(["running", "stopped"]),
    exitstatus: v.nullable(v.string()),
    ok: v.nullable(v.boolean()),
    start: v.nullable(v.string()),
    end: v.optional(v.pipe(v.string(), v.description("When it ended, from the node's task list (PVE's task status carries no end time); absent while running or when not found."))),
  }),
  async handler(args, ctx) {
    const s = await getTaskStatus(ctx.pve, args.upid, ctx.signal);
    const endtime = s.status === "stopped" ? (s.endtime ?? (await endTimeOf(ctx, args.upid, s))) : undefined;
    const parsed = f.parseUpid(args.upid);
    const stopped = s.status === "stopped";
    const data = {
      upid: args.upid,
      node: s.node ?? parsed?.node ?? "",
      type: s.type ?? parsed?.type ?? "",
      id: s.id ?? parsed?.id ?? "",
      user: s.user ? taskUser(s as { user: string; tokenid?: string }) : (parsed?.user ?? ""),
      status: stopped ? ("stopped" as const) : ("running" as const),
      exitstatus: stopped ? (s.exitstatus ?? null) : null,
      ok: stopped ? taskSucceeded(s.exitstatus) : null,
      start: isoTime(s.starttime),
      ...(stopped && endtime !== undefined && isoTime(endtime) ? { end: isoTime(endtime) as string } : {}),
    };
    const text = stopped
      ? `Task ${pveText(data.type, 40)}${data.id ? ` ${pveText(data.id, 80)}` : ""} on ${pveText(data.node, 63)} ${data.ok ? "finished OK" : "FAILED"}: ${data.exitstatus === null ? "no exit status" : pveText(data.exitstatus, 300)} (started ${data.start}${data.end ? `, ended ${data.end}` : ""}).`
      : `Task ${pveText(data.type, 40)}${data.id ? ` ${pveText(data.id, 80)}` : ""} on ${pveText(data.node, 63)} is still running (started ${data.start}). Check again later, or read proxmox_get_task_log.`;
    return { text, data };
  },
});

/** The end time of a stopped task, from its node's task list (filtered to its start second). */
async function endTimeOf(ctx: { pve: import("../pve/client.ts").PveClient; signal: AbortSignal }, upid: string, s: { node?: string; starttime?: number; type?: string; id?: string }): Promise<number | undefined> {
  const parsed = f.parseUpid(upid);
  const node = s.node ?? parsed?.node;
  const start = s.starttime ?? parsed?.starttime;
  if (!node || start === undefined) return undefined;
  try {
    const list = await ctx.pve.get<TaskListEntry[] | null>(
      ["nodes", node, "tasks"],
      { since: start, until: start, typefilter: s.type ?? parsed?.type, vmid: s.id && /^\d+$/.test(s.id) ? Number(s.id) : undefined, source: "archive", limit: 50 },
      { signal: ctx.signal },
    );
    return (list ?? []).find((t) => t.upid === upid)?.endtime;
  } catch {
    return undefined;
  }
}

export const getTaskLogTool = defineTool({
  name: "proxmox_get_task_log",
  title: "Task log",
  description: "A task's log lines. By default the last `limit` lines (where errors are); pass start (0 = first line) to page from the beginning.",
  tier: 1,
  toolset: "tasks",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({
    upid: f.upid,
    start: v.optional(wholeNumber("start", 0, 10_000_000, "First line to return (0-based); omit for the last lines.")),
    limit: f.limit(50, 1000),
  }),
  output: v.object({
    upid: v.string(),
    total: v.pipe(v.number(), v.description("Lines in the whole log.")),
    start: v.number(),
    lines: v.array(v.string()),
    more_before: v.number(),
    more_after: v.number(),
  }),
  async handler(args, ctx) {
    let start = args.start;
    let page: Awaited<ReturnType<typeof getTaskLog>>;
    if (start === undefined) {
      // The tail is what matters (TASK OK / TASK ERROR); learn the length, then read the end.
      const probe = await getTaskLog(ctx.pve, args.upid, 0, args.limit, ctx.signal);
      start = Math.max(0, probe.total - args.limit);
      page = start === 0 ? probe : await getTaskLog(ctx.pve, args.upid, start, args.limit, ctx.signal);
    } else {
      page = await getTaskLog(ctx.pve, args.upid, start, args.limit, ctx.signal);
    }
    const lines = page.lines.map((l) => l.t);
    const moreAfter = Math.max(0, page.total - start - lines.length);
    const data = { upid: args.upid, total: page.total, start, lines, more_before: start, more_after: moreAfter };
    const text = [
      `Task log lines ${start + 1}–${start + lines.length} of ${page.total}${start > 0 ? ` (${start} earlier lines: pass start to page)` : ""}:`,
      pveOutput("task log", lines.join("\n"), 128 * 1024),
      moreAfter > 0 ? `… ${moreAfter} more lines after these (pass start: ${start + lines.length}).` : "",
    ]
      .filter((l, i) => l !== "" || i === 0)
      .join("\n");
    return { text, data };
  },
});

export const waitTask = defineTool({
  name: "proxmox_wait_task",
  title: "Wait for a task",
  description: "Wait for any task (by UPID) to finish, up to timeout_s (default 60, max 600), sending progress notifications from its log. Says plainly whether it finished OK, failed, or is still running.",
  tier: 1,
  toolset: "tasks",
  annotations: READ_HINTS,
  input: v.strictObject({
    upid: f.upid,
    timeout_s: v.optional(wholeNumber("timeout_s", 1, 600, "How long to wait, in seconds (default 60, max 600)."), 60),
  }),
  output: TaskOutput,
  async handler(args, ctx) {
    const parsed = f.parseUpid(args.upid);
    const vmid = parsed && /^\d+$/.test(parsed.id) ? Number(parsed.id) : null;
    return finishTask(ctx, `Task ${parsed?.type ?? ""}${parsed?.id ? ` ${parsed.id}` : ""}`, args.upid, parsed?.node ?? "", vmid, { wait: true, wait_timeout_s: args.timeout_s });
  },
});

export const cancelTask = defineTool({
  name: "proxmox_cancel_task",
  title: "Stop a running task",
  description: "Stop a running task (backup, restore, download, migration…) by UPID. A task that already ended is reported as such and left alone. What the task had done before it was stopped stays done.",
  tier: 2,
  toolset: "tasks",
  annotations: { ...WRITE_HINTS, idempotentHint: true },
  input: v.strictObject({ upid: f.upid }),
  output: v.object({
    upid: v.string(),
    node: v.string(),
    state: v.pipe(v.picklist(["stopped", "not_needed", "still_running"]), v.description("stopped: it was running and now stopped; not_needed: it had already ended; still_running: not stopped within 10 s.")),
    exitstatus: v.nullable(v.string()),
  }),
  async handler(args, ctx) {
    const parsed = f.parseUpid(args.upid);
    const node = parsed?.node ?? "";
    checkNodePolicy(ctx, node);
    // A task about a guest is a write to that guest: the allowlist and protected tags apply.
    const vmid = parsed && /^\d{3,9}$/.test(parsed.id) ? Number(parsed.id) : undefined;
    if (vmid !== undefined) {
      checkVmidPolicy(ctx, vmid, "the task's guest");
      const guest = await findGuest(ctx.pve, vmid, {}, ctx.signal).catch(() => undefined);
      if (guest) await resolveWriteTarget(ctx, { vmid, node: guest.node, type: guest.type });
    }
    const before = await getTaskStatus(ctx.pve, args.upid, ctx.signal);
    const what = `Task ${before.type ?? parsed?.type ?? ""}${before.id ? ` ${before.id}` : ""} on ${node}`;
    if (before.status === "stopped") {
      return {
        text: `${what} had already ended (${before.exitstatus ?? "no exit status"}); nothing was stopped.`,
        data: { upid: args.upid, node, state: "not_needed" as const, exitstatus: before.exitstatus ?? null },
      };
    }
    const segments = ["nodes", node, "tasks", args.upid] as const;
    await approveAndSend<null>(ctx, { action: `Stop ${what}`, target: { node, vmid, state: "running" }, details: [`task ${args.upid}`, "work the task finished before it is stopped is not undone"] }, { method: "DELETE", segments });
    const until = performance.now() + 10_000;
    for (;;) {
      const now = await getTaskStatus(ctx.pve, args.upid, ctx.signal);
      if (now.status === "stopped") {
        return { text: `${what} was stopped: ${now.exitstatus ?? "no exit status"}.`, data: { upid: args.upid, node, state: "stopped" as const, exitstatus: now.exitstatus ?? null } };
      }
      if (performance.now() >= until || ctx.signal.aborted) break;
      await Bun.sleep(250);
    }
    return {
      text: `${what} was asked to stop but is STILL RUNNING after 10 s. Check it with proxmox_get_task_status {"upid": "${args.upid}"}.`,
      data: { upid: args.upid, node, state: "still_running" as const, exitstatus: null },
    };
  },
});
