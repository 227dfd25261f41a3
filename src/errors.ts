// One error family for everything a tool call can fail with. `message` is safe to show a
// model (it still passes through the redactor); `hint` says what would be right; `code`
// is stable for programs. Causes are kept for stderr debugging, never shown to the model.

export type ErrorCode =
  | "invalid_input"
  | "write_gate"
  | "refused"
  | "not_found"
  | "pve_auth"
  | "pve_permission"
  | "pve_bad_request"
  | "pve_error"
  | "pve_unreachable"
  | "timeout"
  | "bad_response"
  | "tls"
  | "network"
  | "cancelled"
  | "internal";

export class ProxmoxMcpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** What the model reads: the message, then what to do about it. */
  describe(): string {
    return this.hint ? `${this.message}\nHint: ${this.hint}` : this.message;
  }
}

/** Arguments that do not fit the tool's schema (or a PVE format), found before any request. */
export class InputError extends ProxmoxMcpError {
  constructor(message: string, hint?: string) {
    super("invalid_input", message, hint);
  }
}

/** A write refused by its tier's gates; thrown before any request, including look-ups. */
export class WriteGateError extends ProxmoxMcpError {
  constructor(
    message: string,
    readonly missing: string[],
    hint?: string,
  ) {
    super("write_gate", message, hint);
  }
}

/** A request the server refuses on the admin's policy or because PVE would refuse it anyway. */
export class RefusedError extends ProxmoxMcpError {
  constructor(message: string, hint?: string) {
    super("refused", message, hint);
  }
}

export class NotFoundError extends ProxmoxMcpError {
  constructor(message: string, hint?: string) {
    super("not_found", message, hint);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof ProxmoxMcpError) return error.describe();
  return "Internal error in proxmox-mcp; details were logged to stderr.";
}
