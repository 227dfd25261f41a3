// The only code that talks to Proxmox. It builds URLs from checked, encoded segments,
// authenticates with the API token, applies TLS settings and timeouts, unwraps PVE's
// {"data": …} envelope and turns every failure into a typed PveError.
import { readFileSync } from "node:fs";
import type { TlsConfig } from "../config/env.ts";
import { clipText } from "../format/text.ts";
import type { Logger } from "../log.ts";
import { errorFromResponse, PveError, tlsHint } from "./errors.ts";
import { createPinnedFetch } from "./pinned-fetch.ts";

export type Method = "GET" | "POST" | "PUT" | "DELETE";
export type ParamValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Params = Record<string, ParamValue>;

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface Envelope<T> {
  data: T;
  total?: number;
}

export interface RetryPolicy {
  /** Total tries for a read (1 = no retry). Writes are never retried. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface PveClientOptions {
  baseUrl: string;
  tokenId: string;
  tokenSecret: string;
  timeoutMs: number;
  tls: TlsConfig;
  logger: Logger;
  retry?: RetryPolicy;
  fetchImpl?: typeof fetch;
  /**
   * Masks secrets in what PVE answers, before any tool shortens a value (a secret cut in
   * half by a 300-character clip is harder to recognise). Applied after parsing: JSON may
   * spell the secret with escapes ("\u002d" for "-") that the raw text does not show.
   */
  redactor?: { redact(text: string): string; redactParsed<T>(value: T, text: string): T };
}

const RETRYABLE_STATUS = new Set([502, 503, 504, 595]);
/**
 * The longest string an answer may hold (PVE's longest, a description, is 8 KiB). Longer
 * ones are cut with a mark, so one hostile field (a 2 MB OS name) cannot fill an answer.
 */
export const MAX_PVE_STRING = 64 * 1024;
const LARGE_BODY = 512 * 1024;

let collectionPending = false;
/** One full collection soon after large answers are done with, not one per answer. */
function scheduleCollection(): void {
  if (collectionPending || typeof Bun === "undefined") return;
  collectionPending = true;
  setImmediate(() => {
    collectionPending = false;
    Bun.gc(true);
    // And hand the freed heap back (deprecated in bun-types, with no successor; optional):
    // without it the high-water mark of a 10,000-guest cluster's server rose by about 12 MiB
    // over a few rounds of list calls (bench/scale.ts, 9 rounds: 96–98 → 84–86 MiB).
    (Bun as { shrink?: () => void }).shrink?.();
  });
}
const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };

export class PveClient {
  /** Requests sent (tries included); for diagnostics and tests. */
  requestCount = 0;
  private readonly authHeader: string;
  private readonly tlsOptions: Record<string, unknown> | undefined;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;

  /** The token this client authenticates as (its id only: never the secret). */
  get tokenId(): string {
    return this.options.tokenId;
  }

  constructor(private readonly options: PveClientOptions) {
    this.authHeader = `PVEAPIToken=${options.tokenId}=${options.tokenSecret}`;
    this.tlsOptions = buildTlsOptions(options.tls);
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.fetchImpl = options.fetchImpl ?? (options.tls.fingerprint && options.baseUrl.startsWith("https:") ? createPinnedFetch(options.tls.fingerprint) : fetch);
  }

  get<T>(segments: PathSegments, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>("GET", segments, params, opts).then((e) => e.data);
  }

  /** A GET whose answer must be a JSON object; `{"data": null}` or a list is a bad answer. */
  async getObject<T extends object>(segments: PathSegments, params?: Params, opts?: RequestOptions): Promise<T> {
    const data = await this.get<unknown>(segments, params, opts);
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      const path = buildPath(segments);
      throw new PveError("bad_response", `GET ${path} answered without the object Proxmox always sends (got ${data === null ? "null" : Array.isArray(data) ? "a list" : typeof data}).`, "A proxy or a broken node may be answering; try again, and check the node with proxmox_status.", {
        method: "GET",
        path,
        mayHaveReachedPve: false,
      });
    }
    return data as T;
  }

  post<T>(segments: PathSegments, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>("POST", segments, params, opts).then((e) => e.data);
  }

  put<T>(segments: PathSegments, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>("PUT", segments, params, opts).then((e) => e.data);
  }

  delete<T>(segments: PathSegments, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>("DELETE", segments, params, opts).then((e) => e.data);
  }

  /** The whole envelope, for the few calls whose `total` matters (task log). */
  async request<T>(method: Method, segments: PathSegments, params: Params = {}, opts: RequestOptions = {}): Promise<Envelope<T>> {
    const path = buildPath(segments);
    // Writes are never retried: a duplicate create or backup is worse than an error.
    const attempts = method === "GET" ? Math.max(1, this.retry.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, params, opts);
      } catch (error) {
        const retryable =
          error instanceof PveError &&
          attempt < attempts &&
          !opts.signal?.aborted &&
          (error.code === "network" || RETRYABLE_STATUS.has(error.details.status ?? 0)) &&
          !afterProxyTimeout(error);
        if (!retryable) throw error;
        const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        const jittered = delay / 2 + Math.random() * (delay / 2);
        this.options.logger.debug(`retrying ${method} ${path} after ${error.code} (try ${attempt + 1} of ${attempts})`);
        await sleep(jittered, opts.signal);
      }
    }
  }

  private async once<T>(method: Method, path: string, params: Params, opts: RequestOptions): Promise<Envelope<T>> {
    const { baseUrl, logger } = this.options;
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs;
    // Most reads carry no parameters: no URLSearchParams is built for them.
    const encoded = hasAny(params) ? encodeParams(params).toString() : "";
    let url = `${baseUrl}/api2/json${path}`;
    const init: RequestInit & { tls?: Record<string, unknown> } = {
      method,
      headers: { Authorization: this.authHeader, Accept: "application/json" },
      redirect: "manual",
    };
    if (method === "GET" || method === "DELETE") {
      if (encoded) url += `?${encoded}`;
    } else {
      init.body = encoded;
      (init.headers as Record<string, string>)["Content-Type"] = "application/x-www-form-urlencoded";
    }
    if (this.tlsOptions) init.tls = this.tlsOptions;
    const deadline = requestSignal(opts.signal, timeoutMs);
    init.signal = deadline.signal;

    const started = performance.now();
    this.requestCount++;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, init);
      text = await response.text();
    } catch (error) {
      throw this.transportError(method, path, error, opts.signal, deadline.timedOut(), timeoutMs);
    } finally {
      deadline.done();
    }
    logger.debug(`${method} ${path} → ${response.status} in ${Math.round(performance.now() - started)} ms`);

    let body = parseJson(text);
    // Security: mask the parsed answer, whose strings are what tools see and cut; the raw
    // text is kept only for the non-JSON case, and masked as well.
    const { redactor } = this.options;
    if (redactor) {
      if (body !== undefined) body = redactor.redactParsed(body, text);
      else text = redactor.redact(text);
    }
    // Security: after masking, so a cut cannot split a secret the mask would have caught.
    if (body !== undefined && text.length > MAX_PVE_STRING) body = boundStrings(body, 0);
    // A big cluster's inventory is megabytes of JSON; JSC collects lazily, so without a
    // nudge each such answer adds its garbage to the peak memory of a long-lived server.
    if (text.length > LARGE_BODY) scheduleCollection();
    if (response.status < 200 || response.status >= 300) {
      const obj = isRecord(body) ? body : undefined;
      const message = typeof obj?.message === "string" ? obj.message : response.statusText || undefined;
      const errors = isRecord(obj?.errors) ? stringRecord(obj.errors) : undefined;
      if (!obj && text && looksLikeHtml(text)) {
        throw new PveError(
          "bad_response",
          `${method} ${path} got an HTML page (HTTP ${response.status}) instead of Proxmox's JSON API.`,
          "A reverse proxy or login page is answering. Check that PROXMOX_URL points at the PVE API (usually https://host:8006).",
          { status: response.status, method, path, mayHaveReachedPve: method !== "GET" },
        );
      }
      const error = errorFromResponse(method, path, response.status, message, errors, this.options.tokenId);
      error.details.elapsedMs = Math.round(performance.now() - started);
      throw error;
    }
    if (!isRecord(body) || !("data" in body)) {
      const what = text.trim() === "" ? "an empty body" : looksLikeHtml(text) ? "an HTML page" : body === undefined ? "malformed or truncated JSON" : "JSON without Proxmox's {\"data\": …} envelope";
      throw new PveError(
        "bad_response",
        `${method} ${path} got ${what} (HTTP ${response.status}) instead of Proxmox's JSON answer.`,
        "Check that PROXMOX_URL points at the PVE API and not at a proxy or another service; if it does, the connection may have been cut mid-answer, so try again.",
        { status: response.status, method, path, mayHaveReachedPve: true },
      );
    }
    const total = typeof body.total === "number" ? body.total : undefined;
    return { data: body.data as T, total };
  }

  private transportError(method: Method, path: string, error: unknown, caller: AbortSignal | undefined, timedOut: boolean, timeoutMs: number): PveError {
    const write = method !== "GET";
    const reached = write ? " The request may have reached Proxmox: check with proxmox_recent_tasks before repeating it." : "";
    if (caller?.aborted) {
      return new PveError("cancelled", `${method} ${path} was cancelled.${reached}`, undefined, { method, path, mayHaveReachedPve: write }, { cause: error });
    }
    if (timedOut) {
      return new PveError(
        "timeout",
        `${method} ${path} got no answer within ${timeoutMs} ms.${reached}`,
        "The node may be hung or overloaded. Raise PROXMOX_TIMEOUT_MS if the cluster is just slow.",
        { method, path, mayHaveReachedPve: write },
        { cause: error },
      );
    }
    const code = String((error as { code?: unknown })?.code ?? "");
    const message = error instanceof Error ? error.message : String(error);
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME|FINGERPRINT/i.test(`${code} ${message}`)) {
      const pinned = /FINGERPRINT/i.test(message) ? ` ${message}` : "";
      return new PveError(
        "tls",
        `TLS verification of ${this.options.baseUrl} failed (${code || "certificate rejected"}).${pinned}`,
        tlsHint(),
        { method, path, mayHaveReachedPve: false },
        { cause: error },
      );
    }
    const refused = /refused|ENOTFOUND|EAI_|DNS|FailedToOpenSocket|unreachable/i.test(`${code} ${message}`);
    return new PveError(
      "network",
      `Could not reach Proxmox at ${this.options.baseUrl} (${code || message}).${refused ? "" : reached}`,
      "Check PROXMOX_URL (host and port, usually 8006), DNS, and that this machine can reach the node.",
      { method, path, mayHaveReachedPve: write && !refused },
      { cause: error },
    );
  }
}

/**
 * One request's signal: the caller's, and a timeout that covers the answer's body too and is
 * cleared once the body is in (AbortSignal.timeout's timer would stay pending for the whole
 * timeout after every request, and AbortSignal.any costs more than the request's own set-up).
 */
function requestSignal(caller: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; timedOut(): boolean; done(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError"));
  }, timeoutMs);
  timer.unref?.();
  const onAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) onAbort();
  else caller?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onAbort);
    },
  };
}

export type PathSegments = readonly (string | number)[];

/** Characters a path segment may hold as they are (RFC 3986 unreserved). */
const UNRESERVED = /^[A-Za-z0-9._~-]+$/;

/** "/nodes/pve1/qemu/100": each segment checked, then percent-encoded. */
export function buildPath(segments: PathSegments): string {
  return segments
    .map((segment) => {
      const text = String(segment);
      // Nearly every segment ("nodes", "pve1", "qemu", "100") is unreserved and needs no encoding.
      if (text.length <= 512 && UNRESERVED.test(text) && text !== "." && text !== "..") return `/${text}`;
      // Security: the tools validate formats first; this is the last guard before a URL.
      if (text === "" || text === "." || text === ".." || /[\u0000-\u001f\u007f]/.test(text) || text.length > 512) {
        throw new PveError("invalid_input", `Refusing an unsafe path segment for Proxmox: ${JSON.stringify(text.slice(0, 40))}.`, undefined, {
          method: "-",
          path: "-",
          mayHaveReachedPve: false,
        });
      }
      if (!text.isWellFormed()) {
        throw new PveError("invalid_input", "Refusing a path segment with malformed Unicode (a lone surrogate).", undefined, { method: "-", path: "-", mayHaveReachedPve: false });
      }
      return `/${encodeURIComponent(text)}`;
    })
    .join("");
}

function hasAny(params: Params): boolean {
  for (const _key in params) return true;
  return false;
}

/** PVE wants booleans as 0/1 and arrays as repeated keys; undefined is left out. */
export function encodeParams(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) out.append(key, String(item));
    } else if (typeof value === "boolean") {
      out.append(key, value ? "1" : "0");
    } else {
      out.append(key, String(value));
    }
  }
  return out;
}

function buildTlsOptions(tls: TlsConfig): Record<string, unknown> | undefined {
  // A pinned certificate is checked by createPinnedFetch on its own socket.
  if (tls.fingerprint) return undefined;
  if (tls.caFile) return { ca: readFileSync(tls.caFile, "utf8") };
  if (tls.insecure) return { rejectUnauthorized: false };
  return undefined;
}

/**
 * A 595 that pveproxy sent after waiting out its connection to a dead node (about 30 s, or
 * "Connection timed out"): asking again waits as long again, for the same answer.
 */
const PROXY_WAIT_MS = 2000;
function afterProxyTimeout(error: PveError): boolean {
  return error.details.status === 595 && ((error.details.elapsedMs ?? 0) >= PROXY_WAIT_MS || /timed out/i.test(error.message));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Cuts over-long strings (and keys) of a freshly parsed answer in place: a large answer
 * with nothing to cut (an inventory of 10,000 guests) is not copied whole.
 */
function boundStrings(value: unknown, depth: number): unknown {
  if (typeof value === "string") return value.length > MAX_PVE_STRING ? clipText(value, MAX_PVE_STRING) : value;
  if (depth > 64 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bounded = boundStrings(value[i], depth + 1);
      if (bounded !== value[i]) value[i] = bounded;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const bounded = boundStrings(item, depth + 1);
    const longKey = key.length > 256;
    if (bounded === item && !longKey) continue;
    if (longKey) delete record[key];
    // Defined, not assigned: a "__proto__" key from JSON is data, not a prototype.
    Object.defineProperty(record, longKey ? clipText(key, 256) : key, { value: bounded, enumerable: true, writable: true, configurable: true });
  }
  return record;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*<(!doctype|html|head|body)/i.test(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringRecord(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
