// `proxmox-mcp serve --http [host:]port`: MCP over Streamable HTTP on Bun.serve, stateless
// so several processes can sit behind a load balancer. Off loopback it refuses to start
// without a bearer token; Host and Origin are checked against an allowlist.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createMcpHandler, hostHeaderValidationResponse, localhostAllowedHostnames, localhostAllowedOrigins, originValidationResponse } from "@modelcontextprotocol/server";
import type { Logger } from "./log.ts";
import type { Redactor } from "./security/redactor.ts";
import { createMcpServer } from "./server.ts";
import type { ToolRegistry } from "./tools/registry.ts";
import { VERSION } from "./version.ts";

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token clients must send; required off loopback. */
  token?: string;
  /** Extra Host/Origin hostnames to accept besides the bind address (reverse proxies). */
  allowedHosts: string[];
}

export interface HttpServer {
  url: string;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** "8080", "127.0.0.1:8080", "[::1]:8080" → host and port. */
export function parseListen(spec: string): { host: string; port: number } | { problem: string } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535) return { problem: `--http takes [host:]port, e.g. 8080 or 127.0.0.1:8080 (got ${JSON.stringify(spec)})` };
  return { host: (m[1] ?? "127.0.0.1").replace(/^\[|\]$/g, ""), port };
}

/** The HTTP token from PROXMOX_MCP_HTTP_TOKEN or PROXMOX_MCP_HTTP_TOKEN_FILE. */
export function httpToken(env: Record<string, string | undefined>): string | undefined {
  if (env.PROXMOX_MCP_HTTP_TOKEN_FILE?.trim()) return readFileSync(env.PROXMOX_MCP_HTTP_TOKEN_FILE.trim(), "utf8").trim() || undefined;
  return env.PROXMOX_MCP_HTTP_TOKEN?.trim() || undefined;
}

/** Compares digests so neither the token's length nor its content leaks through timing. */
function tokenMatches(expected: string, header: string | null): boolean {
  const given = header?.startsWith("Bearer ") ? header.slice(7).trim() : "";
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

export function startHttpServer(registry: ToolRegistry, options: HttpOptions, log: Logger, redactor: Redactor): HttpServer {
  if (!isLoopback(options.host) && !options.token) {
    throw new Error(`Refusing to serve MCP on ${options.host} without authentication: set PROXMOX_MCP_HTTP_TOKEN (or PROXMOX_MCP_HTTP_TOKEN_FILE), or bind to 127.0.0.1.`);
  }
  if (options.token) redactor.register(options.token);
  const handler = createMcpHandler(() => createMcpServer(registry), { onerror: (error) => log.debug(`http: ${error.message}`) });
  const hostnames = [...localhostAllowedHostnames(), ...(isLoopback(options.host) ? [] : [options.host]), ...options.allowedHosts];
  const origins = [...localhostAllowedOrigins(), ...options.allowedHosts];

  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // Long tool calls (a task wait of up to 600 s) must not be cut by Bun's 10 s default.
    idleTimeout: 255,
    async fetch(request, srv) {
      const url = new URL(request.url);
      if (url.pathname === "/healthz" && request.method === "GET") {
        return Response.json({ status: "ok", name: "proxmox-mcp", version: VERSION });
      }
      if (url.pathname !== "/mcp") return new Response("Not found. The MCP endpoint is /mcp.\n", { status: 404 });
      // Security: DNS-rebinding protection before anything else looks at the request.
      const rejected = hostHeaderValidationResponse(request, hostnames) ?? originValidationResponse(request, origins);
      if (rejected) return rejected;
      if (options.token && !tokenMatches(options.token, request.headers.get("authorization"))) {
        return new Response(JSON.stringify({ error: "unauthorized", message: "Send Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN>." }), {
          status: 401,
          headers: { "Content-Type": "application/json", "WWW-Authenticate": 'Bearer realm="proxmox-mcp"' },
        });
      }
      srv.timeout(request, 0);
      const response = await handler.fetch(request);
      // The last guard on a plain JSON answer; streamed (SSE) frames were redacted at the source.
      if (response.headers.get("content-type")?.includes("application/json")) {
        const text = await response.text();
        return new Response(redactor.redact(text), { status: response.status, statusText: response.statusText, headers: response.headers });
      }
      return response;
    },
  });
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${server.port}/mcp`;
  log.info(`proxmox-mcp ${VERSION} serving MCP over Streamable HTTP at ${url}${options.token ? " (bearer token required)" : " (loopback only, no token)"}`);
  return {
    url,
    stop: async () => {
      await handler.close?.();
      server.stop(true);
    },
  };
}
