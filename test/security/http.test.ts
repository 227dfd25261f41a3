// Attacks on the HTTP transport itself, before any tool runs: malformed requests that used
// to get Bun's development error page, guessable tokens, and token files others can read.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { envFor, ROOT, runBinary } from "../helpers/harness.ts";
import { serveHttp as serve } from "../helpers/http-serve.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

const sim = useSimulator();
const TOKEN = "a3f1c9e27b5d4086a3f1c9e27b5d4086";
afterAll(removeScratchDirs);

/** Sends raw bytes (so the Host header can be anything) and returns the whole response. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(data));
    socket.write(request);
  });
}

function body(response: string): string {
  return response.slice(response.indexOf("\r\n\r\n") + 4);
}

describe("HTTP errors are short, fixed bodies", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN: TOKEN }));
  });
  afterAll(() => server?.proc.kill());

  for (const host of ["a b", "[", "%", ":::", "exa mple:99999", "x".repeat(300)]) {
    test(`a malformed Host header ${JSON.stringify(host.slice(0, 20))} gets a short 400, not a stack trace with the source`, async () => {
      const response = await raw(Number(server.url.port), `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      expect(response).toMatch(/^HTTP\/1\.1 4\d\d /);
      const text = body(response);
      expect(text.length).toBeLessThan(200);
      expect(text).not.toContain(ROOT);
      expect(text).not.toMatch(/\bat\s+\S+|TypeError|\.ts\b|<html/i);
    });
  }

  test("every other error path answers in a few bytes with no internals", async () => {
    const port = Number(server.url.port);
    const requests = [
      `GET /nope HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\nContent-Length: 9\r\n\r\n{"jsonrpc`,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`,
      `DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`,
    ];
    for (const request of requests) {
      const response = await raw(port, request);
      const text = body(response);
      expect(text.length).toBeLessThan(400);
      expect(text).not.toContain(ROOT);
      expect(text).not.toMatch(/\n\s+at\s+\S|<html/i);
    }
    expect(server.stderr()).not.toContain(TOKEN);
  });
});

describe("HTTP bearer tokens", () => {
  test("a 1-character token off loopback stops start-up, naming the minimum length", async () => {
    const run = await runBinary(["serve", "--http", "0.0.0.0:0"], envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN: "x" }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("at least 32");
  });

  test("a 31-character token off loopback stops start-up too", async () => {
    const run = await runBinary(["serve", "--http", "0.0.0.0:0"], envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN: TOKEN.slice(1) }));
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain(TOKEN.slice(1));
  });

  test("a token file readable by others is served with a warning naming the file and the fix", async () => {
    const file = join(scratchDir("http-token"), "token");
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, 0o644);
    const server = await serve(envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN_FILE: file }));
    try {
      expect(server.stderr()).toContain(`chmod 600 ${file}`);
      expect(server.stderr()).not.toContain(TOKEN);
    } finally {
      server.proc.kill();
    }
  });

  test("a token file only its owner can read gives no warning", async () => {
    const file = join(scratchDir("http-token"), "token");
    writeFileSync(file, TOKEN, { mode: 0o600 });
    const server = await serve(envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN_FILE: file }));
    try {
      expect(server.stderr()).not.toContain("readable by");
    } finally {
      server.proc.kill();
    }
  });

  test("a FIFO as the token file is refused at once instead of hanging start-up", async () => {
    const fifo = join(scratchDir("http-token"), "fifo");
    execFileSync("mkfifo", [fifo]);
    const run = await runBinary(["serve", "--http", "127.0.0.1:0"], envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN_FILE: fifo }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("not a regular file");
  });
});

describe("a static-token server and OAuth discovery", () => {
  test("a client that tries OAuth discovery after the 401 is told to send the static token", async () => {
    const server = await serve(envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN: TOKEN }));
    try {
      for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server", "/register"]) {
        const response = await fetch(new URL(path, server.url), { method: path === "/register" ? "POST" : "GET" });
        expect(response.status).toBe(404);
        expect(await response.text()).toContain("Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN>");
      }
    } finally {
      server.proc.kill();
    }
  });
});
