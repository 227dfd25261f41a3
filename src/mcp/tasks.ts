// Long Proxmox jobs as MCP tasks. What SDK 2.4.0 has: the 2025-11-25 wire schemas
// (tasks/get, tasks/result, tasks/list, tasks/cancel, CreateTaskResult, Tool.execution) and,
// for 2026-07-28, only the SEP-2663 method names (it removed tasks from core and strips
// `tasks` from capabilities). What it does not have, and this file adds: a task store,
// task-augmented tools/call, the four task methods, and the 2026-07-28 Tasks extension
// (io.modelcontextprotocol/tasks: resultType "task", tasks/get with the result inline,
// tasks/cancel). Clients that ask for neither keep the wait-and-progress answer.
//
// A task is the tool call running in this process, detached from the request that started
// it. Its id names the PVE task (pve:<instance>:<UPID>), so after a restart tasks/get still
// answers from Proxmox. tasks/cancel stops the wait and sends DELETE /nodes/{node}/tasks/{upid}.
import { type McpServer, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { parseUpid, UPID_RE } from "../pve/formats.ts";
import type { PveClient } from "../pve/client.ts";
import type { CallOptions, CallOutcome, ToolRegistry } from "../tools/registry.ts";
import type { AnyTool } from "../tools/types.ts";
import { inventoryWatch } from "./inventory.ts";
import { perRegistry } from "./per-registry.ts";
import { registeredTools, requestHandlers, type ToolCallRoute } from "./tool-calls.ts";

/** The caller's limits (HTTP: the token's tier ceiling per cluster, and who it is). */
export type Access = Pick<CallOptions, "maxTier" | "actor">;

export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
/** The long jobs: they follow a PVE task for minutes. */
const TASK_TOOLS = /^proxmox_(run_backup|clone_resource|migrate_resource|create_vm|create_container|restore|download|backup_drill)/;
/** How long a finished task's result is kept. */
export const TTL_MS = 60 * 60 * 1000;
const POLL_INTERVAL_MS = 1000;
const MAX_KEPT = 500;
const MAX_LIST = 100;

type Status = "working" | "input_required" | "completed" | "failed" | "cancelled";

export interface CallResult {
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

interface TaskRecord {
  taskId: string;
  tool: string;
  instance: string;
  status: Status;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  upid?: string;
  node?: string;
  result?: CallResult;
  done: Promise<void>;
  abort: AbortController;
}

/** The task as the wire shows it, without the result. */
interface TaskView {
  taskId: string;
  status: Status;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
}

export interface Instances {
  names: readonly string[];
  pve(instance: string): PveClient | undefined;
  /** May this server stop a PVE task it did not start in this process? */
  mayStop(instance: string, upid: string): string | undefined;
  audit(record: Record<string, unknown>): void;
}

const now = () => new Date().toISOString();

export function parseTaskId(taskId: string): { instance: string; upid: string } | undefined {
  const m = /^pve:([^:]{1,64}):(UPID:.+)$/.exec(taskId);
  return m && UPID_RE.test(m[2] as string) ? { instance: m[1] as string, upid: m[2] as string } : undefined;
}

/** The node a UPID runs on. */
function upidNode(upid: string): string {
  return parseUpid(upid)?.node ?? "";
}

export class TaskManager {
  private readonly tasks = new Map<string, TaskRecord>();

  constructor(
    private readonly registry: ToolRegistry,
    private readonly instances: Instances,
  ) {}

  /** May this tool run as a task? A long job, listed, and no person to ask first. */
  supports(tool: AnyTool | undefined): boolean {
    return !!tool && TASK_TOOLS.test(tool.name) && tool.tier === 2 && "wait" in tool.input.entries && !this.registry.wouldAsk(tool);
  }

  /**
   * Starts the call detached from the request and answers once its PVE task exists (the
   * UPID is the handle) or the call ended without one (a refusal: a finished task).
   */
  async start(tool: AnyTool, args: Record<string, unknown>, access: Access = {}): Promise<TaskView> {
    const abort = new AbortController();
    let seen: (upid: string) => void = () => {};
    const upidSeen = new Promise<string>((resolve) => {
      seen = resolve;
    });
    const instance = typeof args.instance === "string" ? args.instance : (this.instances.names[0] as string);
    const created = now();
    const record: TaskRecord = { taskId: "", tool: tool.name, instance, status: "working", createdAt: created, lastUpdatedAt: created, done: Promise.resolve(), abort };
    // The same call as without a task, with the caller's own limits: only the wait differs.
    const call = this.registry.call(tool.name, { ...args, wait: true, wait_timeout_s: 600 }, {
      ...access,
      signal: abort.signal,
      onUpid: (upid) => {
        if (!record.upid) {
          record.upid = upid;
          record.node = upidNode(upid);
          seen(upid);
        }
      },
      progress: async (update) => {
        if (record.status !== "working") return;
        record.statusMessage = update.message ? `${update.message}`.slice(0, 300) : record.statusMessage;
        record.lastUpdatedAt = now();
      },
    });
    record.done = call.then(
      (outcome) => this.settle(record, outcome),
      () => this.settle(record, { isError: true, text: "Internal error in proxmox-mcp; details were logged to stderr." }),
    );
    const upid = await Promise.race([upidSeen, record.done.then(() => undefined)]);
    record.taskId = upid ? `pve:${instance}:${upid}` : `local:${crypto.randomUUID()}`;
    this.keep(record);
    return view(record);
  }

  private settle(record: TaskRecord, outcome: Pick<CallOutcome, "isError" | "text" | "structured">): void {
    record.lastUpdatedAt = now();
    if (record.status === "cancelled") return;
    record.result = { content: [{ type: "text", text: outcome.text }], ...(outcome.isError ? { isError: true } : { structuredContent: outcome.structured }) };
    const state = outcome.structured?.state;
    record.status = "completed";
    inventoryWatch(this.registry).afterCall(record.tool, { isError: outcome.isError, structured: outcome.structured });
    record.statusMessage = outcome.isError ? `Refused or failed: ${outcome.text.split("\n", 1)[0]}` : state === "failed" ? "The Proxmox task failed; the result says why." : "Done.";
  }

  private keep(record: TaskRecord): void {
    this.tasks.set(record.taskId, record);
    const cutoff = Date.now() - TTL_MS;
    for (const [id, t] of this.tasks) {
      if (this.tasks.size <= MAX_KEPT && Date.parse(t.lastUpdatedAt) > cutoff) break;
      if (t.status !== "working") this.tasks.delete(id);
    }
  }

  /** tasks/get: from memory, or (a task of an earlier process) from Proxmox by its UPID. */
  async get(taskId: string): Promise<TaskView & { result?: CallResult }> {
    const record = this.tasks.get(taskId);
    if (record) return { ...view(record), result: record.result };
    return this.fromPve(taskId);
  }

  /** tasks/result (2025-11-25): waits for the end, then the tool's own answer. */
  async result(taskId: string, signal: AbortSignal): Promise<CallResult> {
    const record = this.tasks.get(taskId);
    if (record) {
      await Promise.race([record.done, aborted(signal)]);
      if (record.result) return record.result;
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task ${taskId} has no result (status ${record.status}).`);
    }
    for (;;) {
      const task = await this.fromPve(taskId);
      if (task.result) return task.result;
      if (signal.aborted) throw new ProtocolError(ProtocolErrorCode.InternalError, "Request cancelled");
      await Promise.race([Bun.sleep(POLL_INTERVAL_MS * 2), aborted(signal)]);
    }
  }

  list(cursor?: string): { tasks: TaskView[]; nextCursor?: string } {
    const all = [...this.tasks.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = cursor ? Math.max(0, Number.parseInt(cursor, 10) || 0) : 0;
    const page = all.slice(start, start + MAX_LIST).map(view);
    return { tasks: page, ...(start + MAX_LIST < all.length ? { nextCursor: String(start + MAX_LIST) } : {}) };
  }

  /** tasks/cancel: stops the wait and the PVE task itself, and says so. */
  async cancel(taskId: string, access: Access = {}): Promise<TaskView> {
    const record = this.tasks.get(taskId);
    const parsed = parseTaskId(taskId);
    // Stopping a PVE task is a write: a caller whose ceiling is reads may not.
    const instanceOf = record?.instance ?? parsed?.instance;
    if (access.maxTier && instanceOf !== undefined && access.maxTier(instanceOf) < 2) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Not cancelled: stopping a Proxmox task is a write, and this caller may only read on ${instanceOf}.`);
    }
    if (record && record.status !== "working") throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task ${taskId} already ended (${record.status}); there is nothing to cancel.`);
    if (!record) {
      const task = await this.fromPve(taskId);
      if (task.status !== "working") throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task ${taskId} already ended (${task.status}); there is nothing to cancel.`);
      const refused = parsed ? this.instances.mayStop(parsed.instance, parsed.upid) : "it is not a Proxmox task";
      if (refused) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Not cancelled: ${refused}.`);
    }
    const upid = record?.upid ?? parsed?.upid;
    const instance = record?.instance ?? parsed?.instance ?? "";
    let message: string;
    if (upid) {
      const pve = this.instances.pve(instance);
      try {
        await pve?.request("DELETE", ["nodes", upidNode(upid), "tasks", upid]);
        message = `Cancelled: Proxmox was told to stop task ${upid} (DELETE /nodes/${upidNode(upid)}/tasks/…); what it had done so far stays done.`;
        this.instances.audit({ tool: "tasks/cancel", args: { taskId }, decision: "allowed", upid, outcome: "ok" });
      } catch (error) {
        this.instances.audit({ tool: "tasks/cancel", args: { taskId }, decision: "allowed", upid, outcome: "pve_error" });
        throw new ProtocolError(ProtocolErrorCode.InternalError, `Proxmox did not stop task ${upid}: ${error instanceof Error ? error.message.slice(0, 300) : "unknown error"}`);
      }
    } else {
      message = "Cancelled before Proxmox started a task: nothing was sent.";
    }
    if (record) {
      record.status = "cancelled";
      record.statusMessage = message;
      record.lastUpdatedAt = now();
      record.result = { content: [{ type: "text", text: message }], isError: true };
      record.abort.abort();
      return view(record);
    }
    return { taskId, status: "cancelled", statusMessage: message, createdAt: now(), lastUpdatedAt: now() };
  }

  private async fromPve(taskId: string): Promise<TaskView & { result?: CallResult }> {
    const parsed = parseTaskId(taskId);
    if (!parsed || !this.instances.names.includes(parsed.instance)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task ${taskId.slice(0, 200)}: this server did not start it.`);
    const outcome = await this.registry.call("proxmox_get_task_status", { instance: this.instances.names.length > 1 ? parsed.instance : undefined, upid: parsed.upid });
    if (outcome.isError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task ${taskId.slice(0, 200)}: ${outcome.text.split("\n", 1)[0]}`);
    const data = outcome.structured as { status?: string; exitstatus?: string | null; starttime?: string | null; endtime?: string | null };
    const running = data.status === "running";
    const interrupted = !running && /interrupted/i.test(String(data.exitstatus));
    const created = data.starttime ?? now();
    const status: Status = running ? "working" : interrupted ? "cancelled" : "completed";
    return {
      taskId,
      status,
      statusMessage: running ? "Running in Proxmox (started by an earlier run of this server)." : `Ended in Proxmox: ${data.exitstatus ?? "unknown"}.`,
      createdAt: created,
      lastUpdatedAt: data.endtime ?? now(),
      ...(running ? {} : { result: { content: [{ type: "text" as const, text: outcome.text }], structuredContent: outcome.structured } }),
    };
  }
}

function view(record: TaskRecord): TaskView {
  return { taskId: record.taskId, status: record.status, ...(record.statusMessage ? { statusMessage: record.statusMessage } : {}), createdAt: record.createdAt, lastUpdatedAt: record.lastUpdatedAt };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export const taskManager = perRegistry((registry) => new TaskManager(registry, registry.taskInstances()));

/** What a request's envelope or params say about tasks. */
function wantsTask(params: Record<string, unknown>, envelope: Record<string, unknown> | undefined): "legacy" | "modern" | undefined {
  if (envelope) {
    const caps = envelope["io.modelcontextprotocol/clientCapabilities"] as { extensions?: Record<string, unknown> } | undefined;
    return caps?.extensions && TASKS_EXTENSION in caps.extensions ? "modern" : undefined;
  }
  return params.task && typeof params.task === "object" ? "legacy" : undefined;
}

/**
 * Installs tasks on one SDK server, after its tools are registered: the capability (both
 * eras) and the task methods. Returns the route that starts task-augmented tools/call.
 */
export function registerTasks(server: McpServer, registry: ToolRegistry, access: Access = {}): ToolCallRoute {
  const manager = taskManager(registry);
  server.server.registerCapabilities({ tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } }, extensions: { [TASKS_EXTENSION]: {} } } as never);
  // SDK 2.4.0 has Tool.execution on the wire but registerTool drops it: set it on the registered tool.
  const registered = registeredTools(server);
  for (const tool of registry.tools) {
    const entry = registered[tool.name];
    if (entry && manager.supports(tool)) entry.execution = { taskSupport: "optional" };
  }
  const handlers = requestHandlers(server);
  const taskId = (request: { params?: Record<string, unknown> }) => {
    const id = request.params?.taskId;
    if (typeof id !== "string" || id.length === 0 || id.length > 600) throw new ProtocolError(ProtocolErrorCode.InvalidParams, "taskId must be the task id a tools/call answered with.");
    return id;
  };
  // tasks/get and tasks/cancel are the names SEP-2663 reuses on 2026-07-28: the SDK routes
  // them there only when registered with their own params schema (the custom-method form).
  const anyParams = { "~standard": { version: 1 as const, vendor: "proxmox-mcp", validate: (value: unknown) => ({ value: value as Record<string, unknown> }) } };
  server.server.setRequestHandler("tasks/get", { params: anyParams }, async (params, ctx) => {
    const { result, ...task } = await manager.get(taskId({ params: params as Record<string, unknown> }));
    if (!ctx.mcpReq.envelope) return { ...task, ttl: TTL_MS, pollInterval: POLL_INTERVAL_MS };
    return { resultType: "complete", ...task, ttlMs: TTL_MS, pollIntervalMs: POLL_INTERVAL_MS, ...(task.status === "completed" && result ? { result } : {}) };
  });
  server.server.setRequestHandler("tasks/cancel", { params: anyParams }, async (params, ctx) => {
    const task = await manager.cancel(taskId({ params: params as Record<string, unknown> }), access);
    return ctx.mcpReq.envelope ? { resultType: "complete" } : { ...task, ttl: TTL_MS, pollInterval: POLL_INTERVAL_MS };
  });
  handlers.set("tasks/result", async (request, ctx) => {
    const id = taskId(request);
    const result = await manager.result(id, ctx.mcpReq.signal);
    return { ...result, _meta: { "io.modelcontextprotocol/related-task": { taskId: id } } };
  });
  handlers.set("tasks/list", async (request) => {
    const cursor = typeof request.params?.cursor === "string" ? request.params.cursor : undefined;
    const page = manager.list(cursor);
    return { ...page, tasks: page.tasks.map((t) => ({ ...t, ttl: TTL_MS, pollInterval: POLL_INTERVAL_MS })) };
  });
  // Task-augmented tools/call of a tool that can run as a task (src/mcp/tool-calls.ts routes it here).
  return ({ tool, args }, request, ctx) => {
    const era = wantsTask(request.params ?? {}, ctx.mcpReq.envelope);
    if (!era || !manager.supports(tool)) return undefined;
    return manager.start(tool, args, access).then((task) =>
      era === "modern" ? { resultType: "task", ...task, ttlMs: TTL_MS, pollIntervalMs: POLL_INTERVAL_MS } : { task: { ...task, ttl: TTL_MS, pollInterval: POLL_INTERVAL_MS } },
    );
  };
}
