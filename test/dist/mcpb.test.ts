// The Claude Desktop bundle (.mcpb), checked against the MCPB manifest 0.3 rules as written in
// modelcontextprotocol/mcpb (MANIFEST.md and its zod schema src/schemas/0.3.ts): required
// fields, the allowed keys at each level (the schema is strict: an unknown key rejects the
// whole manifest), user_config option types, and the ${...} references in mcp_config.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readZip } from "../../scripts/archive.ts";
import { hostTarget, mcpbName, TARGETS, type Target, USER_SETTINGS, VERSION } from "../../scripts/dist-config.ts";
import { MCPB_MANIFEST_VERSION, mcpbManifest, readToolList, type ToolInfo } from "../../scripts/mcpb.ts";
import { loadConfig } from "../../src/config/env.ts";
import { hostRelease, scratchDir, SLOW_MS } from "./helpers.ts";

type Json = Record<string, unknown>;

const ALLOWED = {
  top: ["$schema", "dxt_version", "manifest_version", "name", "display_name", "version", "description", "long_description", "author", "repository", "homepage", "documentation", "support", "icon", "icons", "screenshots", "localization", "server", "tools", "tools_generated", "prompts", "prompts_generated", "keywords", "license", "privacy_policies", "compatibility", "user_config", "_meta"],
  author: ["name", "email", "url"],
  repository: ["type", "url"],
  server: ["type", "entry_point", "mcp_config"],
  mcpConfig: ["command", "args", "env", "platform_overrides"],
  compatibility: ["claude_desktop", "platforms", "runtimes"],
  tool: ["name", "description"],
  option: ["type", "title", "description", "required", "default", "multiple", "sensitive", "min", "max"],
};

/** Every problem the MCPB 0.3 rules find in a manifest; empty means valid. */
function manifestProblems(m: Json, files: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const extra = (where: string, obj: unknown, allowed: string[]) => {
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return problems.push(`${where} must be an object`);
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) problems.push(`${where} has unknown key '${k}'`);
  };
  const str = (where: string, v: unknown) => typeof v === "string" && v.length > 0 ? undefined : problems.push(`${where} must be a non-empty string`);
  extra("manifest", m, ALLOWED.top);
  if (m.manifest_version !== MCPB_MANIFEST_VERSION) problems.push(`manifest_version must be "${MCPB_MANIFEST_VERSION}"`);
  for (const k of ["name", "version", "description"]) str(k, m[k]);
  if (typeof m.version === "string" && !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(m.version)) problems.push("version must be semver");
  const author = m.author as Json | undefined;
  extra("author", author, ALLOWED.author);
  str("author.name", author?.name);
  if (m.repository !== undefined) extra("repository", m.repository, ALLOWED.repository);
  for (const k of ["homepage", "documentation", "support"]) if (m[k] !== undefined && !/^https?:\/\//.test(String(m[k]))) problems.push(`${k} must be a URL`);

  const server = m.server as Json | undefined;
  extra("server", server, ALLOWED.server);
  if (!["python", "node", "binary"].includes(String(server?.type))) problems.push("server.type must be python, node or binary");
  str("server.entry_point", server?.entry_point);
  if (typeof server?.entry_point === "string" && !files.has(server.entry_point)) problems.push(`server.entry_point ${server.entry_point} is not in the bundle`);
  const mcp = server?.mcp_config as Json | undefined;
  extra("server.mcp_config", mcp, ALLOWED.mcpConfig);
  str("server.mcp_config.command", mcp?.command);
  if (mcp?.args !== undefined && !(Array.isArray(mcp.args) && mcp.args.every((a) => typeof a === "string"))) problems.push("mcp_config.args must be strings");
  const env = (mcp?.env ?? {}) as Json;
  const options = (m.user_config ?? {}) as Record<string, Json>;
  for (const [name, v] of Object.entries(env)) {
    if (typeof v !== "string") problems.push(`mcp_config.env.${name} must be a string`);
    for (const ref of String(v).matchAll(/\$\{([^}]+)\}/g)) {
      const variable = ref[1] ?? "";
      const key = variable.startsWith("user_config.") ? variable.slice("user_config.".length) : undefined;
      if (key !== undefined ? !(key in options) : !["__dirname", "HOME", "DESKTOP", "DOCUMENTS", "DOWNLOADS", "pathSeparator", "/"].includes(variable)) problems.push(`mcp_config.env.${name} refers to unknown \${${variable}}`);
    }
  }
  if (m.tools !== undefined) {
    if (!Array.isArray(m.tools)) problems.push("tools must be an array");
    else for (const [i, t] of (m.tools as Json[]).entries()) {
      extra(`tools[${i}]`, t, ALLOWED.tool);
      str(`tools[${i}].name`, t.name);
    }
  }
  if (m.compatibility !== undefined) {
    extra("compatibility", m.compatibility, ALLOWED.compatibility);
    const platforms = (m.compatibility as Json).platforms;
    if (platforms !== undefined && !(Array.isArray(platforms) && platforms.every((p) => ["darwin", "win32", "linux"].includes(String(p))))) problems.push("compatibility.platforms must name darwin, win32 or linux");
  }
  for (const [key, o] of Object.entries(options)) {
    extra(`user_config.${key}`, o, ALLOWED.option);
    if (!["string", "number", "boolean", "directory", "file"].includes(String(o.type))) problems.push(`user_config.${key}.type is not a valid type`);
    str(`user_config.${key}.title`, o.title);
    str(`user_config.${key}.description`, o.description);
    if (o.required !== undefined && typeof o.required !== "boolean") problems.push(`user_config.${key}.required must be boolean`);
    if (o.sensitive !== undefined && o.type !== "string") problems.push(`user_config.${key}.sensitive only applies to strings`);
    if (o.default !== undefined && o.type === "boolean" && typeof o.default !== "boolean") problems.push(`user_config.${key}.default must be boolean`);
  }
  return problems;
}

async function bundle(): Promise<{ target: Target; manifest: Json; files: Map<string, { mode: number; data: Uint8Array }> }> {
  const { releaseDir, target } = await hostRelease();
  const entries = readZip(await Bun.file(join(releaseDir, mcpbName(target))).bytes());
  const files = new Map(entries.map((e) => [e.name, { mode: e.mode, data: e.data }]));
  const manifest = JSON.parse(new TextDecoder().decode(files.get("manifest.json")?.data)) as Json;
  return { target, manifest, files };
}

const SAMPLE_TOOLS: ToolInfo[] = [{ name: "proxmox_status", description: "status" }];
const HOST_HAS_BUNDLE = hostTarget().mcpb;

describe("MCPB manifest rules", () => {
  test("every desktop bundle's manifest passes the MCPB 0.3 checks, with its own platform and binary", () => {
    for (const target of TARGETS.filter((t) => t.mcpb)) {
      const m = mcpbManifest(target, SAMPLE_TOOLS);
      expect(manifestProblems(m, new Set([`server/${target.exe}`]))).toEqual([]);
      expect((m.compatibility as Json).platforms).toEqual([target.os]);
      expect((m.server as Json).entry_point).toBe(`server/${target.exe}`);
    }
  });

  test("the bundles are for darwin-arm64, darwin-x64, windows-x64 and linux-x64", () => {
    expect(TARGETS.filter((t) => t.mcpb).map((t) => t.id).sort()).toEqual(["darwin-arm64", "darwin-x64", "linux-x64", "windows-x64"]);
  });

  test("the checks catch an unknown key, a missing entry point and a dangling user_config reference", () => {
    const m = mcpbManifest(TARGETS[0] as Target, SAMPLE_TOOLS);
    const broken = { ...m, colour: "red", server: { ...(m.server as Json), mcp_config: { command: "x", env: { A: "${user_config.nope}" } } } };
    const problems = manifestProblems(broken, new Set());
    expect(problems).toContain("manifest has unknown key 'colour'");
    expect(problems.some((p) => p.includes("not in the bundle"))).toBe(true);
    expect(problems.some((p) => p.includes("${user_config.nope}"))).toBe(true);
  });

  test("the token secret is a required, sensitive field and destructive tools cannot be switched on from the dialog", () => {
    const m = mcpbManifest(TARGETS[0] as Target, SAMPLE_TOOLS);
    const options = m.user_config as Record<string, Json>;
    const secret = USER_SETTINGS.find((s) => s.env === "PROXMOX_TOKEN_SECRET");
    expect(options[secret?.key ?? ""]).toMatchObject({ type: "string", sensitive: true, required: true });
    const env = ((m.server as Json).mcp_config as Json).env as Json;
    expect(Object.keys(env).sort()).toEqual(["PROXMOX_CA_FILE", "PROXMOX_READ_ONLY", "PROXMOX_TLS_FINGERPRINT", "PROXMOX_TLS_INSECURE", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET", "PROXMOX_TOOLSETS", "PROXMOX_URL"]);
    expect(env).not.toHaveProperty("PROXMOX_ENABLE_DESTRUCTIVE");
  });

  test("the server accepts the environment a bundle install produces when every optional field is left blank", () => {
    const m = mcpbManifest(TARGETS[0] as Target, SAMPLE_TOOLS);
    const options = m.user_config as Record<string, Json>;
    const filled: Record<string, string> = { proxmox_url: "https://pve.example.local:8006", token_id: "mcp@pve!agent", token_secret: "6f1f5e2a-1b2c-4d5e-8f90-123456789abc" };
    // What the client substitutes: the user's value, else the manifest's default.
    const env = Object.fromEntries(
      Object.entries(((m.server as Json).mcp_config as Json).env as Record<string, string>).map(([k, v]) => [k, v.replace(/\$\{user_config\.([^}]+)\}/g, (_, key: string) => filled[key] ?? String(options[key]?.default ?? ""))]),
    );
    const result = loadConfig(env);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe.skipIf(!HOST_HAS_BUNDLE)("the host bundle from release --host", () => {
  test("holds manifest.json and the executable binary under server/, and passes the MCPB 0.3 checks", async () => {
    const { manifest, files, target } = await bundle();
    expect(manifestProblems(manifest, new Set(files.keys()))).toEqual([]);
    expect(manifest.version).toBe(VERSION);
    expect(files.get(`server/${target.exe}`)?.mode).toBe(0o755);
    expect(((manifest.server as Json).mcp_config as Json).command).toBe(`\${__dirname}/server/${target.exe}`);
  }, SLOW_MS);

  test("lists exactly the tools the bundled binary reports", async () => {
    const { manifest, files, target } = await bundle();
    const dir = scratchDir("mcpb-binary");
    const binary = join(dir, target.exe);
    await Bun.write(binary, files.get(`server/${target.exe}`)?.data ?? new Uint8Array(0));
    Bun.spawnSync(["chmod", "755", binary]);
    const fromBinary = readToolList(binary).map((t) => ({ name: t.name, description: t.description }));
    expect(manifest.tools).toEqual(fromBinary);
    expect(fromBinary.length).toBeGreaterThan(0);
  }, SLOW_MS);
});
