// The compiled binary serving MCP over Streamable HTTP, driven by the SDK's HTTP client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { BINARY, envFor, runBinary } from "../helpers/harness.ts";
import { httpClient, type Served, serveHttp } from "../helpers/http-serve.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();
const TOKEN = "http-test-token-7c1e0f";

const serve = (extraEnv: Record<string, string> = {}) => serveHttp(envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN: TOKEN, ...extraEnv }));

const client = (url: URL | string, options: { token?: string; fetch?: typeof fetch; modern?: boolean } = {}) => httpClient(url, { token: options.token, fetch: options.fetch, era: options.modern ? "modern" : "legacy" });

let a: Served;
let b: Served;
beforeAll(async () => {
  [a, b] = await Promise.all([serve(), serve()]);
});
afterAll(() => {
  a?.proc.kill();
  b?.proc.kill();
});

describe("Streamable HTTP", () => {
  test("a 2025-11-25 client lists tools and calls one over HTTP", async () => {
    const c = await client(a.url, { token: TOKEN });
    try {
      expect((await c.listTools()).tools).toHaveLength(ALL_TOOLS.length);
      const result = (await c.callTool({ name: "proxmox_status", arguments: {} })) as { structuredContent?: { nodes?: unknown[] } };
      expect(result.structuredContent?.nodes?.length).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });

  test("a 2026-07-28 client works over HTTP too", async () => {
    const c = await client(a.url, { token: TOKEN, modern: true });
    try {
      const result = (await c.callTool({ name: "proxmox_list_vms", arguments: { limit: 2 } })) as { isError?: boolean };
      expect(result.isError).toBeFalsy();
    } finally {
      await c.close();
    }
  });

  test("stateless: requests alternating between two server processes all succeed", async () => {
    const bases = [new URL(a.url), new URL(b.url)];
    let turn = 0;
    const used = new Set<string>();
    const alternating = ((input: RequestInfo | URL, init?: RequestInit) => {
      const target = bases[turn++ % 2] as URL;
      used.add(target.port);
      const url = new URL(String(input instanceof Request ? input.url : input));
      url.port = target.port;
      return fetch(url, init);
    }) as typeof fetch;
    const c = await client(a.url, { token: TOKEN, fetch: alternating });
    try {
      for (let i = 0; i < 4; i++) expect(((await c.callTool({ name: "proxmox_list_containers", arguments: {} })) as { isError?: boolean }).isError).toBeFalsy();
      expect(used.size).toBe(2);
    } finally {
      await c.close();
    }
  });

  test("no token: 401, and no tool runs", async () => {
    sim().resetLog();
    const response = await fetch(a.url, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "proxmox_status", arguments: {} } }) });
    expect(response.status).toBe(401);
    expect(sim().requests).toHaveLength(0);
  });

  test("a wrong token: 401", async () => {
    const response = await fetch(a.url, { method: "POST", headers: { Authorization: "Bearer nope", "Content-Type": "application/json" }, body: "{}" });
    expect(response.status).toBe(401);
  });

  test("a foreign Host header is refused (DNS rebinding)", async () => {
    const response = await fetch(a.url, { method: "POST", headers: { Host: "evil.example", Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" }, body: "{}" });
    expect(response.status).toBe(403);
  });

  test("/healthz answers without auth and tells nothing secret", async () => {
    const response = await fetch(new URL("/healthz", a.url));
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text).status).toBe("ok");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(sim().tokenSecret);
    expect(text).not.toContain(sim().url);
  });

  test("the token never appears in the server's logs", () => {
    expect(a.stderr()).not.toContain(TOKEN);
  });

  test("binding off loopback without a token refuses to start", async () => {
    const env = envFor(sim());
    const run = await runBinary(["serve", "--http", "0.0.0.0:0"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_MCP_HTTP_TOKEN");
  });
});
