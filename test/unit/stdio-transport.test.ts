// The stdio transport (src/mcp/stdio-transport.ts) over in-memory pipes: one masked line per
// message out, one message per line in, backpressure honoured, junk dropped and reported.
import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { StdioTransport } from "../../src/mcp/stdio-transport.ts";
import type { CallLane } from "../../src/mcp/tool-calls.ts";
import { Redactor } from "../../src/security/redactor.ts";

const SECRET = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

function pipes(options: { maxLineBytes?: number; outHighWaterMark?: number } = {}) {
  const input = new PassThrough();
  const output = new PassThrough({ highWaterMark: options.outHighWaterMark ?? 16 * 1024 });
  const redactor = new Redactor();
  redactor.register(SECRET);
  const received: unknown[] = [];
  const errors: string[] = [];
  const transport = new StdioTransport(input, output, { redactor, maxLineBytes: options.maxLineBytes });
  transport.onmessage = (message) => received.push(message);
  transport.onerror = (error) => errors.push(error.message);
  const written = () => (output.read() as Buffer | null)?.toString("utf8") ?? "";
  return { input, output, transport, received, errors, written };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("the stdio transport", () => {
  test("an answer holding a registered secret leaves as one line with the secret masked", async () => {
    const { transport, written } = pipes();
    await transport.start();
    await transport.send({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: `token ${SECRET} in a guest note` }] } } as JSONRPCMessage);
    const out = written();
    expect(out.endsWith("\n")).toBe(true);
    expect(out.split("\n")).toHaveLength(2);
    expect(out).not.toContain(SECRET);
    expect(out).toContain("[REDACTED]");
    expect(JSON.parse(out).id).toBe(1);
  });

  test("messages split across chunks and several in one chunk are each delivered once", async () => {
    const { input, transport, received } = pipes();
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":1,"meth');
    input.write('od":"ping"}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await tick();
    expect(received).toEqual([
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "ping" },
    ]);
  });

  test("JSON that is no JSON-RPC message is reported and not delivered (the log masks it: test/security/secrets.test.ts)", async () => {
    const { input, transport, received, errors } = pipes();
    await transport.start();
    input.write(`{"jsonrpc":"2.0","id":7,"${SECRET}":1}\n[1,2]\nnot json at all\n`);
    await tick();
    expect(received).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("not a JSON-RPC 2.0 message");
  });

  test("an oversized line is answered with its id and not delivered; the next message is", async () => {
    const { input, transport, received, written } = pipes({ maxLineBytes: 64 });
    await transport.start();
    input.write(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"x":"${"a".repeat(200)}"}}\n{"jsonrpc":"2.0","id":43,"method":"ping"}\n`);
    await tick();
    expect(received).toEqual([{ jsonrpc: "2.0", id: 43, method: "ping" }]);
    const answer = JSON.parse(written().trim()) as { id: number; error: { code: number; message: string } };
    expect(answer.id).toBe(42);
    expect(answer.error.code).toBe(-32600);
    expect(answer.error.message).toContain("over the 64-byte");
  });

  test("a client that reads slowly holds a send until the pipe drains, and nothing is lost", async () => {
    const { output, transport } = pipes({ outHighWaterMark: 16 });
    await transport.start();
    let settled = false;
    const sent = transport.send({ jsonrpc: "2.0", id: 1, result: { text: "x".repeat(1000) } } as JSONRPCMessage).then(() => {
      settled = true;
    });
    await tick();
    expect(settled).toBe(false);
    const chunks: Buffer[] = [];
    output.on("data", (chunk: Buffer) => chunks.push(chunk));
    await sent;
    expect(JSON.parse(Buffer.concat(chunks).toString("utf8")).result.text).toHaveLength(1000);
  });

  test("stdin ending closes the session once", async () => {
    const { input, transport } = pipes();
    let closes = 0;
    transport.onclose = () => closes++;
    await transport.start();
    input.end();
    await tick();
    await transport.close();
    expect(closes).toBe(1);
    await expect(transport.send({ jsonrpc: "2.0", id: 1, result: {} } as JSONRPCMessage)).rejects.toThrow("closed");
  });
});

describe("a lane on the stdio transport", () => {
  /** A lane that takes every tools/call and holds it until released; the signals it got, by id. */
  function holdingLane() {
    const signals = new Map<string | number, AbortSignal>();
    const release = new Map<string | number, (result: unknown) => void>();
    const lane: CallLane = (request, signal) => {
      if (request.method !== "tools/call") return undefined;
      signals.set(request.id, signal);
      return new Promise((resolve) => release.set(request.id, resolve));
    };
    return { lane, signals, release };
  }
  const lines = (text: string) => text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

  test("a request the lane takes is answered by the transport and never reaches the SDK", async () => {
    const { input, transport, received, written } = pipes();
    const { lane, release } = holdingLane();
    transport.useLane(lane);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"proxmox_get_resource","arguments":{"vmid":100}}}\n');
    await tick();
    release.get(3)?.({ content: [{ type: "text", text: "VM 100" }] });
    await tick();
    expect(received).toEqual([]);
    expect(lines(written())).toEqual([{ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "VM 100" }] } }]);
  });

  test("a request the lane declines goes to the SDK as it came", async () => {
    const { input, transport, received, written } = pipes();
    transport.useLane(holdingLane().lane);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":4,"method":"ping"}\n');
    await tick();
    expect(received).toEqual([{ jsonrpc: "2.0", id: 4, method: "ping" }]);
    expect(written()).toBe("");
  });

  test("a lane's answer holding a registered secret leaves masked, like every other line", async () => {
    const { input, transport, written } = pipes();
    const { lane, release } = holdingLane();
    transport.useLane(lane);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"x"}}\n');
    await tick();
    release.get(5)?.({ content: [{ type: "text", text: `a note holding ${SECRET}` }] });
    await tick();
    const out = written();
    expect(out).not.toContain(SECRET);
    expect(out).toContain("[REDACTED]");
  });

  test("a client's cancellation aborts the lane's call and no answer is sent for it", async () => {
    const { input, transport, received, written } = pipes();
    const { lane, signals, release } = holdingLane();
    transport.useLane(lane);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}\n');
    await tick();
    input.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a","reason":"user stopped it"}}\n');
    await tick();
    expect(signals.get("a")?.aborted).toBe(true);
    release.get("a")?.({ content: [] });
    await tick();
    expect(written()).toBe("");
    // The cancellation was the lane's own: the SDK, which never saw the request, is not told.
    expect(received).toEqual([]);
  });

  test("a cancellation of a request the SDK holds still reaches the SDK", async () => {
    const { input, transport, received } = pipes();
    transport.useLane(holdingLane().lane);
    await transport.start();
    input.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}\n');
    await tick();
    expect(received).toEqual([{ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9 } }]);
  });

  test("a second request with the id of one still in the lane is left to the SDK", async () => {
    const { input, transport, received } = pipes();
    transport.useLane(holdingLane().lane);
    await transport.start();
    const call = '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x"}}\n';
    input.write(call + call);
    await tick();
    expect(received).toEqual([JSON.parse(call)]);
  });

  test("the session closing aborts the calls still in the lane", async () => {
    const { input, transport } = pipes();
    const { lane, signals } = holdingLane();
    transport.useLane(lane);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}\n');
    await tick();
    await transport.close();
    expect(signals.get(7)?.aborted).toBe(true);
  });
});
