// Logs go to stderr only (stdout carries JSON-RPC), one line each, through the redactor.
import type { Redactor } from "./security/redactor.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Writes a pre-built line (audit records) through the same redaction. */
  raw(line: string): void;
}

/** Where log lines go besides stderr: MCP clients that asked for them (src/mcp/logging.ts). */
export interface LogTap {
  wants(level: LogLevel): boolean;
  tap(level: LogLevel, redactedLine: string): void;
}

export function createLogger(
  redactor: Redactor,
  level: LogLevel = "info",
  write: (line: string) => void = (line) => process.stderr.write(line),
  tap?: LogTap,
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  let tapping = false;
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    const toStderr = LOG_LEVELS.indexOf(lvl) >= threshold;
    // Not while a line is being sent: a failure sending it must not log itself in a loop.
    const toClients = tap !== undefined && !tapping && tap.wants(lvl);
    if (!toStderr && !toClients) return;
    let line = `proxmox-mcp ${lvl}: ${message}`;
    if (fields && Object.keys(fields).length > 0) line += ` ${safeJson(fields)}`;
    const redacted = redactor.redact(line);
    if (toStderr) write(`${redacted}\n`);
    if (toClients) {
      tapping = true;
      try {
        tap.tap(lvl, redacted);
      } finally {
        tapping = false;
      }
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    raw: (line) => write(`${redactor.redact(line)}\n`),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return "[unserialisable]";
  }
}
