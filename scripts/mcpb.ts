// MCP Bundles (.mcpb) for Claude Desktop: a zip holding manifest.json and the binary under
// server/. One bundle per desktop platform, because each carries its own native binary.
// Manifest format: MCPB manifest 0.3 (modelcontextprotocol/mcpb, MANIFEST.md).
import type { ArchiveEntry } from "./archive.ts";
import { AUTHOR_NAME, DESCRIPTION, LICENSE, REPOSITORY_URL, type Target, USER_SETTINGS, VERSION } from "./dist-config.ts";

export const MCPB_MANIFEST_VERSION = "0.3";

export interface ToolInfo {
  name: string;
  title?: string;
  tier?: number;
  description: string;
}

/**
 * The tool list comes from the binary being shipped (`proxmox-mcp tools --json`), never from a
 * hand-kept copy, so the bundle cannot advertise a tool the server does not have.
 * Fails loudly: a bundle with a missing or empty tool list must not be released.
 */
export function readToolList(binary: string): ToolInfo[] {
  // A clean environment: PROXMOX_READ_ONLY in the release machine's shell would hide tools.
  const proc = Bun.spawnSync([binary, "tools", "--json"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) {
    throw new Error(`'${binary} tools --json' exited ${proc.exitCode}: ${proc.stderr.toString().trim()}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(proc.stdout.toString());
  } catch {
    throw new Error(`'${binary} tools --json' did not print JSON: ${proc.stdout.toString().slice(0, 200)}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error(`'${binary} tools --json' printed no tools`);
  return parsed.map((t: unknown, i) => {
    const tool = t as Partial<ToolInfo>;
    if (typeof tool.name !== "string" || typeof tool.description !== "string") {
      throw new Error(`'${binary} tools --json' entry ${i} lacks a name or description`);
    }
    return { name: tool.name, title: tool.title, tier: tool.tier, description: tool.description };
  });
}

const PLATFORM: Record<Target["os"], "darwin" | "win32" | "linux"> = { darwin: "darwin", win32: "win32", linux: "linux" };

export function mcpbManifest(target: Target, tools: readonly ToolInfo[], version: string = VERSION): Record<string, unknown> {
  const userConfig: Record<string, Record<string, unknown>> = {};
  const env: Record<string, string> = {};
  for (const s of USER_SETTINGS) {
    userConfig[s.key] = {
      type: s.kind,
      title: s.title,
      description: s.description,
      required: s.required,
      ...(s.secret ? { sensitive: true } : {}),
      // Optional fields get an explicit empty default: Claude Desktop has passed the literal
      // "${user_config.x}" for optional fields the user left blank, which the server would
      // then read as a path or a fingerprint.
      ...(s.required ? {} : { default: s.kind === "boolean" ? false : "" }),
    };
    env[s.env] = `\${user_config.${s.key}}`;
  }
  return {
    manifest_version: MCPB_MANIFEST_VERSION,
    name: "proxmox-mcp",
    display_name: "Proxmox VE",
    version,
    description: DESCRIPTION,
    long_description:
      "Inspect and operate a Proxmox VE cluster through its REST API. Reads are open. Safe writes (start, stop, snapshot, backup, create, clone) need `confirm: true` in the call. Destructive tools also need `destructive: true` and a server started with PROXMOX_ENABLE_DESTRUCTIVE=1, which this bundle never sets: switch it on only by editing the server's environment yourself. The API token secret is masked in every answer and log line.",
    author: { name: AUTHOR_NAME, url: REPOSITORY_URL },
    repository: { type: "git", url: `${REPOSITORY_URL}.git` },
    homepage: REPOSITORY_URL,
    documentation: `${REPOSITORY_URL}#readme`,
    support: `${REPOSITORY_URL}/issues`,
    license: LICENSE,
    keywords: ["proxmox", "pve", "virtualization", "homelab", "lxc", "qemu"],
    server: {
      type: "binary",
      entry_point: `server/${target.exe}`,
      mcp_config: {
        command: `\${__dirname}/server/${target.exe}`,
        args: [],
        env,
      },
    },
    tools: tools.map((t) => ({ name: t.name, description: t.description })),
    tools_generated: false,
    prompts_generated: false,
    compatibility: { platforms: [PLATFORM[target.os]] },
    user_config: userConfig,
  };
}

/** Archive entries of one bundle: manifest.json at the root, the binary in server/. */
export function mcpbEntries(target: Target, binary: Uint8Array, tools: readonly ToolInfo[], extras: readonly ArchiveEntry[]): ArchiveEntry[] {
  const manifest = new TextEncoder().encode(`${JSON.stringify(mcpbManifest(target, tools), null, 2)}\n`);
  return [{ name: "manifest.json", mode: 0o644, data: manifest }, { name: "server/", mode: 0o755, data: new Uint8Array(0) }, { name: `server/${target.exe}`, mode: 0o755, data: binary }, ...extras];
}
