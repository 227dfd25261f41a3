// MCP logging: the server's log lines (already redacted by src/log.ts) also go to the MCP
// clients that asked for them, as notifications/message; stderr keeps getting every line.
// A 2025-11-25 client asks with logging/setLevel (per connection); a 2026-07-28 client
// puts a log level in each request's _meta, so it gets the lines made while that request
// runs. A client that never asked gets nothing.
import { AsyncLocalStorage } from "node:async_hooks";
import type { McpServer } from "@modelcontextprotocol/server";
import type { LogLevel } from "../log.ts";

/** RFC 5424 severities as MCP names them, lowest first. */
const MCP_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const;
type McpLevel = (typeof MCP_LEVELS)[number];
const TO_MCP: Record<LogLevel, McpLevel> = { debug: "debug", info: "info", warn: "warning", error: "error" };
const LOGGER = "proxmox-mcp";
/** A log line is bounded on the wire as on stderr: one line, at most this many characters. */
const MAX_LINE = 2000;

interface RequestScope {
  server: McpServer;
  log?: (level: McpLevel, data: unknown, logger?: string) => Promise<void>;
  modern: boolean;
}

export class LogHub {
  /** Connections whose client set a level with logging/setLevel, and that level. */
  private readonly levels = new Map<McpServer, number>();
  private readonly scope = new AsyncLocalStorage<RequestScope>();

  /** Installs logging/setLevel on one SDK server (the capability is declared by the caller). */
  attach(server: McpServer): void {
    server.server.setRequestHandler("logging/setLevel", async (request) => {
      const index = MCP_LEVELS.indexOf(request.params.level as McpLevel);
      if (index >= 0) this.levels.set(server, index);
      return {};
    });
    const previous = server.server.onclose;
    server.server.onclose = () => {
      this.levels.delete(server);
      previous?.();
    };
  }

  /** Runs one request's work so the log lines it makes reach the client that sent it. */
  run<T>(server: McpServer, ctx: { mcpReq: { log?: RequestScope["log"]; envelope?: Record<string, unknown> } }, work: () => Promise<T>): Promise<T> {
    return this.scope.run({ server, log: ctx.mcpReq.log, modern: ctx.mcpReq.envelope !== undefined }, work);
  }

  /** True when some client would take a line at this level (lets the logger skip formatting). */
  wants(level: LogLevel): boolean {
    if (this.scope.getStore()?.modern) return true;
    const severity = MCP_LEVELS.indexOf(TO_MCP[level]);
    for (const threshold of this.levels.values()) if (severity >= threshold) return true;
    return false;
  }

  /** Called by the logger with each line, already redacted. */
  readonly tap = (level: LogLevel, line: string): void => {
    const mcpLevel = TO_MCP[level];
    const severity = MCP_LEVELS.indexOf(mcpLevel);
    const data = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
    const current = this.scope.getStore();
    // 2026-07-28: the SDK compares with the level the request carried and sends nothing without one.
    if (current?.modern) {
      current.log?.(mcpLevel, data, LOGGER).catch(() => {});
      return;
    }
    for (const [server, threshold] of this.levels) {
      if (severity < threshold || !server.isConnected()) continue;
      server.server.notification({ method: "notifications/message", params: { level: mcpLevel, logger: LOGGER, data } }).catch(() => {});
    }
  };
}

export const logHub = new LogHub();
