// Long Proxmox jobs as MCP tasks, against the compiled binary: the 2025-11-25 tasks utility
// (task-augmented tools/call, tasks/get, tasks/result, tasks/list, tasks/cancel) and the
// 2026-07-28 Tasks extension (io.modelcontextprotocol/tasks).
import { describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { BINARY, callTool, connectMcp, envFor, type McpSession, pveGet } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator({ taskDurationMs: 1500 });
const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** Any result: the task methods are outside the SDK client's typed surface. */
const anything = { "~standard": { version: 1 as const, vendor: "test", validate: (value: unknown) => ({ value }) } };
type Task = { taskId: string; status: string; statusMessage?: string; result?: { structuredContent?: Record<string, unknown>; content?: { text?: string }[] } };

async function rpc<T = Record<string, unknown>>(session: McpSession, method: string, params: Record<string, unknown>): Promise<T> {
  return (await session.client.request({ method, params } as never, anything as never)) as T;
}

async function firstRunningVm(session: McpSession): Promise<number> {
  const vms = await callTool(session, "proxmox_list_vms", { status: "running" });
  return (vms.structured?.items as { vmid: number }[])[0]?.vmid as number;
}

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > deadline) return value;
    await Bun.sleep(100);
  }
}

describe("MCP tasks, 2025-11-25", () => {
  test("the server declares tasks for tools/call, and only long jobs offer them", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      expect(session.client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } } as never);
      const { tools } = await session.client.listTools();
      const support = Object.fromEntries(tools.map((t) => [t.name, (t as { execution?: { taskSupport?: string } }).execution?.taskSupport]));
      expect(support.proxmox_run_backup).toBe("optional");
      expect(support.proxmox_clone_resource).toBe("optional");
      expect(support.proxmox_migrate_resource).toBe("optional");
      expect(support.proxmox_start_resource).toBeUndefined();
      expect(support.proxmox_destroy_resource).toBeUndefined();
    } finally {
      await session.close();
    }
  });

  test("a task-augmented backup answers a handle at once that names the PVE task; get follows it and result is the tool's own answer", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s));
    try {
      const vmid = await firstRunningVm(session);
      const started = performance.now();
      const created = await rpc<{ task: Task & { ttl: number } }>(session, "tools/call", { name: "proxmox_run_backup", arguments: { vmid, confirm: true }, task: { ttl: 60_000 } });
      expect(performance.now() - started).toBeLessThan(1400);
      expect(created.task.status).toBe("working");
      expect(created.task.taskId).toMatch(/^pve:default:UPID:[^:]+:[0-9A-F]+:[0-9A-F]+:[0-9A-F]+:vzdump:/);
      const upid = created.task.taskId.slice("pve:default:".length);
      const working = await rpc<Task>(session, "tasks/get", { taskId: created.task.taskId });
      expect(working.status).toBe("working");
      const listed = await rpc<{ tasks: Task[] }>(session, "tasks/list", {});
      expect(listed.tasks.map((t) => t.taskId)).toContain(created.task.taskId);
      const result = await rpc<{ structuredContent: { upid: string; state: string }; content: { text: string }[] }>(session, "tasks/result", { taskId: created.task.taskId });
      expect(result.structuredContent.upid).toBe(upid);
      expect(result.structuredContent.state).toBe("ok");
      expect(result.content[0]?.text).toContain("task finished OK");
      const done = await rpc<Task>(session, "tasks/get", { taskId: created.task.taskId });
      expect(done.status).toBe("completed");
      const pve = await pveGet<{ status: string; exitstatus: string }>(s, `/nodes/${upid.split(":")[1]}/tasks/${encodeURIComponent(upid)}/status`);
      expect(pve).toMatchObject({ status: "stopped", exitstatus: "OK" });
    } finally {
      await session.close();
    }
  });

  test("tasks/cancel stops the PVE task itself (DELETE /nodes/{node}/tasks/{upid}) and says so; the clone is not made", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s));
    try {
      const vmid = await firstRunningVm(session);
      const created = await rpc<{ task: Task }>(session, "tools/call", { name: "proxmox_clone_resource", arguments: { vmid, newid: 777, name: "cancelled-clone", confirm: true }, task: {} });
      const upid = created.task.taskId.slice("pve:default:".length);
      const cancelled = await rpc<Task>(session, "tasks/cancel", { taskId: created.task.taskId });
      expect(cancelled.status).toBe("cancelled");
      expect(cancelled.statusMessage).toContain(upid);
      expect(s.requests.some((r) => r.method === "DELETE" && r.path === `/nodes/${upid.split(":")[1]}/tasks/${upid}`)).toBe(true);
      const pve = await pveGet<{ status: string; exitstatus: string }>(s, `/nodes/${upid.split(":")[1]}/tasks/${encodeURIComponent(upid)}/status`);
      expect(pve).toMatchObject({ status: "stopped", exitstatus: "interrupted by signal" });
      await Bun.sleep(1700);
      const guests = await pveGet<{ vmid: number }[]>(s, "/cluster/resources?type=vm");
      expect(guests.some((g) => g.vmid === 777)).toBe(false);
      const again = await rpc<Task>(session, "tasks/get", { taskId: created.task.taskId });
      expect(again.status).toBe("cancelled");
      const twice = await rpc(session, "tasks/cancel", { taskId: created.task.taskId }).catch((e: { code?: number }) => e);
      expect((twice as { code?: number }).code).toBe(-32602);
    } finally {
      await session.close();
    }
  });

  test("a refused call asked as a task ends at once with the refusal, and no request is sent", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s));
    try {
      const vmid = await firstRunningVm(session);
      s.resetLog();
      const created = await rpc<{ task: Task }>(session, "tools/call", { name: "proxmox_run_backup", arguments: { vmid }, task: {} });
      expect(created.task.taskId).toMatch(/^local:/);
      expect(created.task.status).toBe("completed");
      const result = await rpc<{ isError?: boolean; content: { text: string }[] }>(session, "tasks/result", { taskId: created.task.taskId });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain("confirm");
      expect(s.requests).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("after a server restart, tasks/get answers from Proxmox by the UPID in the handle", async () => {
    const s = sim();
    const first = await connectMcp(envFor(s));
    const vmid = await firstRunningVm(first);
    const created = await rpc<{ task: Task }>(first, "tools/call", { name: "proxmox_run_backup", arguments: { vmid, confirm: true }, task: {} });
    await first.close();
    const second = await connectMcp(envFor(s));
    try {
      const now = await rpc<Task>(second, "tasks/get", { taskId: created.task.taskId });
      expect(["working", "completed"]).toContain(now.status);
      const later = await until(() => rpc<Task>(second, "tasks/get", { taskId: created.task.taskId }), (t) => t.status !== "working");
      expect(later.status).toBe("completed");
      const result = await rpc<{ content: { text: string }[] }>(second, "tasks/result", { taskId: created.task.taskId });
      expect(result.content[0]?.text).toContain("OK");
      const unknown = await rpc(second, "tasks/get", { taskId: "pve:default:UPID:pve1:00000001:00000001:00000001:vzdump:1:root@pam:" }).catch((e: { code?: number }) => e);
      expect((unknown as { code?: number }).code).toBe(-32602);
    } finally {
      await second.close();
    }
  });

  test("a client that does not ask for a task gets today's wait-and-answer", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const vmid = await firstRunningVm(session);
      const answer = await callTool(session, "proxmox_run_backup", { vmid, confirm: true, wait: true });
      expect(answer.structured?.state).toBe("ok");
    } finally {
      await session.close();
    }
  });
});

/**
 * A 2026-07-28 client over raw JSON-RPC on stdio. The SDK client (2.4.0) refuses a
 * tools/call answer with resultType "task" (UnsupportedResultType): it has no Tasks
 * extension of its own, so these requests carry the per-request envelope themselves.
 */
async function modernStdio(env: Record<string, string>) {
  const proc = Bun.spawn([BINARY], { env, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  let id = 0;
  (async () => {
    let buffer = "";
    for await (const chunk of proc.stdout) {
      buffer += new TextDecoder().decode(chunk);
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const message = JSON.parse(line) as { id?: number };
        if (typeof message.id === "number") waiting.get(message.id)?.(message as Record<string, unknown>);
      }
    }
  })();
  const envelope = (tasks: boolean) => ({
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "raw-2026-client", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {},
  });
  return {
    async request(method: string, params: Record<string, unknown>, tasks = true): Promise<Record<string, unknown>> {
      const mine = ++id;
      const answer = new Promise<Record<string, unknown>>((resolve) => waiting.set(mine, resolve));
      proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: mine, method, params: { ...params, _meta: envelope(tasks) } })}\n`);
      proc.stdin.flush();
      const message = await answer;
      if (message.error) throw Object.assign(new Error(JSON.stringify(message.error)), message.error);
      return message.result as Record<string, unknown>;
    },
    close() {
      proc.stdin.end();
      proc.kill();
    },
  };
}

describe("MCP tasks, 2026-07-28 (Tasks extension)", () => {
  test("the server declares the Tasks extension", async () => {
    const session = await connectMcp(envFor(sim()), { era: "modern" });
    try {
      const caps = session.client.getServerCapabilities() as { extensions?: Record<string, unknown> };
      expect(caps.extensions?.[TASKS_EXTENSION]).toEqual({});
    } finally {
      await session.close();
    }
  });

  test("a client declaring the extension gets resultType task; tasks/get carries the result when done; tasks/cancel stops the PVE task", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s), { era: "modern" });
    const raw = await modernStdio(envFor(s));
    try {
      const vmid = await firstRunningVm(session);
      const created = (await raw.request("tools/call", { name: "proxmox_run_backup", arguments: { vmid, confirm: true } })) as Task & { resultType: string; ttlMs: number };
      expect(created.resultType).toBe("task");
      expect(created.status).toBe("working");
      expect(created.taskId).toMatch(/^pve:default:UPID:/);
      const done = await until(async () => (await raw.request("tasks/get", { taskId: created.taskId })) as Task & { resultType: string }, (t) => t.status !== "working");
      expect(done.status).toBe("completed");
      expect(done.result?.structuredContent?.state).toBe("ok");

      const clone = (await raw.request("tools/call", { name: "proxmox_clone_resource", arguments: { vmid, newid: 778, confirm: true } })) as Task;
      const cancelled = await raw.request("tasks/cancel", { taskId: clone.taskId });
      expect(cancelled.resultType).toBe("complete");
      const after = (await raw.request("tasks/get", { taskId: clone.taskId })) as Task;
      expect(after.status).toBe("cancelled");
      const upid = clone.taskId.slice("pve:default:".length);
      const pve = await pveGet<{ exitstatus: string }>(s, `/nodes/${upid.split(":")[1]}/tasks/${encodeURIComponent(upid)}/status`);
      expect(pve.exitstatus).toBe("interrupted by signal");
    } finally {
      raw.close();
      await session.close();
    }
  });

  test("a 2026-07-28 client without the extension gets the plain answer", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s), { era: "modern" });
    const raw = await modernStdio(envFor(s));
    try {
      const vmid = await firstRunningVm(session);
      const answer = (await raw.request("tools/call", { name: "proxmox_run_backup", arguments: { vmid, confirm: true, wait: true } }, false)) as { structuredContent?: { state?: string }; resultType?: string };
      expect(answer.resultType).toBe("complete");
      expect(answer.structuredContent?.state).toBe("ok");
    } finally {
      raw.close();
      await session.close();
    }
  });
});

describe("MCP tasks over Streamable HTTP", () => {
  test("a task started by one client is followed, and its result read, by a client that connects later to the same server", async () => {
    const s = sim();
    const proc = Bun.spawn([BINARY, "serve", "--http", "127.0.0.1:0"], { env: envFor(s), stdout: "ignore", stderr: "pipe", stdin: "ignore" });
    try {
      const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
      let seen = "";
      while (!/at (http:\/\/\S+\/mcp)/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server exited: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      const url = new URL(/at (http:\/\/\S+\/mcp)/.exec(seen)?.[1] as string);
      const connect = async () => {
        const c = new Client({ name: "tasks-over-http", version: "1" });
        await c.connect(new StreamableHTTPClientTransport(url));
        return c;
      };
      const first = await connect();
      const vms = (await first.callTool({ name: "proxmox_list_vms", arguments: { status: "running" } })) as { structuredContent?: { items: { vmid: number }[] } };
      const vmid = vms.structuredContent?.items[0]?.vmid;
      const created = (await first.request({ method: "tools/call", params: { name: "proxmox_run_backup", arguments: { vmid, confirm: true }, task: {} } } as never, anything as never)) as { task: Task };
      await first.close();
      const second = await connect();
      try {
        const done = await until(async () => (await second.request({ method: "tasks/get", params: { taskId: created.task.taskId } } as never, anything as never)) as Task, (t) => t.status !== "working");
        expect(done.status).toBe("completed");
        const result = (await second.request({ method: "tasks/result", params: { taskId: created.task.taskId } } as never, anything as never)) as { structuredContent?: { state?: string } };
        expect(result.structuredContent?.state).toBe("ok");
      } finally {
        await second.close();
      }
    } finally {
      proc.kill();
    }
  });
});
