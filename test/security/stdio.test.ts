// The stdio transport with a client that misbehaves: lines that are not JSON, JSON that is
// not JSON-RPC, unknown methods, a line over the 10 MiB limit, and stdin closing. The server
// must keep serving (an oversized line gets a JSON-RPC error), never print a stack trace,
// and exit with code 0 when stdin closes. Raw bytes on the binary's stdin.
import { describe, expect, test } from "bun:test";
import { envFor } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { type RawServer, SECRET, spawnRaw } from "./support.ts";

const sim = useSimulator({ tokenSecret: SECRET });
const T = 30_000;
const STACK_FRAME = /^\s+at\s+\S/m;

function start(): RawServer {
  return spawnRaw(envFor(sim(), { PROXMOX_LOG_LEVEL: "debug" }));
}

/** Ends the session and returns the exit code. */
async function finish(server: RawServer): Promise<number> {
  await server.closeStdin();
  return server.exited;
}

/** The server still answers a real request. */
async function expectServing(server: RawServer): Promise<void> {
  const answer = await server.request("tools/list");
  expect((answer.result as { tools?: unknown[] } | undefined)?.tools?.length).toBeGreaterThan(0);
}

/** What a misbehaving client must never cause: a stack trace, a crash report, a non-JSON stdout line. */
function expectNoCrashSigns(server: RawServer): void {
  expect(server.stderr()).not.toMatch(STACK_FRAME);
  expect(server.stderr()).not.toContain("Bun v");
  expect(server.stderr()).not.toContain("unhandled");
  expect(server.lines().filter((l) => l.unparsed !== undefined)).toEqual([]);
}

describe("a client that sends garbage", () => {
  test("lines that are not JSON are ignored and the server keeps answering", async () => {
    const server = start();
    await server.initialize();
    for (const line of ["hello world", "{not json", "}", "'single quotes'", "\u0000\u0001\u0002", "\t\t", "\r", "NaN", "undefined", "{\"jsonrpc\": \"2.0\", \"id\": 1,"]) {
      expect(await server.write(`${line}\n`)).toBe(true);
    }
    expect(await server.write(new Uint8Array([0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a]))).toBe(true);
    await expectServing(server);
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);

  test("JSON that is not JSON-RPC is dropped without an answer and the server keeps answering", async () => {
    const server = start();
    await server.initialize();
    const notRpc = [
      "[1,2,3]",
      "[]",
      '"just a string"',
      "42",
      "null",
      "true",
      '{"foo": "bar"}',
      '{"jsonrpc": "2.0", "id": 901}',
      '{"jsonrpc": "1.0", "id": 902, "method": "tools/list"}',
      '{"jsonrpc": "2.0", "id": {"nested": 1}, "method": "tools/list"}',
      '{"jsonrpc": "2.0", "id": 903, "method": 17}',
      '{"jsonrpc": "2.0", "id": 904, "method": "tools/call", "params": "not an object"}',
      `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
      '{"__proto__": {"polluted": true}, "jsonrpc": "2.0", "method": "notifications/initialized"}',
    ];
    for (const line of notRpc) expect(await server.write(`${line}\n`)).toBe(true);
    await expectServing(server);
    const answeredIds = server.lines().map((l) => l.id);
    for (const id of [901, 902, 903]) expect(answeredIds).not.toContain(id);
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);

  test("an unknown method gets JSON-RPC error -32601 and the server keeps answering", async () => {
    const server = start();
    await server.initialize();
    const answer = await server.request("no/such/method", { x: 1 });
    expect(answer.error?.code).toBe(-32601);
    expect(answer.result).toBeUndefined();
    await expectServing(server);
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);

  test("a tool call before initialize is answered (or refused) without a crash", async () => {
    const server = start();
    const answer = await server.request("tools/call", { name: "proxmox_status", arguments: {} });
    expect(answer.result !== undefined || answer.error !== undefined).toBe(true);
    await server.initialize();
    await expectServing(server);
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);

  test("a 12 MB line (over the 10 MiB limit) is answered with a JSON-RPC error naming the limit, and the session goes on", async () => {
    const server = start();
    await server.initialize();
    const chunk = "a".repeat(1024 * 1024);
    // Chunked, so the test notices when the server stops reading instead of filling a pipe.
    let open = await server.write('{"jsonrpc":"2.0","id":50,"method":"tools/call","params":{"name":"proxmox_status","arguments":{"x":"');
    for (let i = 0; i < 12 && open; i++) open = await server.write(chunk);
    if (open) open = await server.write('"}}}\n');
    expect(open).toBe(true);
    // The dropped request gets its error, under its own id; then the server keeps serving.
    await expectServing(server);
    const answer = server.lines().find((l) => l.id === 50);
    expect(answer?.error?.code).toBe(-32600);
    expect(answer?.error?.message).toContain("10 MiB");
    expect(answer?.result).toBeUndefined();
    expect(server.exitCode()).toBeNull();
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);

  test("an oversized line whose id comes after its params is answered with id null, and the next request on the same pipe is served", async () => {
    const server = start();
    await server.initialize();
    let open = await server.write('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"proxmox_status","arguments":{"x":"');
    for (let i = 0; i < 11 && open; i++) open = await server.write("b".repeat(1024 * 1024));
    // The end of the big line and a whole next request, in one write.
    if (open) open = await server.write(`"}},"id":51}\n${JSON.stringify({ jsonrpc: "2.0", id: 52, method: "tools/list" })}\n`);
    expect(open).toBe(true);
    await expectServing(server);
    expect(server.lines().find((l) => l.id === null && l.error)?.error?.code).toBe(-32600);
    expect((server.lines().find((l) => l.id === 52)?.result as { tools?: unknown[] } | undefined)?.tools?.length).toBeGreaterThan(0);
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);

  test("a 9 MB line (under the buffer) is answered as a tool error naming the unknown parameter", async () => {
    const server = start();
    await server.initialize();
    const big = "a".repeat(9 * 1024 * 1024);
    const answer = await server.request("tools/call", { name: "proxmox_status", arguments: { x: big } }, 20_000);
    const result = answer.result as { isError?: boolean; content?: { text?: string }[] };
    expect(result.isError).toBe(true);
    expect(result.content?.[0]?.text).toContain("unknown parameter 'x'");
    expect((result.content?.[0]?.text ?? "").length).toBeLessThan(2_000);
    await expectServing(server);
    expect(await finish(server)).toBe(0);
    expectNoCrashSigns(server);
  }, T);
});

describe("a client that goes away", () => {
  test("closing stdin right after garbage exits with code 0 and stdout holds only JSON-RPC", async () => {
    const server = start();
    await server.initialize();
    await server.write("garbage\n[1]\n{}\n");
    expect(await finish(server)).toBe(0);
    expect(server.lines().length).toBeGreaterThan(0);
    for (const line of server.lines()) expect(line.jsonrpc).toBe("2.0");
    expectNoCrashSigns(server);
  }, T);

  test("closing stdin with a slow call in flight exits with code 0", async () => {
    sim().injectFault({ path: "/cluster/resources", fault: { kind: "latency", delayMs: 1_500 } });
    const server = start();
    await server.initialize();
    await server.send({ jsonrpc: "2.0", id: 60, method: "tools/call", params: { name: "proxmox_list_vms", arguments: {} } });
    await Bun.sleep(100);
    const started = performance.now();
    expect(await finish(server)).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    expectNoCrashSigns(server);
  }, T);

  test("closing stdin before initialize exits with code 0", async () => {
    const server = start();
    expect(await finish(server)).toBe(0);
    expect(server.stderr()).not.toMatch(STACK_FRAME);
  }, T);
});
