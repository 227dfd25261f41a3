// The npx fallback without publishing anything: `npm pack` the launcher and this machine's
// platform package, install both from the tarballs into an empty folder with an empty cache,
// offline, and run what npm put in node_modules/.bin.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { MCP_REGISTRY_NAME, NPM_LAUNCHER, npmPlatformPackage, TARGETS, VERSION } from "../../scripts/dist-config.ts";
import { launcherPackageJson, platformPackageJson } from "../../scripts/npm-packages.ts";
import { hostRelease, scratchDir, SLOW_MS, waitUntil, which } from "./helpers.ts";

const HAVE_NPM = Boolean(which("npm") && which("node"));
const BASE_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" };

interface Installed {
  app: string;
  bin: string;
  tarballs: string[];
  cache: string;
}

let installed: Promise<Installed> | undefined;

function npm(args: string[], cwd: string, cache: string): { code: number; stdout: string; out: string } {
  // An empty cache and --offline: nothing may come from (or go to) a registry.
  const proc = Bun.spawnSync(["npm", ...args, "--cache", cache, "--no-audit", "--no-fund", "--offline", "--loglevel=error"], { cwd, stdout: "pipe", stderr: "pipe", env: { ...BASE_ENV, npm_config_update_notifier: "false" } });
  return { code: proc.exitCode ?? 1, stdout: proc.stdout.toString(), out: `${proc.stdout.toString()}${proc.stderr.toString()}` };
}

/** Packs the launcher and the host package, installs both into a clean folder, once. */
function installFromTarballs(withPlatform = true): Promise<Installed> {
  const run = async (): Promise<Installed> => {
    const { npmDir, target } = await hostRelease();
    const root = scratchDir(withPlatform ? "npm-install" : "npm-install-launcher-only");
    const [tarballs, cache, app] = [join(root, "tgz"), join(root, "cache"), join(root, "app")];
    for (const d of [tarballs, cache, app]) mkdirSync(d, { recursive: true });
    const dirs = [join(npmDir, "proxmox-mcp"), ...(withPlatform ? [join(npmDir, `proxmox-mcp-${target.npm}`)] : [])];
    const packed = npm(["pack", "--pack-destination", tarballs, ...dirs], root, cache);
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
    await Bun.write(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    const files = readdirSync(tarballs).map((f) => join(tarballs, f));
    const install = npm(["install", ...files], app, cache);
    if (install.code !== 0) throw new Error(`npm install failed:\n${install.out}`);
    return { app, bin: join(app, "node_modules", ".bin", process.platform === "win32" ? "proxmox-mcp.cmd" : "proxmox-mcp"), tarballs: files, cache };
  };
  if (!withPlatform) return run();
  installed ??= run();
  return installed;
}

describe("npm package manifests", () => {
  test("each platform package declares os, cpu (and libc on Linux) so npm installs only the matching one", () => {
    for (const target of TARGETS.filter((t) => t.npm)) {
      const manifest = platformPackageJson(target);
      expect(manifest.name).toBe(npmPlatformPackage(target) ?? "");
      expect(manifest.os).toEqual([target.os]);
      expect(manifest.cpu).toEqual([target.cpu]);
      expect(manifest.libc).toEqual(target.os === "linux" ? [target.libc] : undefined);
      expect(manifest).not.toHaveProperty("scripts");
    }
  });

  test("the launcher depends optionally on every platform package at its own version and runs no install script", () => {
    const manifest = launcherPackageJson();
    expect(manifest.name).toBe(NPM_LAUNCHER);
    expect(manifest.version).toBe(VERSION);
    const expected = Object.fromEntries(TARGETS.filter((t) => t.npm).map((t) => [npmPlatformPackage(t), VERSION]));
    expect(manifest.optionalDependencies).toEqual(expected);
    expect(manifest).not.toHaveProperty("scripts");
    expect(manifest).not.toHaveProperty("dependencies");
    expect(manifest.bin).toEqual({ "proxmox-mcp": "bin/proxmox-mcp.js" });
  });

  test("the launcher carries mcpName, which the MCP registry checks against server.json", () => {
    expect(launcherPackageJson().mcpName).toBe(MCP_REGISTRY_NAME);
  });
});

describe.skipIf(!HAVE_NPM)("npx fallback installed from packed tarballs", () => {
  test("node_modules/.bin/proxmox-mcp prints package.json's version", async () => {
    const { bin } = await installFromTarballs();
    const proc = Bun.spawnSync([bin, "--version"], { stdout: "pipe", stderr: "pipe", env: BASE_ENV });
    expect(proc.stderr.toString()).toBe("");
    expect(proc.stdout.toString().trim()).toBe(VERSION);
    expect(proc.exitCode).toBe(0);
  }, SLOW_MS);

  test("npx runs it straight from the tarballs, as `npx -y @proxmox-mcp/proxmox-mcp` would from the registry", async () => {
    const { tarballs, cache, app } = await installFromTarballs();
    const proc = npm(["exec", "--yes", ...tarballs.map((t) => `--package=${t}`), "--", "proxmox-mcp", "--version"], join(app, ".."), cache);
    expect({ code: proc.code, stdout: proc.stdout.trim() }).toEqual({ code: 0, stdout: VERSION });
  }, SLOW_MS);

  test("the installed platform package keeps the binary executable", async () => {
    const { app } = await installFromTarballs();
    const { target } = await hostRelease();
    const pkgDir = join(app, "node_modules", ...(npmPlatformPackage(target) ?? "").split("/"));
    expect(JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version).toBe(VERSION);
    expect(Bun.spawnSync([join(pkgDir, "bin", target.exe), "--version"], { stdout: "pipe" }).stdout.toString().trim()).toBe(VERSION);
  }, SLOW_MS);

  test("through the launcher an MCP client initializes the --demo server and lists its tools", async () => {
    const { bin } = await installFromTarballs();
    const transport = new StdioClientTransport({ command: bin, args: ["--demo"], env: BASE_ENV, stderr: "pipe" });
    const client = new Client({ name: "proxmox-mcp-dist-test", version: "1.0.0" });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()?.version).toBe(VERSION);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("proxmox_status");
    } finally {
      await client.close();
    }
  }, SLOW_MS);

  test.skipIf(process.platform !== "linux")("SIGTERM to the launcher stops the server it started", async () => {
    const { bin } = await installFromTarballs();
    const launcher = Bun.spawn(["node", bin, "--demo"], { stdin: "pipe", stdout: "pipe", stderr: "ignore", env: BASE_ENV });
    // Wait for the server to answer, so it is surely running before the signal.
    launcher.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } })}\n`);
    await launcher.stdin.flush();
    const reader = launcher.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"id":1');
    const children = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    expect(children).toHaveLength(1);
    const server = children[0] as number;
    launcher.kill("SIGTERM");
    await launcher.exited;
    const gone = await waitUntil(() => !existsSync(`/proc/${server}`) || readFileSync(`/proc/${server}/stat`, "utf8").split(" ")[2] === "Z", 3000);
    expect(gone).toBe(true);
  }, SLOW_MS);

  test("without a platform package the launcher names the published platforms and exits 1", async () => {
    const { bin } = await installFromTarballs(false);
    const proc = Bun.spawnSync([bin, "--version"], { stdout: "pipe", stderr: "pipe", env: BASE_ENV });
    expect(proc.exitCode).toBe(1);
    const err = proc.stderr.toString();
    expect(err).toContain("no binary for this platform");
    for (const t of TARGETS.filter((x) => x.npm)) expect(err).toContain(t.npm ?? "");
  }, SLOW_MS);
});
