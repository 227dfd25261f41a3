// `proxmox-mcp serve --http [host:]port`: MCP over Streamable HTTP on Bun.serve, stateless
// so several processes can sit behind a load balancer. Off loopback it refuses to start
// without a bearer token; Host and Origin are checked against an allowlist.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { createMcpHandler, hostHeaderValidationResponse, localhostAllowedHostnames, localhostAllowedOrigins, originValidationResponse } from "@modelcontextprotocol/server";
import { HttpAuth, type Principal } from "./auth/http-auth.ts";
import { isLoopback } from "./auth/loopback.ts";
import type { OAuthConfig } from "./auth/oauth.ts";
import type { Logger } from "./log.ts";
import { isLegacyRevision, withLegacyErrorCodes } from "./mcp/errors.ts";
import type { Redactor } from "./security/redactor.ts";
import { createMcpServer } from "./server.ts";
import type { ToolRegistry } from "./tools/registry.ts";
import { VERSION } from "./version.ts";

export interface HttpOptions {
  host: string;
  port: number;
  /** Static bearer token clients may send (one-person set-ups). */
  token?: string;
  /** OAuth resource-server settings (a team: per-person tokens and scopes). */
  oauth?: OAuthConfig;
  /** Extra Host/Origin hostnames to accept besides the bind address (reverse proxies). */
  allowedHosts: string[];
}

export interface HttpServer {
  url: string;
  stop(): Promise<void>;
}

export { isLoopback };

/** "8080", "127.0.0.1:8080", "[::1]:8080" → host and port. */
export function parseListen(spec: string): { host: string; port: number } | { problem: string } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535) return { problem: `--http takes [host:]port, e.g. 8080 or 127.0.0.1:8080 (got ${JSON.stringify(spec)})` };
  return { host: (m[1] ?? "127.0.0.1").replace(/^\[|\]$/g, ""), port };
}

/** Off loopback a bearer token must be at least this long: 32 characters of a random token carry well over 128 bits. */
export const MIN_TOKEN_LENGTH = 32;
const MAX_TOKEN_FILE_BYTES = 4096;

/**
 * The HTTP token from PROXMOX_MCP_HTTP_TOKEN or PROXMOX_MCP_HTTP_TOKEN_FILE. The file must
 * be a regular file of at most 4 KiB (a device or FIFO would hang start-up); one that
 * group or others can read is a warning, since anyone who reads it can call every tool.
 */
export function httpToken(env: Record<string, string | undefined>, warn: (message: string) => void = () => {}): string | undefined {
  const file = env.PROXMOX_MCP_HTTP_TOKEN_FILE?.trim();
  if (file) return readSecretFile(file, "PROXMOX_MCP_HTTP_TOKEN_FILE", warn).trim() || undefined;
  return env.PROXMOX_MCP_HTTP_TOKEN?.trim() || undefined;
}

/** Reads a small secret file, refusing anything but a regular file and warning when others may read it. */
export function readSecretFile(path: string, variable: string, warn: (message: string) => void): string {
  let fd: number;
  try {
    // Security: open first, then check the opened file, so the check and the read see the same
    // file; non-blocking, or opening a FIFO would wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(`${variable}: cannot open ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${variable}: ${path} is not a regular file; point it at a file holding the secret.`);
    if (stat.size > MAX_TOKEN_FILE_BYTES) throw new Error(`${variable}: ${path} is ${stat.size} bytes; a secret file holds at most ${MAX_TOKEN_FILE_BYTES}.`);
    // A group-readable file is fine when the group is this process's own (a Kubernetes secret with fsGroup).
    const groupIsOurs = typeof process.getgid === "function" && stat.gid === process.getgid();
    if (stat.mode & 0o004 || (stat.mode & 0o040 && !groupIsOurs)) warn(`${variable}: ${path} is readable by ${stat.mode & 0o004 ? "every user" : "its group"} (mode ${(stat.mode & 0o777).toString(8)}); anyone who reads it can use this server. Run chmod 600 ${path}.`);
    const buffer = Buffer.alloc(stat.size);
    const read = stat.size ? readSync(fd, buffer, 0, stat.size, 0) : 0;
    return buffer.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

export function startHttpServer(registry: ToolRegistry, options: HttpOptions, log: Logger, redactor: Redactor): HttpServer {
  if (!isLoopback(options.host) && !options.token && !options.oauth) {
    throw new Error(`Refusing to serve MCP on ${options.host} without authentication: set PROXMOX_MCP_HTTP_TOKEN (or PROXMOX_MCP_HTTP_TOKEN_FILE) or PROXMOX_MCP_OAUTH_ISSUER with PROXMOX_MCP_OAUTH_RESOURCE, or bind to 127.0.0.1.`);
  }
  // Security: off loopback a short token can be guessed; a random 32-character one cannot.
  if (!isLoopback(options.host) && options.token && options.token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`Refusing to serve MCP on ${options.host}: the HTTP token is ${options.token.length} characters; off loopback it must be at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 32).`);
  }
  if (options.token) redactor.register(options.token);
  const auth = new HttpAuth({ token: options.token, oauth: options.oauth }, registry.instanceNames, log);
  // Fetch the authorization server's metadata now, so a wrong issuer shows at start-up.
  auth.verifier?.warmUp().catch((error) => log.warn(`oauth: ${error instanceof Error ? error.message : String(error)}; tokens are refused with 503 until it answers`));
  // One server per request, built for that request's principal: its tools/list shows only
  // what the token may use, and its calls carry the token's ceiling and the person's name.
  const handler = createMcpHandler((ctx) => createMcpServer(registry, (ctx.authInfo?.extra as { principal?: Principal } | undefined)?.principal), { onerror: (error) => log.debug(`http: ${error.message}`) });
  // The OAuth resource URI is this server's own public name: clients reach it by that Host.
  const resourceHost = options.oauth ? [new URL(options.oauth.resource).hostname] : [];
  const hostnames = [...localhostAllowedHostnames(), ...(isLoopback(options.host) ? [] : [options.host]), ...options.allowedHosts, ...resourceHost];
  const origins = [...localhostAllowedOrigins(), ...options.allowedHosts, ...resourceHost];

  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // Long tool calls (a task wait of up to 600 s) must not be cut by Bun's 10 s default.
    idleTimeout: 255,
    // Security: never Bun's development error page (stack, working folder, source) to a client.
    development: false,
    error(error) {
      log.error("http: request failed", { error: redactor.redact(error instanceof Error ? (error.stack ?? error.message) : String(error)) });
      return plain(500, "Internal error.");
    },
    async fetch(request, srv) {
      // A malformed Host header makes request.url unparsable: a short fixed answer, nothing more.
      const url = URL.parse(request.url);
      if (!url) return plain(400, "Bad request: the Host header is not a valid host name.");
      if (url.pathname === "/healthz" && request.method === "GET") {
        return Response.json({ status: "ok", name: "proxmox-mcp", version: VERSION });
      }
      const metadata = request.method === "GET" ? auth.metadata(url.pathname) : undefined;
      if (metadata) return metadata;
      // Without OAuth, a client that tries OAuth discovery (after our 401) learns why it failed.
      if (!options.oauth && OAUTH_PATHS.test(url.pathname)) return plain(404, "This server does not use OAuth: send Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN> (set it as a header in your MCP client's config).");
      if (url.pathname !== "/mcp") return plain(404, "Not found. The MCP endpoint is /mcp.");
      // Security: DNS-rebinding protection before anything else looks at the request.
      const rejected = hostHeaderValidationResponse(request, hostnames) ?? originValidationResponse(request, origins);
      // The SDK's answer echoes the attacker's Host; ours is fixed.
      if (rejected) return plain(rejected.status, "Forbidden: this Host or Origin is not allowed here (an allowed name can be added with PROXMOX_MCP_ALLOWED_HOSTS).");
      const authenticated = await auth.authenticate(request);
      if ("response" in authenticated) return authenticated.response;
      const { principal } = authenticated;
      srv.timeout(request, 0);
      const authInfo = { token: "", clientId: principal.actor?.clientId ?? principal.actor?.subject ?? "", scopes: [], ...authenticated.authInfo, extra: { principal } };
      const response = await handler.fetch(request, { authInfo });
      // The last guard on a plain JSON answer; streamed (SSE) frames were redacted at the source.
      if (response.headers.get("content-type")?.includes("application/json")) {
        let text = redactor.redact(await response.text());
        // A 2025-era client gets the error codes its revision names (src/mcp/errors.ts).
        if (isLegacyRevision(request.headers.get("mcp-protocol-version")) && text.includes("-32602")) text = legacyCodes(text);
        return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
      }
      return response;
    },
  });
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${server.port}/mcp`;
  log.info(`proxmox-mcp ${VERSION} serving MCP over Streamable HTTP at ${url} (${auth.describe()})`);
  return {
    url,
    stop: async () => {
      await handler.close?.();
      server.stop(true);
    },
  };
}

const OAUTH_PATHS = /^\/(\.well-known\/(oauth-protected-resource|oauth-authorization-server|openid-configuration)(\/.*)?|register|authorize|token)$/;

/** Every HTTP error this server makes is one short, fixed line. */
function plain(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

function legacyCodes(text: string): string {
  try {
    return JSON.stringify(withLegacyErrorCodes(JSON.parse(text)));
  } catch {
    return text;
  }
}
