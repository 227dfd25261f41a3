// The server's configuration comes from the environment (an agent's MCP config sets it).
// Everything is checked at start-up and every problem is reported at once, naming the
// variable and what a valid value looks like, never echoing a secret's value.
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { LOG_LEVELS, type LogLevel } from "../log.ts";
import { parseToolsets } from "../tools/toolsets.ts";
import { parseVmidRanges, type VmidRanges } from "./ranges.ts";

export interface TlsConfig {
  /** Skip certificate verification entirely (self-signed homelab certificates). */
  insecure: boolean;
  /** PEM file with a CA to trust, e.g. the cluster's pve-root-ca.pem. */
  caFile?: string;
  /** SHA-256 fingerprint of the server certificate, upper-case hex pairs joined by ':'. */
  fingerprint?: string;
}

export interface Config {
  /** The instance's name: "default" for the one the environment defines. */
  name: string;
  /** Base URL without trailing slash and without /api2/json, e.g. https://pve.local:8006 */
  url: string;
  tokenId: string;
  tokenSecret: string;
  tls: TlsConfig;
  timeoutMs: number;
  logLevel: LogLevel;
  /** Tier 3 needs this exactly "1" in the server's environment: a model cannot set it. */
  destructiveEnabled: boolean;
  /** Admin ceiling: no write tool is listed or callable. */
  readOnly: boolean;
  allowedVmids?: VmidRanges;
  allowedNodes?: string[];
  protectedTags: string[];
  auditLog?: string;
  /** elicit: every write asks a person; off: tier 3 asks when the client can; never: the gates alone. */
  confirmWrites: "elicit" | "off" | "never";
  /** PROXMOX_TOOLSETS: the sets whose tools are listed (`default`, `all`, names); unset = default. */
  toolsets?: readonly string[];
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const TRUTHY = new Set(["true", "1", "yes"]);
const TOKEN_ID_RE = /^(([^\s:/]+)@([A-Za-z][A-Za-z0-9.\-_]+))!([A-Za-z][A-Za-z0-9.\-_]+)$/;
const FINGERPRINT_RE = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;

/** `true`/`1`/`yes` in any case; anything else (or unset) is off. */
export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.trim().toLowerCase());
}

const optionalText = v.optional(v.pipe(v.string(), v.trim()));

const EnvSchema = v.object({
  PROXMOX_URL: v.pipe(
    v.string("PROXMOX_URL is required, e.g. https://pve.example.local:8006"),
    v.trim(),
    v.nonEmpty("PROXMOX_URL is required, e.g. https://pve.example.local:8006"),
  ),
  PROXMOX_TOKEN_ID: v.pipe(
    v.string("PROXMOX_TOKEN_ID is required, e.g. root@pam!mcp (user@realm!tokenname)"),
    v.trim(),
    v.regex(TOKEN_ID_RE, "PROXMOX_TOKEN_ID must look like user@realm!tokenname, e.g. root@pam!mcp"),
  ),
  PROXMOX_TOKEN_SECRET: optionalText,
  PROXMOX_TOKEN_SECRET_FILE: optionalText,
  PROXMOX_TLS_INSECURE: v.optional(v.string()),
  PROXMOX_CA_FILE: optionalText,
  PROXMOX_TLS_FINGERPRINT: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(FINGERPRINT_RE, "PROXMOX_TLS_FINGERPRINT must be a SHA-256 fingerprint as PVE shows it: 32 hex pairs joined by ':', e.g. AB:CD:…:EF"),
    ),
  ),
  PROXMOX_TIMEOUT_MS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "PROXMOX_TIMEOUT_MS must be a whole number of milliseconds, e.g. 30000"),
      v.transform(Number),
      v.minValue(100, "PROXMOX_TIMEOUT_MS must be at least 100"),
      v.maxValue(600_000, "PROXMOX_TIMEOUT_MS must be at most 600000 (10 minutes)"),
    ),
    "30000",
  ),
  PROXMOX_LOG_LEVEL: v.optional(
    v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(LOG_LEVELS, `PROXMOX_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`)),
    "info",
  ),
  PROXMOX_ENABLE_DESTRUCTIVE: v.optional(v.string()),
  PROXMOX_READ_ONLY: v.optional(v.string()),
  PROXMOX_ALLOWED_VMIDS: optionalText,
  PROXMOX_ALLOWED_NODES: optionalText,
  PROXMOX_PROTECTED_TAGS: optionalText,
  PROXMOX_AUDIT_LOG: optionalText,
  PROXMOX_CONFIRM_WRITES: v.optional(v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(["elicit", "off", "never"], "PROXMOX_CONFIRM_WRITES must be elicit, off or never")), "off"),
});

/** Normalises PROXMOX_URL; returns a problem text instead when it is unusable. */
export function normaliseUrl(raw: string): { url: string } | { problem: string } {
  const example = "e.g. https://pve.example.local:8006";
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { problem: `PROXMOX_URL is not a URL (${example})` };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { problem: `PROXMOX_URL must start with https:// or http:// (${example})` };
  }
  if (parsed.username || parsed.password) {
    return { problem: "PROXMOX_URL must not carry a user or password; use PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET" };
  }
  if (parsed.search || parsed.hash) {
    return { problem: `PROXMOX_URL must not have a query or fragment (${example})` };
  }
  // URL drops a default port (443/80), so look at what was written: no port means PVE's 8006.
  const explicitPort = /^[a-z]+:\/\/(\[[^\]]*\]|[^/:?#]*)(:\d+)/i.exec(raw.trim())?.[2];
  const port = explicitPort ? explicitPort.slice(1) : "8006";
  const path = parsed.pathname.replace(/\/+$/, "").replace(/\/api2\/json$/, "");
  return { url: `${parsed.protocol}//${parsed.hostname.includes(":") && !parsed.hostname.startsWith("[") ? `[${parsed.hostname}]` : parsed.hostname}:${port}${path}` };
}

/**
 * An empty value, or one a launcher failed to fill in (Claude Desktop passes the literal
 * "${user_config.x}" for a blank optional field), means the variable is not set.
 */
function dropUnset(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === "" || /^\$\{[^}]*\}$/.test(value.trim())) continue;
    out[key] = value;
  }
  return out;
}

export function loadConfig(rawEnv: Record<string, string | undefined>): ConfigResult {
  const env = dropUnset(rawEnv);
  const problems: string[] = [];
  const parsed = v.safeParse(EnvSchema, env, { abortPipeEarly: true });
  if (!parsed.success) {
    for (const issue of parsed.issues) problems.push(issue.message);
    // Keep going with what we can check on our own, so every problem is listed at once.
  }
  const e = parsed.success ? parsed.output : undefined;

  let url = "";
  if (env.PROXMOX_URL?.trim()) {
    const result = normaliseUrl(env.PROXMOX_URL.trim());
    if ("problem" in result) problems.push(result.problem);
    else url = result.url;
  }

  let tokenSecret = env.PROXMOX_TOKEN_SECRET?.trim() ?? "";
  const secretFile = env.PROXMOX_TOKEN_SECRET_FILE?.trim();
  if (tokenSecret && secretFile) {
    problems.push("Set only one of PROXMOX_TOKEN_SECRET and PROXMOX_TOKEN_SECRET_FILE");
  } else if (secretFile) {
    try {
      tokenSecret = readFileSync(secretFile, "utf8").trim();
      // Security: the value is not echoed; a secret pasted here by mistake must not be printed.
      if (!tokenSecret) problems.push("PROXMOX_TOKEN_SECRET_FILE names an empty file");
      else if (/\s/.test(tokenSecret)) problems.push("PROXMOX_TOKEN_SECRET_FILE holds more than one line or spaces; it must hold only the secret");
    } catch {
      // A path is shown to help; anything without a separator may be a pasted secret.
      const shown = /[\\/]/.test(secretFile) ? ` (${secretFile})` : "";
      problems.push(`PROXMOX_TOKEN_SECRET_FILE${shown} cannot be read; give the path of a readable file holding only the secret`);
    }
  } else if (!tokenSecret) {
    problems.push("PROXMOX_TOKEN_SECRET is required (the UUID shown once when the API token was created), or PROXMOX_TOKEN_SECRET_FILE naming a file that holds it");
  } else if (/\s/.test(tokenSecret)) {
    problems.push("PROXMOX_TOKEN_SECRET must not contain spaces or line breaks");
  }

  const caFile = env.PROXMOX_CA_FILE?.trim() || undefined;
  if (caFile) {
    try {
      if (!readFileSync(caFile, "utf8").includes("-----BEGIN CERTIFICATE-----")) {
        problems.push(`PROXMOX_CA_FILE (${caFile}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      }
    } catch {
      problems.push(`PROXMOX_CA_FILE (${caFile}) cannot be read; give the path of a PEM file such as pve-root-ca.pem`);
    }
  }

  let allowedVmids: VmidRanges | undefined;
  if (env.PROXMOX_ALLOWED_VMIDS?.trim()) {
    const ranges = parseVmidRanges(env.PROXMOX_ALLOWED_VMIDS.trim());
    if ("problem" in ranges) problems.push(`PROXMOX_ALLOWED_VMIDS: ${ranges.problem}`);
    else allowedVmids = ranges;
  }
  const allowedNodes = splitList(env.PROXMOX_ALLOWED_NODES);
  for (const n of allowedNodes ?? []) {
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(n)) problems.push(`PROXMOX_ALLOWED_NODES: '${n}' is not a node name`);
  }
  const protectedTags = (splitList(env.PROXMOX_PROTECTED_TAGS) ?? []).map((t) => t.toLowerCase());
  const toolsets = parseToolsets(env.PROXMOX_TOOLSETS);
  if ("problem" in toolsets) problems.push(toolsets.problem);

  if (problems.length > 0 || !e) return { ok: false, problems: [...new Set(problems)] };
  return {
    ok: true,
    config: {
      name: "default",
      url,
      tokenId: e.PROXMOX_TOKEN_ID,
      tokenSecret,
      tls: { insecure: isTruthy(e.PROXMOX_TLS_INSECURE), caFile, fingerprint: e.PROXMOX_TLS_FINGERPRINT?.toUpperCase() },
      timeoutMs: Number(e.PROXMOX_TIMEOUT_MS),
      logLevel: e.PROXMOX_LOG_LEVEL as LogLevel,
      destructiveEnabled: env.PROXMOX_ENABLE_DESTRUCTIVE === "1",
      readOnly: isTruthy(e.PROXMOX_READ_ONLY),
      allowedVmids,
      allowedNodes,
      protectedTags,
      auditLog: e.PROXMOX_AUDIT_LOG || undefined,
      confirmWrites: e.PROXMOX_CONFIRM_WRITES as Config["confirmWrites"],
      toolsets: "toolsets" in toolsets ? toolsets.toolsets : undefined,
    },
  };
}

function splitList(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/** The start-up message for a bad environment: every problem, one per line, no values. */
export function formatConfigProblems(problems: string[]): string {
  return [
    "proxmox-mcp cannot start: the configuration has problems:",
    ...problems.map((p) => `  - ${p}`),
    "Set these in the environment of the MCP server (your agent's MCP config), or try `proxmox-mcp --demo` for a simulated cluster.",
  ].join("\n");
}
