// tools/call routes (src/mcp/tool-calls.ts): a read answers straight from the callback the
// registry registered, past the SDK's re-checks; everything else keeps the SDK's handler.
// What must stay true on the short path: the same answer, the same ceiling, no write.
import { describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { readLane, type WireRequest } from "../../src/mcp/tool-calls.ts";
import { createMcpServer } from "../../src/server.ts";
import { simRegistry } from "../helpers/in-process.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

const registry = () => simRegistry(sim()).registry;

async function connect(reg: ReturnType<typeof registry>, principal: Parameters<typeof createMcpServer>[1] = {}) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(reg, principal).connect(serverSide);
  const client = new Client({ name: "tool-calls-test", version: "1.0.0" });
  await client.connect(clientSide);
  await client.listTools(); // the client then checks every structuredContent against the tool's output schema
  return client;
}

type Answer = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: unknown };

describe("tools/call routes", () => {
  test("a read answers with the text and structuredContent the registry made, and they match the output schema", async () => {
    const reg = registry();
    const client = await connect(reg);
    const answer = (await client.callTool({ name: "proxmox_get_resource", arguments: { vmid: 100 } })) as Answer;
    const direct = await reg.call("proxmox_get_resource", { vmid: 100 });
    expect(answer.isError).toBeFalsy();
    expect(answer.content[0]?.text).toBe(direct.text);
    expect(answer.structuredContent).toEqual(direct.structured);
    await client.close();
  });

  test("a read's bad arguments are answered as a tool error naming them, with no request to Proxmox", async () => {
    const client = await connect(registry());
    sim().resetLog();
    const answer = (await client.callTool({ name: "proxmox_get_resource", arguments: { vmid: 100, colour: "red" } })) as Answer;
    expect(answer.isError).toBe(true);
    expect(answer.content[0]?.text).toContain("colour");
    expect(sim().requests).toEqual([]);
    await client.close();
  });

  test("a write under a read-only token's ceiling is not served by any route: unknown tool, no request", async () => {
    const client = await connect(registry(), { maxTier: () => 1 });
    sim().resetLog();
    const answer = (await client.callTool({ name: "proxmox_start_resource", arguments: { vmid: 101, confirm: true } }).catch((error: Error) => ({ isError: true, content: [{ type: "text", text: error.message }] }))) as Answer;
    expect(answer.isError).toBe(true);
    expect(answer.content[0]?.text).toMatch(/not found|unknown/i);
    expect(sim().requests).toEqual([]);
    await client.close();
  });

  test("proxmox_api with a POST is a write for this call: the read route leaves it to the gates, which refuse it without confirm", async () => {
    const client = await connect(registry());
    sim().resetLog();
    const answer = (await client.callTool({ name: "proxmox_api", arguments: { method: "POST", path: "/nodes/pve1/qemu/101/status/start" } })) as Answer;
    expect(answer.isError).toBe(true);
    expect(answer.content[0]?.text).toContain("confirm");
    expect(sim().requests.filter((r) => r.method !== "GET")).toEqual([]);
    await client.close();
  });

  test("a write still takes the SDK's handler and answers: its dry run plans without sending", async () => {
    const stopped = [...sim().state.guests.values()].find((g) => g.status === "stopped" && !g.template && g.node !== "pve3");
    if (!stopped) throw new Error("no stopped guest in the simulated cluster");
    const client = await connect(registry());
    sim().resetLog();
    const answer = (await client.callTool({ name: "proxmox_start_resource", arguments: { vmid: stopped.vmid, dry_run: true } })) as Answer;
    expect(answer.isError).toBeFalsy();
    expect((answer.structuredContent as { dry_run?: boolean }).dry_run).toBe(true);
    expect(sim().requests.filter((r) => r.method !== "GET")).toEqual([]);
    await client.close();
  });
});

describe("the stdio read lane", () => {
  /** A server its client initialized, and the lane for it. */
  async function initializedLane(reg: ReturnType<typeof registry>, principal: Parameters<typeof createMcpServer>[1] = {}) {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = createMcpServer(reg, principal);
    await server.connect(serverSide);
    const client = new Client({ name: "read-lane-test", version: "1.0.0" });
    await client.connect(clientSide);
    return { lane: readLane(server, reg), client };
  }
  const call = (name: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}): WireRequest => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args, ...extra } });
  const signal = () => new AbortController().signal;

  test("a read is answered with the registry's own text and structuredContent", async () => {
    const reg = registry();
    const { lane, client } = await initializedLane(reg);
    const answer = (await lane(call("proxmox_get_resource", { vmid: 100 }), signal())) as Answer;
    const direct = await reg.call("proxmox_get_resource", { vmid: 100 });
    expect(answer.content[0]?.text).toBe(direct.text);
    expect(answer.structuredContent).toEqual(direct.structured);
    await client.close();
  });

  test("before the client initialized, the lane leaves every call to the SDK", () => {
    const reg = registry();
    expect(readLane(createMcpServer(reg), reg)(call("proxmox_get_resource", { vmid: 100 }), signal())).toBeUndefined();
  });

  test("a write is never the lane's, even with confirm: the SDK's handler and its gates take it", async () => {
    const { lane, client } = await initializedLane(registry());
    sim().resetLog();
    expect(lane(call("proxmox_start_resource", { vmid: 101, confirm: true }), signal())).toBeUndefined();
    expect(lane(call("proxmox_api", { method: "POST", path: "/nodes/pve1/qemu/101/status/start", confirm: true }), signal())).toBeUndefined();
    expect(sim().requests).toEqual([]);
    await client.close();
  });

  test("a task-augmented read, an unknown tool and other methods are left to the SDK", async () => {
    const { lane, client } = await initializedLane(registry());
    expect(lane(call("proxmox_get_resource", { vmid: 100 }, { task: { ttl: 60000 } }), signal())).toBeUndefined();
    expect(lane(call("proxmox_no_such_tool", {}), signal())).toBeUndefined();
    expect(lane({ jsonrpc: "2.0", id: 2, method: "tools/list" }, signal())).toBeUndefined();
    await client.close();
  });

  test("a tool a token's ceiling left unregistered is not served by the lane", async () => {
    const { lane, client } = await initializedLane(registry(), { maxTier: () => 1 });
    expect(lane(call("proxmox_start_resource", { vmid: 101 }), signal())).toBeUndefined();
    await client.close();
  });

  test("the caller's signal reaches the requests to Proxmox: an aborted call answers cancelled", async () => {
    const { lane, client } = await initializedLane(registry());
    const controller = new AbortController();
    controller.abort();
    const answer = (await lane(call("proxmox_get_resource", { vmid: 100, node: "pve1", type: "qemu" }), controller.signal)) as Answer;
    expect(answer.isError).toBe(true);
    expect(answer.content[0]?.text).toContain("cancelled");
    await client.close();
  });
});
