// `bun run release`: every distributable of one version, into dist/release/:
//   proxmox-mcp-<version>-<target>.tar.gz (.zip for Windows)  binary + README.md + LICENSE
//   proxmox-mcp-<version>-<target>.mcpb                         Claude Desktop bundles
//   SHA256SUMS                                                  `sha256sum -c SHA256SUMS` format
//   server.json                                                 official MCP registry entry
//   Formula/proxmox-mcp.rb                                      Homebrew (`--update` also refreshes the committed Formula/)
// and the npm packages into dist/npm/ (scripts/npm-packages.ts).
//
//   bun scripts/release.ts                     all targets (cross-compiling downloads Bun runtimes from npm)
//   bun scripts/release.ts --host              only this machine's target (what the tests build)
//   bun scripts/release.ts --targets linux-x64,darwin-arm64
//   options: --out <dir> (default dist/release), --npm-out <dir> (default <out>/../npm), --no-bytecode
//
// Bytecode is on. Measured with `bun bench/bytecode.ts 30` (bun 1.4.5, linux-x64, 2 CPUs;
// bench/results/bytecode.md): `--version` 52 → 27 ms median, spawn → MCP initialize answered
// 70 → 37 ms, → tools/list answered 78 → 48 ms, for +3.7 MB (110 → 113 MB). An agent starts the
// server on every session, so halving start-up is worth 3% more bytes.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type ArchiveEntry, sourceDateEpoch, tarGz, zip } from "./archive.ts";
import { compileBinary } from "./compile.ts";
import { archiveName, clearOutputDir, hostTarget, mcpbName, TARGETS, type Target, targetById, VERSION } from "./dist-config.ts";
import { brewTargets, writeFormula } from "./homebrew.ts";
import { mcpbEntries, readToolList, type ToolInfo } from "./mcpb.ts";
import { buildNpmPackages } from "./npm-packages.ts";
import { serverJson } from "./server-json.ts";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const DEFAULT_OUT = join(ROOT, "dist", "release");
export const USE_BYTECODE = true;

export interface ReleaseOptions {
  targets: readonly Target[];
  outDir: string;
  npmOutDir: string;
  bytecode: boolean;
  /** Also refresh the committed Formula/proxmox-mcp.rb (`--update`). */
  update?: boolean;
}

export interface ReleaseResult {
  files: string[];
  tools: ToolInfo[];
}

function log(message: string): void {
  process.stderr.write(`release: ${message}\n`);
}

async function sha256(path: string): Promise<string> {
  return new Bun.CryptoHasher("sha256").update(await Bun.file(path).bytes()).digest("hex");
}

export async function release(opts: ReleaseOptions): Promise<ReleaseResult> {
  const started = performance.now();
  // A release directory is all or nothing: stale archives of an older build would end up in
  // SHA256SUMS next to the new ones.
  clearOutputDir(opts.outDir, (name) => name.startsWith("proxmox-mcp-") || ["SHA256SUMS", "server.json", "Formula", ".build"].includes(name));
  const stage = join(opts.outDir, ".build");
  mkdirSync(stage, { recursive: true });
  const host = hostTarget();

  const binaries = new Map<string, string>();
  for (const target of opts.targets) {
    const outfile = join(stage, target.id, target.exe);
    const t0 = performance.now();
    // The host build uses the running Bun; other targets are downloaded by Bun on first use.
    await compileBinary({ outfile, target: target === host ? undefined : target.bunTarget, minify: true, bytecode: opts.bytecode });
    binaries.set(target.id, outfile);
    log(`compiled ${target.id} in ${Math.round(performance.now() - t0)} ms`);
  }

  // The bundles list the tools the shipped code really has, asked from a binary this machine runs.
  let hostBinary = binaries.get(host.id);
  if (!hostBinary) {
    hostBinary = join(stage, "host", host.exe);
    await compileBinary({ outfile: hostBinary, minify: true, bytecode: opts.bytecode });
  }
  const version = Bun.spawnSync([hostBinary, "--version"], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  if (version.stdout.toString().trim() !== VERSION) {
    throw new Error(`the built binary says '${version.stdout.toString().trim()}' for --version, expected ${VERSION}: ${version.stderr.toString()}`);
  }
  const tools = readToolList(hostBinary);
  log(`${tools.length} tools in this build`);

  const mtime = sourceDateEpoch();
  const readme = readFileSync(join(ROOT, "README.md"));
  const license = readFileSync(join(ROOT, "LICENSE"));
  const files: string[] = [];
  const bundles: { fileName: string; sha256: string }[] = [];
  for (const target of opts.targets) {
    const binaryPath = binaries.get(target.id);
    if (!binaryPath) continue;
    const binary = new Uint8Array(readFileSync(binaryPath));
    // One top-level folder, so extracting never spills files into the current directory
    // (Homebrew steps into a lone top-level folder by itself).
    const top = archiveName(target).replace(/\.(tar\.gz|zip)$/, "");
    const entries: ArchiveEntry[] = [
      { name: `${top}/`, mode: 0o755, data: new Uint8Array(0) },
      { name: `${top}/${target.exe}`, mode: 0o755, data: binary },
      { name: `${top}/README.md`, mode: 0o644, data: readme },
      { name: `${top}/LICENSE`, mode: 0o644, data: license },
    ];
    const archivePath = join(opts.outDir, archiveName(target));
    await Bun.write(archivePath, target.archive === "zip" ? zip(entries, mtime) : tarGz(entries, mtime));
    files.push(archivePath);

    if (target.mcpb) {
      const bundlePath = join(opts.outDir, mcpbName(target));
      const extras: ArchiveEntry[] = [
        { name: "README.md", mode: 0o644, data: readme },
        { name: "LICENSE", mode: 0o644, data: license },
      ];
      await Bun.write(bundlePath, zip(mcpbEntries(target, binary, tools, extras), mtime));
      files.push(bundlePath);
      bundles.push({ fileName: mcpbName(target), sha256: await sha256(bundlePath) });
    }
    log(`packed ${target.id}`);
  }

  files.sort();
  const sums: string[] = [];
  for (const file of files) sums.push(`${await sha256(file)}  ${file.slice(opts.outDir.length + 1)}`);
  await Bun.write(join(opts.outDir, "SHA256SUMS"), `${sums.join("\n")}\n`);
  await Bun.write(join(opts.outDir, "server.json"), `${JSON.stringify(serverJson(bundles), null, 2)}\n`);

  if (brewTargets().every((t) => opts.targets.includes(t))) {
    const text = await writeFormula(opts.outDir);
    // Only `--update` refreshes the committed formula (a full release into the real folder);
    // otherwise the formula stays in <out>/Formula/, untracked.
    if (opts.update && resolve(opts.outDir) === DEFAULT_OUT) {
      mkdirSync(join(ROOT, "Formula"), { recursive: true });
      await Bun.write(join(ROOT, "Formula", "proxmox-mcp.rb"), text);
      log("refreshed Formula/proxmox-mcp.rb");
    }
  } else {
    log("Homebrew formula skipped: it needs the darwin-x64, darwin-arm64, linux-x64 and linux-arm64 archives");
  }

  await buildNpmPackages({ releaseDir: opts.outDir, outDir: opts.npmOutDir });
  rmSync(stage, { recursive: true, force: true });
  log(`done in ${Math.round(performance.now() - started)} ms: ${opts.outDir}`);
  return { files, tools };
}

export function parseArgs(argv: readonly string[]): ReleaseOptions {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
    return v;
  };
  const known = new Set(["--targets", "--host", "--out", "--npm-out", "--no-bytecode", "--update"]);
  for (const [i, arg] of argv.entries()) {
    const previous = argv[i - 1];
    const isValue = previous === "--targets" || previous === "--out" || previous === "--npm-out";
    if (!isValue && !known.has(arg)) throw new Error(`unknown argument '${arg}'`);
  }
  const list = value("--targets");
  const targets = argv.includes("--host") ? [hostTarget()] : list ? list.split(",").map((id) => targetById(id.trim())) : [...TARGETS];
  const outDir = resolve(value("--out") ?? DEFAULT_OUT);
  return { targets, outDir, npmOutDir: resolve(value("--npm-out") ?? join(dirname(outDir), "npm")), bytecode: USE_BYTECODE && !argv.includes("--no-bytecode"), update: argv.includes("--update") };
}

if (import.meta.main) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const result = await release(opts);
    for (const f of result.files) log(`  ${f}`);
    log(`verify with: cd ${opts.outDir} && sha256sum -c SHA256SUMS`);
  } catch (error) {
    process.stderr.write(`release: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
