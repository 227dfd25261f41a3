// The server's configuration comes from the environment (an agent's MCP config sets it).
// Everything is checked at start-up and every problem is reported at once, naming the
// variable and what a valid value looks like, never echoing a secret's value.
import { LOG_LEVELS, type LogLevel } from "../log.ts";
import { parseToolsets } from "../tools/toolsets.ts";
import { type ExecConfig, loadExecConfig } from "./exec.ts";
import { parseVmidRanges, type VmidRanges } from "./ranges.ts";
import { CA_FILE_MAX_BYTES, readBoundedFile, SECRET_FILE_MAX_BYTES } from "./read-file.ts";
import { checkSecret, tokenIdMistake } from "./secret.ts";
import { maskSecretLike, type Parsed, parseBoolean, parseDestructiveSwitch, parseNodeList, parseTagList } from "./values.ts";

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
  /** PROXMOX_EXEC_ALLOW and PROXMOX_SSH_* for proxmox_guest_exec (config/exec.ts). */
  exec?: ExecConfig;
  /** PROXMOX_DOWNLOAD_ALLOW_PRIVATE=1: proxmox_download_to_storage may send the node to loopback/link-local/private addresses. */
  downloadAllowPrivate?: boolean;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const TOKEN_ID_RE = /^(([^\s:/]+)@([A-Za-z][A-Za-z0-9.\-_]+))!([A-Za-z][A-Za-z0-9.\-_]+)$/;
const FINGERPRINT_RE = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;

export { parseBoolean } from "./values.ts";

/** Normalises PROXMOX_URL; returns a problem text instead when it is unusable. */
export function normaliseUrl(raw: string, name = "PROXMOX_URL"): { url: string } | { problem: string } {
  const example = "e.g. https://pve.example.local:8006";
  // A bare host name is the most common slip: say the URL it most likely means.
  const bare = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d+)?\/?$/.exec(raw);
  if (bare) return { problem: `${name} needs https:// in front: write https://${bare[1]}${bare[2] ?? ":8006"} (${example})` };
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { problem: `${name} is not a URL (${example})` };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { problem: `${name} must start with https:// or http:// (${example})` };
  }
  if (parsed.username || parsed.password) {
    return { problem: `${name} must not carry a user or password; use PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET` };
  }
  if (parsed.search || parsed.hash) {
    return { problem: `${name} must not have a query or fragment (${example})` };
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

export interface LoadOptions {
  /** How a variable is called in the message: instances from PROXMOX_CONFIG use their file's keys. */
  label?: (variable: string) => string;
}

export function loadConfig(rawEnv: Record<string, string | undefined>, options: LoadOptions = {}): ConfigResult {
  const env = dropUnset(rawEnv);
  const name = options.label ?? ((variable: string) => variable);
  const problems: string[] = [];
  const take = <T>(result: Parsed<T>, fallback: T): T => {
    if ("problem" in result) {
      problems.push(result.problem);
      return fallback;
    }
    return result.value;
  };

  let url = "";
  const rawUrl = env.PROXMOX_URL?.trim();
  if (!rawUrl) {
    problems.push(`${name("PROXMOX_URL")} is required: the address of a Proxmox node, e.g. https://pve.example.local:8006`);
  } else {
    const result = normaliseUrl(rawUrl, name("PROXMOX_URL"));
    if ("problem" in result) problems.push(result.problem);
    else url = result.url;
  }

  const tokenId = env.PROXMOX_TOKEN_ID?.trim() ?? "";
  if (!tokenId) {
    problems.push(`${name("PROXMOX_TOKEN_ID")} is required: the API token's id, user@realm!tokenname, e.g. mcp@pve!agent`);
  } else if (!TOKEN_ID_RE.test(tokenId)) {
    problems.push(tokenIdMistake(name("PROXMOX_TOKEN_ID"), tokenId) ?? `${name("PROXMOX_TOKEN_ID")} must look like user@realm!tokenname, e.g. mcp@pve!agent`);
  }

  let tokenSecret = "";
  const rawSecret = env.PROXMOX_TOKEN_SECRET;
  const secretFile = env.PROXMOX_TOKEN_SECRET_FILE?.trim();
  if (rawSecret !== undefined && secretFile) {
    problems.push(`Set only one of ${name("PROXMOX_TOKEN_SECRET")} and ${name("PROXMOX_TOKEN_SECRET_FILE")}`);
  } else if (secretFile) {
    // A path is shown to help; anything without a separator may be a pasted secret.
    const label = `${name("PROXMOX_TOKEN_SECRET_FILE")}${/[\\/]/.test(secretFile) ? ` (${secretFile})` : ""}`;
    const read = readBoundedFile(secretFile, label, SECRET_FILE_MAX_BYTES);
    if ("problem" in read) problems.push(`${read.problem}; give the path of a file holding only the token's secret`);
    else {
      const checked = checkSecret(label, read.text, true);
      if ("problem" in checked) problems.push(checked.problem);
      else tokenSecret = checked.secret;
    }
  } else if (rawSecret === undefined) {
    problems.push(`${name("PROXMOX_TOKEN_SECRET")} is required: the secret (a UUID) PVE showed once when the API token was created; or set ${name("PROXMOX_TOKEN_SECRET_FILE")} to a file that holds it`);
  } else {
    const checked = checkSecret(name("PROXMOX_TOKEN_SECRET"), rawSecret, false);
    if ("problem" in checked) problems.push(checked.problem);
    else tokenSecret = checked.secret;
  }

  const isHttp = /^http:/i.test(url);
  const insecure = take(parseBoolean(name("PROXMOX_TLS_INSECURE"), env.PROXMOX_TLS_INSECURE), false);

  const caFile = env.PROXMOX_CA_FILE?.trim() || undefined;
  if (caFile && isHttp) {
    problems.push(`${name("PROXMOX_CA_FILE")} is set but ${name("PROXMOX_URL")} uses http://, where no certificate is checked; use https:// (PVE listens on https://<host>:8006) or remove ${name("PROXMOX_CA_FILE")}`);
  } else if (caFile) {
    const label = `${name("PROXMOX_CA_FILE")} (${caFile})`;
    const read = readBoundedFile(caFile, label, CA_FILE_MAX_BYTES);
    if ("problem" in read) problems.push(`${read.problem}; give the path of a PEM file such as the cluster's /etc/pve/pve-root-ca.pem`);
    else if (!read.text.includes("-----BEGIN CERTIFICATE-----")) problems.push(`${label} holds no PEM certificate (-----BEGIN CERTIFICATE-----); copy /etc/pve/pve-root-ca.pem from a node`);
  }

  let fingerprint: string | undefined;
  const rawFingerprint = env.PROXMOX_TLS_FINGERPRINT?.trim();
  if (rawFingerprint && isHttp) {
    problems.push(`${name("PROXMOX_TLS_FINGERPRINT")} is set but ${name("PROXMOX_URL")} uses http://, where there is no certificate to pin; use https:// or remove ${name("PROXMOX_TLS_FINGERPRINT")}`);
  } else if (rawFingerprint) {
    if (FINGERPRINT_RE.test(rawFingerprint)) fingerprint = rawFingerprint.toUpperCase();
    else problems.push(`${name("PROXMOX_TLS_FINGERPRINT")} must be a SHA-256 fingerprint as PVE shows it: 32 hex pairs joined by ':', e.g. AB:CD:…:EF`);
  }

  let timeoutMs = 30_000;
  const rawTimeout = env.PROXMOX_TIMEOUT_MS?.trim();
  if (rawTimeout !== undefined) {
    if (!/^\d+$/.test(rawTimeout)) problems.push(`${name("PROXMOX_TIMEOUT_MS")} must be a whole number of milliseconds, e.g. 30000`);
    else if (Number(rawTimeout) < 100) problems.push(`${name("PROXMOX_TIMEOUT_MS")} must be at least 100 (milliseconds)`);
    else if (Number(rawTimeout) > 600_000) problems.push(`${name("PROXMOX_TIMEOUT_MS")} must be at most 600000 (10 minutes)`);
    else timeoutMs = Number(rawTimeout);
  }

  let logLevel: LogLevel = "info";
  const rawLevel = env.PROXMOX_LOG_LEVEL?.trim().toLowerCase();
  if (rawLevel !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(rawLevel)) logLevel = rawLevel as LogLevel;
    else problems.push(`PROXMOX_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }

  let confirmWrites: Config["confirmWrites"] = "off";
  const rawConfirm = env.PROXMOX_CONFIRM_WRITES?.trim().toLowerCase();
  if (rawConfirm !== undefined) {
    if (rawConfirm === "elicit" || rawConfirm === "off" || rawConfirm === "never") confirmWrites = rawConfirm;
    else problems.push("PROXMOX_CONFIRM_WRITES must be elicit (ask a person before every write), off (ask for destructive tools when the client can) or never (the gates alone)");
  }

  // Security: a switch that is not understood stops start-up; it never means "off".
  const destructiveEnabled = take(parseDestructiveSwitch("PROXMOX_ENABLE_DESTRUCTIVE", env.PROXMOX_ENABLE_DESTRUCTIVE), false);
  const readOnly = take(parseBoolean(name("PROXMOX_READ_ONLY"), env.PROXMOX_READ_ONLY), true);

  let allowedVmids: VmidRanges | undefined;
  if (env.PROXMOX_ALLOWED_VMIDS?.trim()) {
    const ranges = parseVmidRanges(env.PROXMOX_ALLOWED_VMIDS.trim());
    if ("problem" in ranges) problems.push(`${name("PROXMOX_ALLOWED_VMIDS")}: ${ranges.problem}`);
    else allowedVmids = ranges;
  }
  const allowedNodes = take(parseNodeList(name("PROXMOX_ALLOWED_NODES"), env.PROXMOX_ALLOWED_NODES), undefined);
  const protectedTags = take(parseTagList(name("PROXMOX_PROTECTED_TAGS"), env.PROXMOX_PROTECTED_TAGS), []);
  const toolsets = parseToolsets(env.PROXMOX_TOOLSETS);
  if ("problem" in toolsets) problems.push(toolsets.problem);
  const exec = loadExecConfig(env);
  problems.push(...exec.problems);
  // Security: like PROXMOX_ENABLE_DESTRUCTIVE, only the exact "1" lifts the SSRF guard; any other word stops start-up.
  const rawPrivate = env.PROXMOX_DOWNLOAD_ALLOW_PRIVATE?.trim();
  if (rawPrivate && rawPrivate !== "1") problems.push("PROXMOX_DOWNLOAD_ALLOW_PRIVATE must be exactly 1 to let downloads come from private, loopback or link-local addresses, or unset to refuse them");

  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  return {
    ok: true,
    config: {
      name: "default",
      url,
      tokenId,
      tokenSecret,
      tls: { insecure, caFile, fingerprint },
      timeoutMs,
      logLevel,
      destructiveEnabled,
      readOnly,
      allowedVmids,
      allowedNodes,
      protectedTags,
      auditLog: env.PROXMOX_AUDIT_LOG?.trim() || undefined,
      confirmWrites,
      toolsets: "toolsets" in toolsets ? toolsets.toolsets : undefined,
      exec: exec.exec,
      downloadAllowPrivate: rawPrivate === "1",
    },
  };
}

/** What start-up says on stderr about a configuration that works but is weaker than it looks. */
export function configWarnings(config: Config, prefix = ""): string[] {
  const warnings: string[] = [];
  if (/^http:/i.test(config.url)) {
    warnings.push(`${prefix}PROXMOX_URL uses http://: the API token travels in cleartext and the server is not authenticated. Use https:// (PVE listens on https://<host>:8006).`);
  }
  if (config.tls.insecure && !config.tls.fingerprint && !config.tls.caFile) {
    warnings.push(`${prefix}PROXMOX_TLS_INSECURE is on: the server certificate is NOT verified. Prefer PROXMOX_CA_FILE or PROXMOX_TLS_FINGERPRINT.`);
  }
  return warnings;
}

/** The start-up message for a bad environment: every problem, one per line, no secrets. */
export function formatConfigProblems(problems: string[]): string {
  return [
    "proxmox-mcp cannot start: the configuration has problems:",
    // Security: a secret pasted into the wrong variable is masked even when the real one came from a file.
    ...problems.map((p) => `  - ${maskSecretLike(p)}`),
    "Set these in the environment of the MCP server (your agent's MCP config), or try `proxmox-mcp tour` for a look at a simulated cluster.",
  ].join("\n");
}
