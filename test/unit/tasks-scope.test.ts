// MCP tasks keep the caller's limits: a task runs the call with the request's principal
// (an OAuth scope's tier ceiling), so a read scope cannot start or cancel a write by asking
// for it as a task.
import { describe, expect, test } from "bun:test";
import { taskManager } from "../../src/mcp/tasks.ts";
import type { AnyTool } from "../../src/tools/types.ts";
import { simRegistry } from "../helpers/in-process.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator({ taskDurationMs: 1500 });

const registry = () => simRegistry(sim()).registry;

describe("MCP tasks and the caller's tier ceiling", () => {
  test("a read-only principal asking for a backup as a task gets the refusal and Proxmox gets no write", async () => {
    const reg = registry();
    const backup = reg.tools.find((t) => t.name === "proxmox_run_backup") as AnyTool;
    sim().resetLog();
    const task = await taskManager(reg).start(backup, { vmid: 100, confirm: true }, { maxTier: () => 1 });
    expect(task.status).toBe("completed");
    const got = await taskManager(reg).get(task.taskId);
    expect(got.result?.isError).toBe(true);
    expect(sim().requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  test("a read-only principal cannot cancel a running task", async () => {
    const reg = registry();
    const backup = reg.tools.find((t) => t.name === "proxmox_run_backup") as AnyTool;
    const task = await taskManager(reg).start(backup, { vmid: 100, confirm: true });
    expect(task.taskId).toMatch(/^pve:default:UPID:/);
    sim().resetLog();
    const refused = await taskManager(reg).cancel(task.taskId, { maxTier: () => 1 }).catch((e: Error) => e);
    expect(String((refused as Error).message)).toContain("Not cancelled");
    expect(sim().requests.filter((r) => r.method === "DELETE")).toEqual([]);
    await taskManager(reg).cancel(task.taskId);
  });
});
