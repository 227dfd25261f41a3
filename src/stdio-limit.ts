// Stdio reads one JSON-RPC message per line. The SDK's transport closes the whole session
// when one line outgrows its buffer, so one oversized message (a pasted file, a runaway
// argument) would end the session for everything else. This splitter, fed stdin's chunks by
// src/mcp/stdio-transport.ts, hands on complete lines up to MAX_LINE_BYTES, drops a longer
// line while it streams in (never holding more than the limit), and reports it so it is
// answered with a JSON-RPC error naming the limit. The session goes on.

/** The largest message accepted on stdin, in bytes (newline excluded). */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;
/** How much of a dropped line is kept, to find its id. */
const HEAD_BYTES = 4096;
const NEWLINE = 0x0a;

export interface LineSplitter {
  /** Takes the next chunk of input; calls onLine for every line it completes. */
  push(chunk: Buffer): void;
}

/**
 * Splits input into lines. `onOversized` gets the id of each dropped request (null when it
 * cannot be told: a JSON-RPC error then carries id null, as the spec says). A last line
 * without its newline is never a whole message, and is not handed on.
 */
export function splitLines(onLine: (line: Buffer) => void, onOversized: (id: string | number | null, bytes: number) => void, maxBytes = MAX_LINE_BYTES): LineSplitter {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropping = false;
  let dropped = 0;
  let head: Buffer = Buffer.alloc(0);

  const keepHead = (chunk: Buffer) => {
    if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
  };

  const take = (segment: Buffer) => {
    if (dropping) {
      dropped += segment.length;
      return;
    }
    if (pendingBytes + segment.length > maxBytes) {
      // Security: the line will not fit; stop holding it, keep only its start to find its id.
      dropping = true;
      for (const part of pending) keepHead(part);
      keepHead(segment);
      dropped = pendingBytes + segment.length;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(segment);
    pendingBytes += segment.length;
  };

  const endLine = () => {
    if (dropping) {
      onOversized(requestId(head.toString("utf8")), dropped);
      dropping = false;
      dropped = 0;
      head = Buffer.alloc(0);
      return;
    }
    const line = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    onLine(line);
  };

  return {
    push(chunk) {
      let data = chunk;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE)) {
        take(data.subarray(0, nl));
        endLine();
        data = data.subarray(nl + 1);
      }
      if (data.length > 0) take(data);
    },
  };
}

/**
 * The top-level id of a request, read from the start of its line; null when the line does
 * not start like a request whose id comes before its params.
 */
export function requestId(head: string): string | number | null {
  const beforeParams = head.split(/"params"\s*:/)[0] ?? "";
  const m = /"id"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d{1,16})\s*[,}]/.exec(beforeParams);
  if (!m?.[1]) return null;
  try {
    const id = JSON.parse(m[1]) as unknown;
    return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}
