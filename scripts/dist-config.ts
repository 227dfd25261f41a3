// The one place that says where proxmox-mcp is published and for which platforms. Every
// distribution script (release, npm packages, Homebrew formula, MCP bundle, server.json)
// reads these values, so renaming the GitHub owner or the npm scope is a one-line change.
import { existsSync, readdirSync, rmSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
export const DESCRIPTION: string = pkg.description;
export const LICENSE: string = pkg.license;

/** GitHub owner/repository that hosts the source and the release assets. */
export const GITHUB_OWNER = "proxmox-mcp";
export const GITHUB_REPO = "proxmox-mcp";
export const REPOSITORY_URL = `https://github.com/${GITHUB_OWNER}/${GITHUB_REPO}`;

/** The download URL of one release asset; Homebrew and server.json both point here. */
export function releaseAssetUrl(fileName: string, version: string = VERSION): string {
  return `${REPOSITORY_URL}/releases/download/v${version}/${fileName}`;
}

/** npm scope of the launcher and of the per-platform packages (no leading @). */
export const NPM_SCOPE = "proxmox-mcp";
export const NPM_LAUNCHER = `@${NPM_SCOPE}/proxmox-mcp`;

/** Name in the official MCP registry; GitHub namespaces are io.github.<owner>/<name>. */
export const MCP_REGISTRY_NAME = `io.github.${GITHUB_OWNER}/proxmox-mcp`;

export const AUTHOR_NAME = "proxmox-mcp contributors";

export interface Target {
  /** Our name for the platform, used in file names: proxmox-mcp-<version>-<id>.tar.gz */
  id: string;
  /** Bun's --target for `bun build --compile`. */
  bunTarget: string;
  /** Node's process.platform / process.arch, which npm's os/cpu fields also use. */
  os: "linux" | "darwin" | "win32";
  cpu: "x64" | "arm64";
  libc?: "glibc" | "musl";
  /** File name of the binary inside every package. */
  exe: "proxmox-mcp" | "proxmox-mcp.exe";
  archive: "tar.gz" | "zip";
  /** Suffix of the npm platform package, or undefined when npm gets no package for it. */
  npm?: string;
  /** Also shipped as an MCP Bundle for Claude Desktop. */
  mcpb: boolean;
  /** Where the Homebrew formula uses this archive. */
  brew?: { os: "macos" | "linux"; arch: "intel" | "arm" };
}

export const TARGETS: readonly Target[] = [
  { id: "linux-x64", bunTarget: "bun-linux-x64", os: "linux", cpu: "x64", libc: "glibc", exe: "proxmox-mcp", archive: "tar.gz", npm: "linux-x64", mcpb: true, brew: { os: "linux", arch: "intel" } },
  // Since Bun 1.4 "-baseline" resolves to the same Nehalem binary as linux-x64 (Bun picks AVX2
  // paths at run time). It stays in the release so download scripts and docs that ask for the
  // baseline asset keep working; npm and Homebrew do not need a second copy.
  { id: "linux-x64-baseline", bunTarget: "bun-linux-x64-baseline", os: "linux", cpu: "x64", libc: "glibc", exe: "proxmox-mcp", archive: "tar.gz", mcpb: false },
  { id: "linux-arm64", bunTarget: "bun-linux-arm64", os: "linux", cpu: "arm64", libc: "glibc", exe: "proxmox-mcp", archive: "tar.gz", npm: "linux-arm64", mcpb: false, brew: { os: "linux", arch: "arm" } },
  { id: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", os: "linux", cpu: "x64", libc: "musl", exe: "proxmox-mcp", archive: "tar.gz", npm: "linux-x64-musl", mcpb: false },
  { id: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", os: "linux", cpu: "arm64", libc: "musl", exe: "proxmox-mcp", archive: "tar.gz", npm: "linux-arm64-musl", mcpb: false },
  { id: "darwin-x64", bunTarget: "bun-darwin-x64", os: "darwin", cpu: "x64", exe: "proxmox-mcp", archive: "tar.gz", npm: "darwin-x64", mcpb: true, brew: { os: "macos", arch: "intel" } },
  { id: "darwin-arm64", bunTarget: "bun-darwin-arm64", os: "darwin", cpu: "arm64", exe: "proxmox-mcp", archive: "tar.gz", npm: "darwin-arm64", mcpb: true, brew: { os: "macos", arch: "arm" } },
  { id: "windows-x64", bunTarget: "bun-windows-x64", os: "win32", cpu: "x64", exe: "proxmox-mcp.exe", archive: "zip", npm: "win32-x64", mcpb: true },
];

export function targetById(id: string): Target {
  const target = TARGETS.find((t) => t.id === id);
  if (!target) throw new Error(`unknown target '${id}'; known: ${TARGETS.map((t) => t.id).join(", ")}`);
  return target;
}

/** The target this machine runs, so tests can build and execute just one binary. */
export function hostTarget(): Target {
  const os = process.platform === "win32" ? "win32" : process.platform === "darwin" ? "darwin" : "linux";
  const cpu = process.arch === "arm64" ? "arm64" : "x64";
  // glibcVersionRuntime is absent from the report on musl systems (Alpine).
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const musl = os === "linux" && !header?.glibcVersionRuntime;
  const found = TARGETS.find((t) => t.os === os && t.cpu === cpu && (os !== "linux" || t.libc === (musl ? "musl" : "glibc")) && !t.id.endsWith("-baseline"));
  if (!found) throw new Error(`no release target for this machine (${process.platform}-${process.arch})`);
  return found;
}

export function archiveName(target: Target, version: string = VERSION): string {
  return `proxmox-mcp-${version}-${target.id}.${target.archive}`;
}

export function mcpbName(target: Target, version: string = VERSION): string {
  return `proxmox-mcp-${version}-${target.id}.mcpb`;
}

export function npmPlatformPackage(target: Target): string | undefined {
  return target.npm ? `@${NPM_SCOPE}/proxmox-mcp-${target.npm}` : undefined;
}

/**
 * The settings a person fills in when installing through a store-like client (Claude
 * Desktop's MCPB dialog, registry-driven installers). One list, so the MCP bundle and
 * server.json cannot disagree.
 *
 * PROXMOX_ENABLE_DESTRUCTIVE is deliberately absent: destructive tools must stay a
 * deliberate edit of the server's environment by a person, never a checkbox in an install
 * dialog next to the URL, where it would be switched on by habit.
 */
export interface UserSetting {
  env: string;
  /** MCPB user_config key (snake_case, referenced as ${user_config.<key>}). */
  key: string;
  title: string;
  description: string;
  kind: "string" | "boolean" | "file";
  required: boolean;
  secret: boolean;
  placeholder?: string;
}

export const USER_SETTINGS: readonly UserSetting[] = [
  { env: "PROXMOX_URL", key: "proxmox_url", title: "Proxmox URL", description: "Base URL of the Proxmox VE API, e.g. https://pve.example.local:8006 (port 8006 when none is given).", kind: "string", required: true, secret: false, placeholder: "https://pve.example.local:8006" },
  { env: "PROXMOX_TOKEN_ID", key: "token_id", title: "API token ID", description: "user@realm!tokenname, e.g. mcp@pve!agent (create it with pveum user token add).", kind: "string", required: true, secret: false, placeholder: "mcp@pve!agent" },
  { env: "PROXMOX_TOKEN_SECRET", key: "token_secret", title: "API token secret", description: "The token's secret (a UUID shown once when the token was created). Masked in every answer and log line.", kind: "string", required: true, secret: true },
  { env: "PROXMOX_TLS_INSECURE", key: "tls_insecure", title: "Skip certificate check", description: "Accept any certificate (self-signed homelab). Prefer a CA file or a fingerprint below.", kind: "boolean", required: false, secret: false },
  { env: "PROXMOX_CA_FILE", key: "ca_file", title: "CA certificate file", description: "PEM file of a CA to trust, e.g. a copy of the cluster's /etc/pve/pve-root-ca.pem.", kind: "file", required: false, secret: false },
  { env: "PROXMOX_TLS_FINGERPRINT", key: "tls_fingerprint", title: "Certificate fingerprint", description: "Pin the server certificate's SHA-256 fingerprint as PVE shows it (AB:CD:…).", kind: "string", required: false, secret: false },
  { env: "PROXMOX_TOOLSETS", key: "toolsets", title: "Toolsets", description: "Which tools are listed: blank for the everyday default, all, or sets such as default,guest,api.", kind: "string", required: false, secret: false, placeholder: "default" },
  { env: "PROXMOX_READ_ONLY", key: "read_only", title: "Read-only", description: "Offer only the read tools; no write tool is listed or callable.", kind: "boolean", required: false, secret: false },
];

/**
 * Empties an output folder before a build, but only when it holds nothing except what the
 * build writes there: `--out .` or a typo must not delete someone's files.
 */
export function clearOutputDir(dir: string, ours: (name: string) => boolean): void {
  if (!existsSync(dir)) return;
  const foreign = readdirSync(dir).filter((name) => !ours(name));
  if (foreign.length > 0) throw new Error(`refusing to empty ${dir}: it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}, which this build did not write`);
  rmSync(dir, { recursive: true, force: true });
}
