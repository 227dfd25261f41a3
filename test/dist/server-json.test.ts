// server.json for the official MCP registry, checked against the 2025-12-11 schema's required
// fields and limits (modelcontextprotocol/registry, docs/reference/server-json).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { MCP_REGISTRY_NAME, mcpbName, NPM_LAUNCHER, REPOSITORY_URL } from "../../scripts/dist-config.ts";
import { parseSha256Sums } from "../../scripts/homebrew.ts";
import { launcherPackageJson } from "../../scripts/npm-packages.ts";
import { SERVER_SCHEMA_URL, serverJson } from "../../scripts/server-json.ts";
import { hostRelease, SLOW_MS } from "./helpers.ts";
import pkg from "../../package.json" with { type: "json" };

type Json = Record<string, unknown>;

async function released(): Promise<Json> {
  const { releaseDir } = await hostRelease();
  return JSON.parse(await Bun.file(join(releaseDir, "server.json")).text()) as Json;
}

describe("server.json", () => {
  test("has the schema URL and the required name, description and version within the schema's limits", async () => {
    const s = await released();
    expect(s.$schema).toBe(SERVER_SCHEMA_URL);
    expect(s.name).toBe(MCP_REGISTRY_NAME);
    expect(String(s.name)).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(String(s.name)).toMatch(/^io\.github\.[^/]+\/proxmox-mcp$/);
    expect(String(s.description).length).toBeGreaterThan(0);
    expect(String(s.description).length).toBeLessThanOrEqual(100);
    expect(s.repository).toEqual({ url: REPOSITORY_URL, source: "github" });
  }, SLOW_MS);

  test("every version in it is package.json's version", async () => {
    const s = await released();
    expect(s.version).toBe(pkg.version);
    for (const p of s.packages as Json[]) expect(p.version).toBe(pkg.version);
  }, SLOW_MS);

  test("offers the npm launcher over stdio with the secret marked isSecret, and no destructive switch", async () => {
    const npm = ((await released()).packages as Json[]).find((p) => p.registryType === "npm");
    expect(npm).toMatchObject({ identifier: NPM_LAUNCHER, registryBaseUrl: "https://registry.npmjs.org", transport: { type: "stdio" } });
    const env = npm?.environmentVariables as Json[];
    for (const e of env) expect(typeof e.name).toBe("string");
    expect(env.find((e) => e.name === "PROXMOX_TOKEN_SECRET")).toMatchObject({ isSecret: true, isRequired: true });
    expect(env.filter((e) => e.isSecret).map((e) => e.name)).toEqual(["PROXMOX_TOKEN_SECRET"]);
    expect(env.map((e) => e.name)).not.toContain("PROXMOX_ENABLE_DESTRUCTIVE");
    // The registry accepts the npm package only if its package.json names this server.
    expect(launcherPackageJson().mcpName).toBe(String((await released()).name));
  }, SLOW_MS);

  test("each bundle entry is a GitHub release URL whose fileSha256 matches SHA256SUMS", async () => {
    const { releaseDir, target } = await hostRelease();
    const sums = parseSha256Sums(await Bun.file(join(releaseDir, "SHA256SUMS")).text());
    const bundles = ((await released()).packages as Json[]).filter((p) => p.registryType === "mcpb");
    expect(bundles).toHaveLength(target.mcpb ? 1 : 0);
    for (const b of bundles) {
      const file = String(b.identifier).split("/").pop() ?? "";
      expect(String(b.identifier)).toStartWith(`${REPOSITORY_URL}/releases/download/v${pkg.version}/`);
      expect(b.fileSha256).toBe(sums.get(file) ?? "");
      expect(b.transport).toEqual({ type: "stdio" });
    }
    if (target.mcpb) expect(String(bundles[0]?.identifier)).toEndWith(mcpbName(target));
  }, SLOW_MS);

  test("a long description is shortened to the registry's 100 characters", () => {
    const s = serverJson([]);
    expect(String(s.description).length).toBeLessThanOrEqual(100);
    expect((s.packages as Json[]).map((p) => p.registryType)).toEqual(["npm"]);
  });
});
