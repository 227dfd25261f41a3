// Every write attempt, allowed or refused, becomes one JSON line: on stderr, or appended
// to PROXMOX_AUDIT_LOG. Arguments pass through the redactor like everything else.
import { appendFileSync } from "node:fs";
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
  /** The cluster the call acts on. */
  instance?: string;
  /** Who asked, when the transport knows (OAuth). */
  actor?: { subject: string; clientId?: string };
}

export type Audit = (record: AuditRecord) => void;

/** With `key`, every line is sealed into a hash chain (audit-chain.ts), continuing the file's. */
export function createAudit(redactor: Redactor, log: Logger, file?: string, key?: string): Audit {
  const chain = key ? (file ? chainTail(file) : { seq: 0, prev: GENESIS }) : undefined;
  return (record) => {
    const redacted = redactor.redact(JSON.stringify({ time: new Date().toISOString(), audit: true, ...record }));
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
