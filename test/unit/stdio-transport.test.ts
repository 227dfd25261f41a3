// The stdio transport (src/mcp/stdio-transport.ts) over in-memory pipes: one masked line per
// message out, one message per line in, backpressure honoured, junk dropped and reported.
import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { StdioTransport } from "../../src/mcp/stdio-transport.ts";
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
