// openclaw.plugin.json: the native OpenClaw plugin manifest (docs/plugins/manifest.md in
// openclaw/openclaw): `id` and an inline JSON Schema `configSchema` are required; `mcpServers`
// declares the stdio server OpenClaw starts while the plugin is enabled.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

type Json = Record<string, unknown>;
const manifest = JSON.parse(readFileSync(join(ROOT, "openclaw.plugin.json"), "utf8")) as Json;

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
});
