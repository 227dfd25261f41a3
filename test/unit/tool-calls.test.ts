// tools/call routes (src/mcp/tool-calls.ts): a read answers straight from the callback the
// registry registered, past the SDK's re-checks; everything else keeps the SDK's handler.
// What must stay true on the short path: the same answer, the same ceiling, no write.
import { describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
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
