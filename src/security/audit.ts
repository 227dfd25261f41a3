// Every write attempt, allowed or refused, becomes one JSON line: on stderr, or appended
// to PROXMOX_AUDIT_LOG. Arguments are masked (credential-named keys at any depth, then the
// redactor) and bounded (depth, items, keys, string length), so any call, however large or
// deep its arguments, leaves one short line; writing it never throws.
import { appendFileSync } from "node:fs";
import { clipText } from "../format/text.ts";
import type { Logger } from "../log.ts";
import { chainTail, GENESIS, seal } from "./audit-chain.ts";
import type { Redactor } from "./redactor.ts";

export interface AuditRecord {
  tool: string;
  args: Record<string, unknown>;
  /** approved: the plan passed every gate (and the person), its writes are about to leave. */
  decision: "allowed" | "refused" | "approved";
  reason?: string;
  upid?: string;
  outcome: string;
  /** The write requests an approved plan names ("POST /nodes/pve1/qemu/101/status/stop"). */
  requests?: string[];
  /** The cluster the call acts on (as the caller named it, when this server serves none by that name). */
  instance?: string;
  /** Who asked, when the transport knows (OAuth). */
  actor?: { subject: string; clientId?: string };
}

export type Audit = (record: AuditRecord) => void;

/** Argument names that are credentials, at any depth: their values are never recorded. */
export const SECRET_ARG = /password|passwd|secret|token|private[-_]?key|credential/i;
const MASK = "[REDACTED]";
const MAX_DEPTH = 6;
const MAX_ITEMS = 20;
const MAX_KEYS = 40;
const MAX_STRING = 200;
const MAX_KEY = 64;
/** Values recorded per call, in all; the rest is summarised. */
const MAX_NODES = 400;
const MAX_REASON = 500;

/**
 * Arguments as an audit line may hold them: credential-named keys masked at every depth,
 * strings masked by `redactor` before they are cut, and everything bounded with a mark of
 * what was left out.
 */
export function auditArgs(args: unknown, redactor?: Redactor): Record<string, unknown> {
  let budget = MAX_NODES;
  const str = (s: string, max: number) => clipText(redactor ? redactor.redact(s) : s, max);
  const walk = (value: unknown, depth: number): unknown => {
    if (--budget < 0) return "[not recorded: too many values]";
    if (typeof value === "string") return str(value, MAX_STRING);
    if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
    if (value === null || typeof value === "boolean") return value;
    if (value === undefined) return null;
    if (typeof value !== "object") return str(String(value), MAX_STRING);
    if (depth >= MAX_DEPTH) return `[not recorded: nested deeper than ${MAX_DEPTH} levels]`;
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ITEMS).map((item) => walk(item, depth + 1));
      if (value.length > MAX_ITEMS) items.push(`[… ${value.length - MAX_ITEMS} more items]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    const entries = Object.entries(value);
    for (const [key, item] of entries.slice(0, MAX_KEYS)) {
      // Defined, not assigned: a "__proto__" key is data here.
      Object.defineProperty(out, str(key, MAX_KEY), { value: SECRET_ARG.test(key) ? MASK : walk(item, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    if (entries.length > MAX_KEYS) out["…"] = `${entries.length - MAX_KEYS} more keys`;
    return out;
  };
  const result = walk(args, 0);
  return result !== null && typeof result === "object" && !Array.isArray(result) ? (result as Record<string, unknown>) : { value: result };
}

/** With `key`, every line is sealed into a hash chain (audit-chain.ts), continuing the file's. */
export function createAudit(redactor: Redactor, log: Logger, file?: string, key?: string): Audit {
  const chain = key ? (file ? chainTail(file) : { seq: 0, prev: GENESIS }) : undefined;
  return (record) => {
    let redacted: string;
    try {
      // Security: bounded and masked here as well, whatever the caller passed.
      const safe = { ...record, instance: record.instance === undefined ? undefined : clipText(record.instance, MAX_KEY), args: auditArgs(record.args, redactor), reason: record.reason === undefined ? undefined : clipText(record.reason, MAX_REASON) };
      redacted = redactor.redact(JSON.stringify({ time: new Date().toISOString(), audit: true, ...safe }));
    } catch (error) {
      // Never lose the record: the tool and decision are always written.
      redacted = redactor.redact(JSON.stringify({ time: new Date().toISOString(), audit: true, tool: record.tool, decision: record.decision, outcome: record.outcome, args: "[not recorded: could not be serialised]", error: String(error).slice(0, 200) }));
    }
    // Sealed after redaction: the mac covers exactly the bytes written.
    const line = key && chain ? seal(redacted, key, chain) : redacted;
    if (file) {
      try {
        appendFileSync(file, `${line}\n`, { mode: 0o600 });
        return;
      } catch (error) {
        log.error(`cannot append to PROXMOX_AUDIT_LOG; writing the audit record to stderr instead`, { error: String(error) });
      }
    }
    log.raw(line);
  };
}
