// The compiled binary speaks MCP to clients of both protocol eras, over stdio only.
import { describe, expect, test } from "bun:test";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { listedSchemas } from "../../src/tools/json-schema.ts";
import { BINARY, callTool, connectMcp, envFor } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

describe("MCP protocol", () => {
  test("a 2025-11-25 client initializes and lists every tool", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      expect(session.client.getServerVersion()?.name).toBe("proxmox-mcp");
      const { tools } = await session.client.listTools();
      expect(tools).toHaveLength(ALL_TOOLS.length);
    } finally {
      await session.close();
    }
  });

  test("a 2026-07-28 client discovers the server and calls a tool", async () => {
    const session = await connectMcp(envFor(sim()), { era: "modern" });
    try {
      const { tools } = await session.client.listTools();
      expect(tools.map((t) => t.name)).toContain("proxmox_status");
      const answer = await callTool(session, "proxmox_status");
      expect(answer.isError).toBe(false);
      expect(answer.structured).toHaveProperty("nodes");
    } finally {
      await session.close();
    }
  });

  test("every listed tool has a title, the four annotation hints and both schemas", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const { tools } = await session.client.listTools();
      for (const tool of tools) {
        expect(tool.title).toBeTruthy();
        expect(tool.description?.length).toBeGreaterThan(20);
        for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
          expect(typeof tool.annotations?.[hint]).toBe("boolean");
        }
        expect(tool.inputSchema.type).toBe("object");
        expect(tool.outputSchema?.type).toBe("object");
      }
    } finally {
      await session.close();
    }
  });

  test("the schemas the binary lists (converted when it was built) are the tools' schemas converted now", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const { tools } = await session.client.listTools();
      for (const tool of ALL_TOOLS) {
        const listed = tools.find((t) => t.name === tool.name);
        const fresh = listedSchemas(tool);
        expect({ name: tool.name, input: listed?.inputSchema, output: listed?.outputSchema }).toEqual({ name: tool.name, input: fresh.input as never, output: fresh.output as never });
      }
    } finally {
      await session.close();
    }
  });

  test("write tools list confirm and dry_run (a dry run needs no confirm), and tier 3 requires destructive", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const { tools } = await session.client.listTools();
      const destroy = tools.find((t) => t.name === "proxmox_destroy_resource");
      const start = tools.find((t) => t.name === "proxmox_start_resource");
      for (const tool of [start, destroy]) expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["confirm", "dry_run"]));
      expect(start?.inputSchema.required ?? []).not.toContain("confirm");
      expect(destroy?.inputSchema.required).toContain("destructive");
    } finally {
      await session.close();
    }
  });

  test("PROXMOX_READ_ONLY lists only the read tools", async () => {
    const session = await connectMcp(envFor(sim(), { PROXMOX_READ_ONLY: "1" }));
    try {
      const { tools } = await session.client.listTools();
      // proxmox_api stays listed: its tier follows the call, and read-only serves its GETs only.
      expect(tools.map((t) => t.name)).toEqual(ALL_TOOLS.filter((t) => t.tier === 1 || t.tierFor).map((t) => t.name));
      expect(tools.filter((t) => t.annotations?.readOnlyHint !== true).map((t) => t.name)).toEqual(["proxmox_api"]);
    } finally {
      await session.close();
    }
  });

  test("stdout carries only JSON-RPC messages, and the secret appears on neither stream", async () => {
    const s = sim();
    const proc = Bun.spawn([BINARY], { env: envFor(s, { PROXMOX_LOG_LEVEL: "debug" }), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const send = (msg: unknown) => proc.stdin.write(`${JSON.stringify(msg)}\n`);
    send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "proxmox_list_vms", arguments: {} } });
    send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "proxmox_get_resource", arguments: { vmid: 99999 } } });
    await Bun.sleep(1500);
    proc.stdin.end();
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    await proc.exited;
    const lines = stdout.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line).jsonrpc).toBe("2.0");
    expect(stdout).not.toContain(s.tokenSecret);
    expect(stderr).not.toContain(s.tokenSecret);
    expect(stderr).toContain("GET /cluster/resources");
  });

  test("closing stdin ends the server with exit code 0", async () => {
    const proc = Bun.spawn([BINARY], { env: envFor(sim()), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.end();
    expect(await proc.exited).toBe(0);
  });
});
