// Settings for running commands inside guests (proxmox_guest_exec): an optional allowlist
// of command names, and SSH to the nodes for containers (PVE's API has no container exec).
// Kept apart from env.ts: loadConfig calls loadExecConfig once and lists its problems.
import { readFileSync } from "node:fs";

export interface SshConfig {
  user: string;
  keyFile: string;
  /** known_hosts holding each node's host key, by node name (PVE's /etc/pve/priv/known_hosts has them). */
  knownHosts: string;
  port: number;
  /** Where to reach a node, when not at the address the cluster reports for it. */
  hosts: Record<string, string>;
}

export interface ExecConfig {
  /** PROXMOX_EXEC_ALLOW: bare command names allowed as the first argument; absent = any. */
  allow?: string[];
  /** PROXMOX_SSH_*: set only when all three required variables are. */
  ssh?: SshConfig;
}

const NAME_RE = /^[A-Za-z0-9._+-]+$/;
const USER_RE = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const HOST_RE = /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\d{1,3}(\.\d{1,3}){3}|\[?[0-9A-Fa-f:]+\]?)$/;

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

export function loadExecConfig(env: Record<string, string | undefined>): { exec: ExecConfig; problems: string[] } {
  const problems: string[] = [];
  const exec: ExecConfig = {};
  const allow = list(env.PROXMOX_EXEC_ALLOW);
  if (allow.length) {
    const bad = allow.filter((n) => !NAME_RE.test(n));
    if (bad.length) problems.push(`PROXMOX_EXEC_ALLOW: '${bad[0]?.slice(0, 40)}' is not a bare command name; list names such as hostname,df,systemctl`);
    else exec.allow = allow;
  }
  const user = env.PROXMOX_SSH_USER?.trim();
  const keyFile = env.PROXMOX_SSH_KEY_FILE?.trim();
  const knownHosts = env.PROXMOX_SSH_KNOWN_HOSTS?.trim();
  const given = { PROXMOX_SSH_USER: user, PROXMOX_SSH_KEY_FILE: keyFile, PROXMOX_SSH_KNOWN_HOSTS: knownHosts };
  const missing = Object.entries(given).filter(([, value]) => !value).map(([name]) => name);
  if (missing.length === 3) {
    if (env.PROXMOX_SSH_PORT?.trim() || env.PROXMOX_SSH_HOSTS?.trim()) problems.push("PROXMOX_SSH_PORT and PROXMOX_SSH_HOSTS need PROXMOX_SSH_USER, PROXMOX_SSH_KEY_FILE and PROXMOX_SSH_KNOWN_HOSTS");
    return { exec, problems };
  }
  if (missing.length) {
    problems.push(`SSH to the nodes needs all of PROXMOX_SSH_USER, PROXMOX_SSH_KEY_FILE and PROXMOX_SSH_KNOWN_HOSTS; missing: ${missing.join(", ")}`);
    return { exec, problems };
  }
  if (!USER_RE.test(user as string)) problems.push("PROXMOX_SSH_USER must be a user name such as root");
  if (!readable(keyFile as string)) problems.push(`PROXMOX_SSH_KEY_FILE (${keyFile}) cannot be read; give the path of the private key this server logs in with`);
  // Security: never trust on first use. Without a known_hosts file there is no way to know the node.
  if (!readable(knownHosts as string)) problems.push(`PROXMOX_SSH_KNOWN_HOSTS (${knownHosts}) cannot be read; give a known_hosts file with each node's host key (e.g. a copy of /etc/pve/priv/known_hosts)`);
  else if (!readFileSync(knownHosts as string, "utf8").trim()) problems.push(`PROXMOX_SSH_KNOWN_HOSTS (${knownHosts}) is empty; it must hold each node's host key`);
  const portText = env.PROXMOX_SSH_PORT?.trim() || "22";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) problems.push("PROXMOX_SSH_PORT must be a port number, e.g. 22");
  const hosts: Record<string, string> = {};
  for (const entry of list(env.PROXMOX_SSH_HOSTS)) {
    const [node, host, ...rest] = entry.split("=").map((s) => s.trim());
    if (!node || !host || rest.length || !/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(node) || !HOST_RE.test(host)) {
      problems.push(`PROXMOX_SSH_HOSTS: '${entry.slice(0, 60)}' must be node=host, e.g. pve1=10.0.0.11`);
      continue;
    }
    hosts[node] = host.replace(/^\[|\]$/g, "");
  }
  if (problems.length === 0) exec.ssh = { user: user as string, keyFile: keyFile as string, knownHosts: knownHosts as string, port, hosts };
  return { exec, problems };
}

/** The variables, for the refusal that tells an admin what to configure. */
export const SSH_VARIABLES = "PROXMOX_SSH_USER, PROXMOX_SSH_KEY_FILE and PROXMOX_SSH_KNOWN_HOSTS";
