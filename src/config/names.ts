// The environment variables proxmox-mcp reads, and "did you mean" for the names people
// reach for from other Proxmox tools (Terraform, Ansible, proxmoxer) or mistype.

/** Every variable this server reads. A new variable is added here, or its typos go unnoticed. */
export const KNOWN_VARIABLES = [
  "PROXMOX_URL",
  "PROXMOX_TOKEN_ID",
  "PROXMOX_TOKEN_SECRET",
  "PROXMOX_TOKEN_SECRET_FILE",
  "PROXMOX_TLS_INSECURE",
  "PROXMOX_CA_FILE",
  "PROXMOX_TLS_FINGERPRINT",
  "PROXMOX_TIMEOUT_MS",
  "PROXMOX_LOG_LEVEL",
  "PROXMOX_ENABLE_DESTRUCTIVE",
  "PROXMOX_READ_ONLY",
  "PROXMOX_ALLOWED_VMIDS",
  "PROXMOX_ALLOWED_NODES",
  "PROXMOX_PROTECTED_TAGS",
  "PROXMOX_AUDIT_LOG",
  "PROXMOX_CONFIRM_WRITES",
  "PROXMOX_CONFIG",
  "PROXMOX_DEMO",
  "PROXMOX_DEMO_SCENARIO",
  "PROXMOX_TOOLSETS",
  "PROXMOX_DOWNLOAD_ALLOW_PRIVATE",
  "PROXMOX_AUDIT_KEY",
  "PROXMOX_AUDIT_KEY_FILE",
  "PROXMOX_INVENTORY_POLL_MS",
  "PROXMOX_EXEC_ALLOW",
  "PROXMOX_SSH_USER",
  "PROXMOX_SSH_KEY_FILE",
  "PROXMOX_SSH_KNOWN_HOSTS",
  "PROXMOX_SSH_PORT",
  "PROXMOX_SSH_HOSTS",
] as const;

const SIGN_IN_WITH_TOKEN = "proxmox-mcp signs in with an API token, not a user name and password: create one (README: Create a Proxmox API token) and set PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET";

/** Names from other tools, and what to set instead. */
const ALIASES: Record<string, string> = {
  PROXMOX_HOST: "PROXMOX_URL",
  PROXMOX_HOSTNAME: "PROXMOX_URL",
  PROXMOX_API_URL: "PROXMOX_URL",
  PROXMOX_ENDPOINT: "PROXMOX_URL",
  PROXMOX_VE_ENDPOINT: "PROXMOX_URL",
  PROXMOX_SERVER: "PROXMOX_URL",
  PROXMOX_ADDRESS: "PROXMOX_URL",
  PM_API_URL: "PROXMOX_URL",
  PVE_URL: "PROXMOX_URL",
  PVE_HOST: "PROXMOX_URL",
  PVE_API_URL: "PROXMOX_URL",
  PROXMOX_TOKEN: "PROXMOX_TOKEN_SECRET",
  PROXMOX_API_TOKEN: "PROXMOX_TOKEN_SECRET",
  PROXMOX_VE_API_TOKEN: "PROXMOX_TOKEN_SECRET",
  PROXMOX_SECRET: "PROXMOX_TOKEN_SECRET",
  PROXMOX_TOKEN_VALUE: "PROXMOX_TOKEN_SECRET",
  PROXMOX_API_TOKEN_SECRET: "PROXMOX_TOKEN_SECRET",
  PM_API_TOKEN_SECRET: "PROXMOX_TOKEN_SECRET",
  PVE_TOKEN: "PROXMOX_TOKEN_SECRET",
  PVE_TOKEN_SECRET: "PROXMOX_TOKEN_SECRET",
  PVE_API_TOKEN: "PROXMOX_TOKEN_SECRET",
  PROXMOX_TOKEN_NAME: "PROXMOX_TOKEN_ID",
  PROXMOX_API_TOKEN_ID: "PROXMOX_TOKEN_ID",
  PM_API_TOKEN_ID: "PROXMOX_TOKEN_ID",
  PVE_TOKEN_ID: "PROXMOX_TOKEN_ID",
  PVE_TOKEN_NAME: "PROXMOX_TOKEN_ID",
  PROXMOX_INSECURE: "PROXMOX_TLS_INSECURE",
  PROXMOX_VE_INSECURE: "PROXMOX_TLS_INSECURE",
  PROXMOX_SKIP_TLS_VERIFY: "PROXMOX_TLS_INSECURE",
  PROXMOX_TLS_SKIP_VERIFY: "PROXMOX_TLS_INSECURE",
  PROXMOX_VERIFY_SSL: "PROXMOX_TLS_INSECURE",
  PM_TLS_INSECURE: "PROXMOX_TLS_INSECURE",
  PVE_VERIFY_SSL: "PROXMOX_TLS_INSECURE",
  PROXMOX_FINGERPRINT: "PROXMOX_TLS_FINGERPRINT",
  PROXMOX_CA_CERT: "PROXMOX_CA_FILE",
  PROXMOX_CA: "PROXMOX_CA_FILE",
  PROXMOX_TIMEOUT: "PROXMOX_TIMEOUT_MS",
  PROXMOX_READONLY: "PROXMOX_READ_ONLY",
  PROXMOX_ALLOW_DESTRUCTIVE: "PROXMOX_ENABLE_DESTRUCTIVE",
  PROXMOX_DESTRUCTIVE: "PROXMOX_ENABLE_DESTRUCTIVE",
};

/** User and password variables: not a typo, a different way of signing in. */
const PASSWORD_LOGIN = new Set(["PROXMOX_USER", "PROXMOX_USERNAME", "PROXMOX_PASSWORD", "PROXMOX_PASS", "PROXMOX_VE_USERNAME", "PROXMOX_VE_PASSWORD", "PM_USER", "PM_PASS", "PVE_USER", "PVE_USERNAME", "PVE_PASSWORD"]);

const KNOWN = new Set<string>(KNOWN_VARIABLES);

/** Variables that only matter with a single-cluster environment (PROXMOX_CONFIG replaces them). */
const SINGLE_CLUSTER = new Set(["PROXMOX_URL", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET", "PROXMOX_TOKEN_SECRET_FILE", "PROXMOX_TLS_INSECURE", "PROXMOX_CA_FILE", "PROXMOX_TLS_FINGERPRINT", "PROXMOX_TIMEOUT_MS"]);

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The known variable `name` was probably meant to be, if any. */
export function suggestVariable(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (ALIASES[upper]) return ALIASES[upper];
  if (KNOWN.has(upper) && upper !== name) return upper;
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN_VARIABLES) {
    const distance = editDistance(upper, known);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/**
 * A problem for each set variable that is not one this server reads but looks like one that
 * is, when the one it looks like is unset: PROXMOX_READONLY=1 would otherwise leave writes
 * on while the person believes they are off. With a config file, only variables that still
 * apply server-wide are considered.
 */
export function misnamedVariables(env: Record<string, string | undefined>, options: { configFile: boolean }): string[] {
  const problems: string[] = [];
  const isSet = (key: string) => env[key] !== undefined && env[key]?.trim() !== "";
  for (const key of Object.keys(env)) {
    if (!isSet(key) || KNOWN.has(key) || key.startsWith("PROXMOX_MCP_")) continue;
    if (!/^(PROXMOX|PVE|PM)_/i.test(key)) continue;
    if (PASSWORD_LOGIN.has(key.toUpperCase())) {
      if (!options.configFile && (!isSet("PROXMOX_TOKEN_ID") || !(isSet("PROXMOX_TOKEN_SECRET") || isSet("PROXMOX_TOKEN_SECRET_FILE")))) {
        problems.push(`${key} is not used: ${SIGN_IN_WITH_TOKEN}`);
      }
      continue;
    }
    const meant = suggestVariable(key);
    if (!meant || isSet(meant)) continue;
    if (options.configFile && SINGLE_CLUSTER.has(meant)) continue;
    if (meant === "PROXMOX_TOKEN_SECRET" && isSet("PROXMOX_TOKEN_SECRET_FILE")) continue;
    problems.push(`${key} is not a setting proxmox-mcp reads; did you mean ${meant}?`);
  }
  return problems;
}
