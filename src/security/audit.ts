// Every write attempt, allowed or refused, becomes one JSON line: on stderr, or appended
// to PROXMOX_AUDIT_LOG. Arguments pass through the redactor like everything else.
import { appendFileSync } from "node:fs";
import type { Logger } from "../log.ts";
import type { Redactor } from "./redactor.ts";

export interface AuditRecord {
  tool: string;
  args: Record<string, unknown>;
  decision: "allowed" | "refused";
  reason?: string;
  upid?: string;
  outcome: string;
  /** The person behind the call (OAuth subject and client; "http-token" for the static token). */
  actor?: { subject: string; clientId?: string };
}

export type Audit = (record: AuditRecord) => void;

export function createAudit(redactor: Redactor, log: Logger, file?: string): Audit {
  return (record) => {
    const line = redactor.redact(JSON.stringify({ time: new Date().toISOString(), audit: true, ...record }));
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
