// A keyed hash chain over audit lines. Each line carries its sequence number, the MAC of the
// line before it, and its own MAC: HMAC-SHA256, keyed with a secret the admin holds
// (PROXMOX_AUDIT_KEY or PROXMOX_AUDIT_KEY_FILE). Without the key nobody can alter, drop or
// reorder a line and repair the chain; `proxmox-mcp audit verify FILE` finds the first break.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export const GENESIS = "0".repeat(64);
export const MIN_KEY_LENGTH = 32;

export interface ChainState {
  seq: number;
  prev: string;
}

const SEALED = /^(\{.*),"mac":"([0-9a-f]{64})"\}$/;

// HMAC with Bun's hasher: node:crypto costs every start about 2.5 ms to load, for a chain
// most servers never seal. `audit verify` loads it for its constant-time comparison.
function mac(key: string, body: string): string {
  return new Bun.CryptoHasher("sha256", key).update(body).digest("hex");
}

/** Adds seq, prev and mac to one JSON object line, advancing the chain. */
export function seal(line: string, key: string, state: ChainState): string {
  const seq = state.seq + 1;
  const body = `${line.slice(0, -1)},"seq":${seq},"prev":"${state.prev}"}`;
  const tag = mac(key, body);
  state.seq = seq;
  state.prev = tag;
  return `${body.slice(0, -1)},"mac":"${tag}"}`;
}

/**
 * Where an existing log's chain ends, so a restarted process continues it. Reads only the
 * file's last 64 KiB; a log that ends in an unsealed line starts a new chain.
 */
export function chainTail(file: string): ChainState {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return { seq: 0, prev: GENESIS };
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 65536);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const last = buffer.toString("utf8").trimEnd().split("\n").at(-1) ?? "";
    const sealed = SEALED.exec(last);
    const seq = sealed ? Number(/"seq":(\d+),"prev":"[0-9a-f]{64}"$/.exec(sealed[1] as string)?.[1]) : Number.NaN;
    return sealed && Number.isSafeInteger(seq) ? { seq, prev: sealed[2] as string } : { seq: 0, prev: GENESIS };
  } finally {
    closeSync(fd);
  }
}

export interface VerifyResult {
  ok: boolean;
  /** Sealed audit records checked. */
  records: number;
  /** The first break: 1-based line number in the file and what is wrong. */
  problem?: { line: number; message: string };
  /** Lines where a new chain began (a process started with an empty or unsealed log). */
  restarts: number[];
  last?: ChainState;
}

/**
 * Checks every audit line of a log (other lines, e.g. ordinary stderr logging, are skipped).
 * Reports the first line that was altered, or where lines were removed or reordered.
 * Removing lines from the very end cannot be seen from the file alone: compare the last
 * seq and mac it prints with a copy kept elsewhere.
 */
export function verifyChain(text: string, key: string): VerifyResult {
  const lines = text.split("\n");
  const restarts: number[] = [];
  let state: ChainState | undefined;
  let records = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? "";
    const lineNo = i + 1;
    if (!line.startsWith("{") || !line.includes('"audit":true')) continue;
    const sealed = SEALED.exec(line);
    if (!sealed) {
      // Records from before the key was set are not chained; once chained, every record must be.
      if (state) return { ok: false, records, restarts, problem: { line: lineNo, message: "an audit record without a mac inside the chain: inserted, or altered to drop its seal" } };
      continue;
    }
    const body = `${sealed[1]}}`;
    const expected = Buffer.from(mac(key, body), "hex");
    if (!process.getBuiltinModule("node:crypto").timingSafeEqual(expected, Buffer.from(sealed[2] as string, "hex"))) {
      return { ok: false, records, restarts, problem: { line: lineNo, message: "altered: its mac does not match its content (or it was sealed with another key)" } };
    }
    const link = /"seq":(\d+),"prev":"([0-9a-f]{64})"$/.exec(sealed[1] as string);
    const seq = Number(link?.[1]);
    const prev = link?.[2] as string;
    records++;
    if (seq === 1 && prev === GENESIS) {
      if (state) restarts.push(lineNo);
    } else if (!state) {
      return { ok: false, records, restarts, problem: { line: lineNo, message: `the chain starts at seq ${seq}: the ${seq - 1} record(s) before it were removed` } };
    } else if (seq <= state.seq) {
      return { ok: false, records, restarts, problem: { line: lineNo, message: `reordered: seq ${seq} comes after seq ${state.seq}` } };
    } else if (seq > state.seq + 1) {
      // The missing record further down means the lines were moved, not dropped.
      const want = state.seq + 1;
      const later = lines.findIndex((l, j) => j > i && new RegExp(`"seq":${want},"prev":"[0-9a-f]{64}","mac":`).test(l));
      if (later >= 0) return { ok: false, records, restarts, problem: { line: lineNo, message: `reordered: seq ${seq} comes where seq ${want} belongs (seq ${want} is at line ${later + 1})` } };
      return { ok: false, records, restarts, problem: { line: lineNo, message: `removed: seq ${want}${seq - 1 > want ? `–${seq - 1}` : ""} missing before this record (seq ${seq})` } };
    } else if (prev !== state.prev) {
      return { ok: false, records, restarts, problem: { line: lineNo, message: "removed or replaced: its prev does not match the mac of the record before it" } };
    }
    state = { seq, prev: sealed[2] as string };
  }
  return { ok: true, records, restarts, last: state };
}

/** PROXMOX_AUDIT_KEY or PROXMOX_AUDIT_KEY_FILE (a regular file of at most 4 KiB). */
export function auditKeyFrom(env: Record<string, string | undefined>): { key?: string; problem?: string } {
  const file = env.PROXMOX_AUDIT_KEY_FILE?.trim();
  let key = env.PROXMOX_AUDIT_KEY?.trim();
  if (file) {
    try {
      // Non-blocking: a FIFO must not hang start-up.
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const stat = fstatSync(fd);
        if (!stat.isFile() || stat.size > 4096) return { problem: `PROXMOX_AUDIT_KEY_FILE: ${file} must be a regular file of at most 4 KiB.` };
        const buffer = Buffer.alloc(stat.size);
        readSync(fd, buffer, 0, stat.size, 0);
        key = buffer.toString("utf8").trim();
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      return { problem: `PROXMOX_AUDIT_KEY_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}).` };
    }
  }
  if (!key) return {};
  if (key.length < MIN_KEY_LENGTH) return { problem: `PROXMOX_AUDIT_KEY must be at least ${MIN_KEY_LENGTH} characters (e.g. openssl rand -hex 32).` };
  return { key };
}
