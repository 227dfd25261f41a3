// openclaw/: the native OpenClaw plugin. openclaw.plugin.json is its manifest
// (docs/plugins/manifest.md in the openclaw package): `id` and an inline JSON Schema
// `configSchema` are required; `mcpServers` declares the stdio server OpenClaw starts while
// the plugin is enabled. package.json's `openclaw.extensions` names the runtime entry, which
// registers nothing. .ci/run installs and inspects it with the real OpenClaw CLI.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

type Json = Record<string, unknown>;
const manifest = JSON.parse(readFileSync(join(ROOT, "openclaw", "openclaw.plugin.json"), "utf8")) as Json;
const pluginPackage = JSON.parse(readFileSync(join(ROOT, "openclaw", "package.json"), "utf8")) as Json;

describe("openclaw.plugin.json", () => {
  test("has the required id and an object configSchema that accepts no unknown settings", () => {
    expect(manifest.id).toBe("proxmox-mcp");
    expect(manifest.configSchema).toMatchObject({ type: "object", additionalProperties: false });
  });

  test("declares one stdio MCP server started as proxmox-mcp from PATH, with no secrets or destructive switch inside", () => {
    const servers = manifest.mcpServers as Record<string, Json>;
    expect(Object.keys(servers)).toEqual(["proxmox"]);
    expect(servers.proxmox).toMatchObject({ transport: "stdio", command: "proxmox-mcp", args: [] });
    expect(JSON.stringify(manifest)).not.toMatch(/TOKEN_SECRET"|ENABLE_DESTRUCTIVE"\s*:/);
    expect(servers.proxmox).not.toHaveProperty("env");
  });

  test("its package names an entry that exists and depends on nothing, so OpenClaw loads it without installing anything", async () => {
    expect(pluginPackage.openclaw).toEqual({ extensions: ["./index.mjs"] });
    expect(pluginPackage).not.toHaveProperty("dependencies");
    expect(pluginPackage.name).toBe(manifest.id);
    const entry = (await import(join(ROOT, "openclaw", "index.mjs"))).default as { id: string; register: unknown };
    expect(entry.id).toBe(manifest.id as string);
    expect(typeof entry.register).toBe("function");
  });
});
