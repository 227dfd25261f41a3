// npm packages for `npx @proxmox-mcp/proxmox-mcp`, built from the release archives (the same
// bytes users download), into dist/npm/:
//   proxmox-mcp/                 the launcher: bin/proxmox-mcp.js + optionalDependencies
//   proxmox-mcp-<os>-<cpu>[-musl]/ one per platform: bin/proxmox-mcp[.exe] + os/cpu/libc
// npm installs only the platform package whose os/cpu/libc fit, and the launcher finds it at
// run time (no install scripts: npm 11 skips them by default).
//   bun scripts/npm-packages.ts [--from dist/release] [--out dist/npm]
// Publish every platform package first, then the launcher: npm publish --access public <dir>
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readArchive } from "./archive.ts";
import { archiveName, clearOutputDir, DESCRIPTION, LICENSE, MCP_REGISTRY_NAME, NPM_LAUNCHER, npmPlatformPackage, REPOSITORY_URL, TARGETS, type Target, VERSION } from "./dist-config.ts";

const ROOT = new URL("..", import.meta.url).pathname;
export const LAUNCHER_DIR_NAME = "proxmox-mcp";

export function platformDirName(target: Target): string {
  return `proxmox-mcp-${target.npm}`;
}

function links(): Record<string, unknown> {
  return {
    license: LICENSE,
    homepage: `${REPOSITORY_URL}#readme`,
    repository: { type: "git", url: `git+${REPOSITORY_URL}.git` },
    bugs: { url: `${REPOSITORY_URL}/issues` },
  };
}

export function launcherPackageJson(version: string = VERSION): Record<string, unknown> {
  const template = JSON.parse(readFileSync(join(ROOT, "npm", "package.json"), "utf8")) as Record<string, unknown>;
  delete template["//"];
  const optionalDependencies: Record<string, string> = {};
  // Every platform, present in this build or not: the published launcher must name them all.
  for (const t of TARGETS) {
    const name = npmPlatformPackage(t);
    if (name) optionalDependencies[name] = version;
  }
  return {
    name: NPM_LAUNCHER,
    version,
    description: `${DESCRIPTION} (launcher for the native binary)`,
    ...template,
    ...links(),
    // The official MCP registry checks this field to accept the npm package for server.json.
    mcpName: MCP_REGISTRY_NAME,
    optionalDependencies,
  };
}

export function platformPackageJson(target: Target, version: string = VERSION): Record<string, unknown> {
  const name = npmPlatformPackage(target);
  if (!name) throw new Error(`${target.id} has no npm package`);
  return {
    name,
    version,
    description: `The ${target.id} binary of proxmox-mcp; install ${NPM_LAUNCHER} instead of this package.`,
    ...links(),
    os: [target.os],
    cpu: [target.cpu],
    // npm skips packages whose libc does not match (Alpine gets the musl build).
    ...(target.libc ? { libc: [target.libc] } : {}),
    files: [`bin/${target.exe}`],
    // Yarn PnP: a native binary must live on disk to be executed.
    preferUnplugged: true,
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Bun.write(path, `${JSON.stringify(value, null, 2)}\n`);
}

export interface NpmBuild {
  launcherDir: string;
  platformDirs: Map<string, string>;
}

export async function buildNpmPackages(opts: { releaseDir: string; outDir: string; version?: string }): Promise<NpmBuild> {
  const version = opts.version ?? VERSION;
  clearOutputDir(opts.outDir, (name) => name.startsWith("proxmox-mcp"));
  mkdirSync(opts.outDir, { recursive: true });
  const license = readFileSync(join(ROOT, "LICENSE"));

  const platformDirs = new Map<string, string>();
  for (const target of TARGETS) {
    if (!target.npm) continue;
    const archive = join(opts.releaseDir, archiveName(target, version));
    if (!existsSync(archive)) continue; // this build did not include the platform
    const entry = (await readArchive(archive)).find((e) => e.name.endsWith(`/${target.exe}`) || e.name === target.exe);
    if (!entry) throw new Error(`${archive} holds no ${target.exe}`);
    const dir = join(opts.outDir, platformDirName(target));
    mkdirSync(join(dir, "bin"), { recursive: true });
    const binary = join(dir, "bin", target.exe);
    await Bun.write(binary, entry.data);
    // npm pack keeps the owner-execute bit; without it the launcher could not spawn the binary.
    chmodSync(binary, 0o755);
    await writeJson(join(dir, "package.json"), platformPackageJson(target, version));
    await Bun.write(join(dir, "README.md"), `# ${npmPlatformPackage(target)}\n\nThe ${target.id} binary of [proxmox-mcp](${REPOSITORY_URL}). Install [\`${NPM_LAUNCHER}\`](https://www.npmjs.com/package/${NPM_LAUNCHER}) instead; it picks this package when it fits your machine.\n`);
    await Bun.write(join(dir, "LICENSE"), license);
    platformDirs.set(target.id, dir);
  }

  const launcherDir = join(opts.outDir, LAUNCHER_DIR_NAME);
  mkdirSync(join(launcherDir, "bin"), { recursive: true });
  await writeJson(join(launcherDir, "package.json"), launcherPackageJson(version));
  const launcher = join(launcherDir, "bin", "proxmox-mcp.js");
  await Bun.write(launcher, readFileSync(join(ROOT, "npm", "bin", "proxmox-mcp.js")));
  chmodSync(launcher, 0o755);
  await Bun.write(join(launcherDir, "README.md"), readFileSync(join(ROOT, "README.md")));
  await Bun.write(join(launcherDir, "LICENSE"), license);
  return { launcherDir, platformDirs };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
  };
  const releaseDir = flag("--from", join(ROOT, "dist", "release"));
  const outDir = flag("--out", join(ROOT, "dist", "npm"));
  const built = await buildNpmPackages({ releaseDir, outDir });
  console.error(`npm packages in ${outDir}: ${[...built.platformDirs.keys()].join(", ") || "no platform packages"} + launcher`);
}
