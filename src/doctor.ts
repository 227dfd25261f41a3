// `proxmox-mcp doctor`: what a user runs when the agent says "it doesn't work". Each check
// builds on the one before: configuration, DNS/TCP reach, TLS, the token, its privileges.
import { type Config, configWarnings, formatConfigProblems } from "./config/env.ts";
import { loadInstances } from "./config/instances.ts";
import { PveClient } from "./pve/client.ts";
import { PveError } from "./pve/errors.ts";
import { judgeTiers } from "./pve/privileges.ts";
import { peerFingerprint } from "./pve/pinned-fetch.ts";
import type { Logger } from "./log.ts";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

const MARK: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };

export interface DoctorOptions {
  /** Check these instead of the environment's (doctor --demo: the simulated cluster). */
  configs?: Config[];
  /** How the configuration is described on its line, e.g. "the simulated demo cluster". */
  source?: string;
}

/** Checks every configured instance (the environment's, or each one in PROXMOX_CONFIG); 0 when all are ready. */
export async function runDoctor(env: Record<string, string | undefined>, log: Logger, out: (line: string) => void, register: (secret: string) => void, options: DoctorOptions = {}): Promise<number> {
  let configs = options.configs;
  if (!configs) {
    const loaded = loadInstances(env);
    if (!loaded.ok) {
      out(`${MARK.fail} configuration: \n${formatConfigProblems(loaded.problems)}`);
      return 1;
    }
    configs = loaded.instances;
  }
  for (const config of configs) register(config.tokenSecret);
  const many = configs.length > 1;
  if (many) out(`${configs.length} instances: ${configs.map((c) => c.name).join(", ")}${env.PROXMOX_CONFIG?.trim() ? ` (PROXMOX_CONFIG ${env.PROXMOX_CONFIG.trim()})` : ""}`);
  let failed = 0;
  for (const config of configs) {
    if (many) out(`\n[${config.name}]`);
    const code = await checkInstance(config, log, out, options.source);
    if (code !== 0) failed++;
  }
  if (many) out(`\n${failed === 0 ? `All ${configs.length} instances are ready.` : `${failed} of ${configs.length} instances are not ready.`}`);
  return failed === 0 ? 0 : 1;
}

async function checkInstance(config: Config, log: Logger, out: (line: string) => void, source?: string): Promise<number> {
  const report = (check: Check) => out(`${MARK[check.status]} ${check.name}: ${check.detail}`);
  report({ name: "configuration", status: "ok", detail: `${config.url} as ${config.tokenId}${source ? ` (${source})` : ""}` });
  if (!source) for (const warning of configWarnings(config)) report({ name: "configuration", status: "warn", detail: warning });

  const url = new URL(config.url);
  const port = Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  try {
    // Node's modules from process.getBuiltinModule: imports in the one-file binary load at every start.
    const address = await withTimeout(process.getBuiltinModule("node:dns/promises").lookup(host), config.timeoutMs, "DNS lookup");
    report({ name: "DNS", status: "ok", detail: `${host} → ${address.address}` });
  } catch (error) {
    report({ name: "DNS", status: "fail", detail: `${host} does not resolve (${errorText(error)}). Check the host name in PROXMOX_URL.` });
    return 1;
  }
  try {
    await tcpReach(host, port, config.timeoutMs);
    report({ name: "TCP", status: "ok", detail: `port ${port} answers` });
  } catch (error) {
    report({ name: "TCP", status: "fail", detail: `cannot connect to ${host}:${port} (${errorText(error)}). Is pveproxy running, and is the port (usually 8006) open from here?` });
    return 1;
  }

  const pve = new PveClient({ baseUrl: config.url, tokenId: config.tokenId, tokenSecret: config.tokenSecret, timeoutMs: config.timeoutMs, tls: config.tls, logger: log, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
  let version: { version?: string } | null;
  try {
    version = await pve.get<{ version?: string } | null>(["version"]);
    if (url.protocol === "https:") report({ name: "TLS", status: config.tls.insecure && !config.tls.fingerprint && !config.tls.caFile ? "warn" : "ok", detail: tlsDescription(config) });
    report({ name: "token", status: "ok", detail: `accepted; Proxmox VE ${version?.version ?? "?"}` });
  } catch (error) {
    if (error instanceof PveError && error.code === "tls") {
      const fingerprint = await peerFingerprint(host, port, config.timeoutMs).catch(() => undefined);
      report({
        name: "TLS",
        status: "fail",
        detail: `${error.message} Fix with one of: PROXMOX_CA_FILE=/path/to/pve-root-ca.pem (copy /etc/pve/pve-root-ca.pem from a node); ${fingerprint ? `PROXMOX_TLS_FINGERPRINT=${fingerprint} (the certificate this server presents now — compare it with the node's Certificates panel)` : "PROXMOX_TLS_FINGERPRINT=<the node certificate's SHA-256>"}; or PROXMOX_TLS_INSECURE=true (not recommended).`,
      });
      return 1;
    }
    if (error instanceof PveError && error.code === "pve_auth") {
      report({ name: "token", status: "fail", detail: `${error.message} ${error.hint ?? ""}` });
      return 1;
    }
    report({ name: "Proxmox API", status: "fail", detail: error instanceof PveError ? error.describe() : errorText(error) });
    return 1;
  }

  let permissions: Record<string, Record<string, number>>;
  try {
    permissions = (await pve.get<Record<string, Record<string, number>> | null>(["access", "permissions"])) ?? {};
  } catch (error) {
    report({ name: "privileges", status: "fail", detail: `cannot read the token's permissions: ${error instanceof PveError ? error.message : errorText(error)}` });
    return 1;
  }
  // Each tool's requests, judged against the permission checks of the official schema.
  let readOk = false;
  for (const verdict of judgeTiers(permissions)) {
    const { tier, missing, partial, hidden } = verdict;
    const gated = tier === "destructive" && !config.destructiveEnabled ? " (also off: PROXMOX_ENABLE_DESTRUCTIVE is not 1)" : tier !== "read" && config.readOnly ? " (also off: PROXMOX_READ_ONLY)" : "";
    if (tier === "read") readOk = missing.length === 0;
    const problems = [missing.length ? `missing ${missing.join("; ")}` : "", partial.length ? `only some objects: ${partial.join("; ")}` : ""].filter(Boolean).join(". ");
    report({
      name: `${tier} tools`,
      status: verdict.works ? (gated ? "warn" : "ok") : tier === "read" && missing.length ? "fail" : "warn",
      detail: verdict.works ? `will work${gated}` : `${problems}${gated}`,
    });
    for (const line of hidden) report({ name: `${tier} tools see less`, status: "warn", detail: `hidden without the privilege, with no error from Proxmox: ${line}` });
  }
  if (Object.keys(permissions).length === 0) {
    out(`The token has no privileges at all. A token made with privilege separation (the PVE default) needs its own ACL: pveum acl modify / --tokens '${config.tokenId}' --roles PVEAuditor`);
  }
  out(readOk ? "Ready: an agent can use this configuration." : "Not ready: grant the missing read privileges (e.g. role PVEAuditor on /) and run doctor again.");
  return readOk ? 0 : 1;
}

function tlsDescription(config: Config): string {
  if (config.tls.fingerprint) return "certificate matches PROXMOX_TLS_FINGERPRINT";
  if (config.tls.caFile) return `certificate verified against ${config.tls.caFile}`;
  if (config.tls.insecure) return "verification is OFF (PROXMOX_TLS_INSECURE); prefer PROXMOX_CA_FILE or PROXMOX_TLS_FINGERPRINT";
  return "certificate verified";
}

function tcpReach(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = process.getBuiltinModule("node:net").connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms))]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error);
}
