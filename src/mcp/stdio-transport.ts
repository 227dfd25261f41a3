// MCP's stdio binding: one JSON-RPC message per line each way. This replaces the SDK's
// StdioServerTransport (and the filter and wrapper that sat around it) because stdout is
// where the server's bytes leave the process:
//  - every outgoing message is serialized once and masked from that text by the redactor,
//    the last guard for anything (an SDK error text, a validation message) that did not pass
//    through a tool; checking the object first and letting the SDK serialize it after made
//    two serializations of every answer;
//  - one oversized line is answered with an error and dropped while it streams in (the SDK's
//    transport closes the whole session), src/stdio-limit.ts;
//  - a line that is not JSON is skipped, as the SDK's transport does; one that is JSON but no
//    JSON-RPC message is logged and dropped; the rest is handed on as it is, and the SDK's
//    Protocol checks each message's kind with its own schemas;
//  - a 2025-era answer gets the error codes of its revision (src/mcp/errors.ts);
//  - a lane (src/mcp/tool-calls.ts readLane) may answer a request before the SDK sees it;
//    this transport then owns that request: it answers it, and a cancellation aborts it.
import type { JSONRPCMessage, Transport, TransportSendOptions } from "@modelcontextprotocol/server";
import type { Redactor } from "../security/redactor.ts";
import { MAX_LINE_BYTES, splitLines } from "../stdio-limit.ts";
import { isLegacyRevision, withLegacyErrorCodes } from "./errors.ts";
import type { CallLane, WireRequest } from "./tool-calls.ts";

export interface StdioTransportOptions {
  redactor: Redactor;
  /** A dropped oversized line: the transport answers it; this is for the log. */
  onOversized?: (bytes: number) => void;
  maxLineBytes?: number;
  /** After the session closed (stdin ended): the SDK owns onclose, this is the process's. */
  onClosed?: () => void;
}

export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  private closed = false;
  private started = false;
  /** The client speaks a 2025-era revision (it initialized); a 2026-era client discovers instead. */
  private legacy = false;
  private readonly lines;
  private lane: CallLane | undefined;
  /** Requests a lane took and has not answered yet, to abort on cancellation or close. */
  private readonly laneCalls = new Map<string | number, AbortController>();

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly options: StdioTransportOptions,
  ) {
    const maxBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.lines = splitLines(
      (line) => this.deliver(line),
      (id, size) => {
        options.onOversized?.(size);
        const error = { jsonrpc: "2.0" as const, id, error: { code: -32600, message: `Message too large: ${size} bytes in one line, over the ${maxBytes}-byte (${Math.round(maxBytes / 1024 / 1024)} MiB) limit; it was dropped and not run. Send smaller arguments.` } };
        this.send(error as unknown as JSONRPCMessage).catch(() => {});
      },
      maxBytes,
    );
  }

  /** Lets `lane` answer the requests it takes from now on; undefined hands all to the SDK again. */
  useLane(lane: CallLane | undefined): void {
    this.lane = lane;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("the stdio transport is already started");
    this.started = true;
    this.input.on("data", this.onData);
    this.input.on("error", this.onInputError);
    this.input.on("end", this.onEnd);
    this.input.on("close", this.onEnd);
    this.output.on("error", this.onOutputError);
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the stdio transport is closed"));
    // The revision the initialize answer settled on (a 2026-era client never initializes).
    const initialized = (message as { result?: { protocolVersion?: unknown; serverInfo?: unknown } }).result;
    if (initialized?.serverInfo !== undefined && typeof initialized.protocolVersion === "string") this.legacy = isLegacyRevision(initialized.protocolVersion);
    let line: string;
    try {
      line = `${this.options.redactor.serialize(this.legacy ? withLegacyErrorCodes(message) : message)}\n`;
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.output.write(line)) return Promise.resolve();
    // Backpressure: the client reads slower than we answer; wait until the pipe drains.
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        this.output.off("drain", done);
        this.output.off("error", done);
        if (error) reject(error);
        else resolve();
      };
      this.output.once("drain", done);
      this.output.once("error", done);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("error", this.onInputError);
    this.input.off("end", this.onEnd);
    this.input.off("close", this.onEnd);
    // Late write failures (the client already gone) are expected now: keep swallowing them.
    this.output.off("error", this.onOutputError);
    this.output.on("error", () => {});
    this.input.pause?.();
    for (const controller of this.laneCalls.values()) controller.abort(new Error("the stdio session closed"));
    this.laneCalls.clear();
    this.onclose?.();
    this.options.onClosed?.();
  }

  private deliver(line: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(line.toString("utf8"));
    } catch {
      return; // not JSON: skipped, the session goes on
    }
    if (!isJsonRpcMessage(message)) {
      // The log line shows what came (clipped; the logger masks secrets in it).
      this.onerror?.(new Error(`dropped a line that is JSON but not a JSON-RPC 2.0 message: ${clipped(line.toString("utf8"))}`));
      return;
    }
    if (this.lane && this.takenByLane(message as Record<string, unknown>, this.lane)) return;
    try {
      this.onmessage?.(message as JSONRPCMessage);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** True when the message was the lane's: a request it answers, or the cancellation of one. */
  private takenByLane(message: Record<string, unknown>, lane: CallLane): boolean {
    const params = message.params as Record<string, unknown> | undefined;
    if (message.method === "notifications/cancelled" && !("id" in message)) {
      const id = params?.requestId;
      if (typeof id !== "string" && typeof id !== "number") return false;
      const controller = this.laneCalls.get(id);
      if (!controller) return false;
      // Cancelled: abort its requests to Proxmox and send no answer (as the SDK does).
      this.laneCalls.delete(id);
      controller.abort(params?.reason);
      return true;
    }
    const id = message.id;
    if (typeof message.method !== "string" || (typeof id !== "string" && typeof id !== "number")) return false;
    if (params !== undefined && (params === null || typeof params !== "object" || Array.isArray(params))) return false;
    // An id still in flight is the SDK's to judge, as is every request the lane declines.
    if (this.laneCalls.has(id)) return false;
    const controller = new AbortController();
    const answer = lane(message as unknown as WireRequest, controller.signal);
    if (!answer) return false;
    this.laneCalls.set(id, controller);
    const settle = (reply: JSONRPCMessage) => {
      if (controller.signal.aborted) return;
      this.laneCalls.delete(id);
      this.send(reply).catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
    };
    answer.then(
      (result) => settle({ jsonrpc: "2.0", id, result } as JSONRPCMessage),
      (error: unknown) => {
        this.onerror?.(new Error(`a lane's call failed: ${error instanceof Error ? error.message : String(error)}`));
        settle({ jsonrpc: "2.0", id, error: { code: -32603, message: "Internal error" } } as JSONRPCMessage);
      },
    );
    return true;
  }

  private readonly onData = (chunk: Buffer | string) => this.lines.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  private readonly onEnd = () => {
    this.close().catch(() => {});
  };
  private readonly onInputError = (error: Error) => this.onerror?.(error);
  private readonly onOutputError = (error: Error) => {
    if (!this.closed) this.onerror?.(error);
  };
}

/** A request, a notification or a response, by its shape; the SDK checks the details. */
function isJsonRpcMessage(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return false;
  const id = message.id;
  const hasId = typeof id === "string" || typeof id === "number";
  if (typeof message.method === "string") return hasId || !("id" in message);
  return (hasId || id === null) && ("result" in message || "error" in message);
}

function clipped(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
