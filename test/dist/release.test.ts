// `bun scripts/release.ts --host`: what a user downloads for this machine, checked the way
// they would check it (sha256sum, tar, running the binary).
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readArchive } from "../../scripts/archive.ts";
import { archiveName, clearOutputDir, mcpbName, VERSION } from "../../scripts/dist-config.ts";
import { resultsBase } from "../../bench/lib.ts";
import { parseArgs } from "../../scripts/release.ts";
import { hostRelease, ROOT, scratchDir, SLOW_MS, which } from "./helpers.ts";
import pkg from "../../package.json" with { type: "json" };

describe("release --host", () => {
  test("writes the host archive, its MCP bundle when it has one, SHA256SUMS and server.json", async () => {
    const { releaseDir, target } = await hostRelease();
    const expected = [archiveName(target), ...(target.mcpb ? [mcpbName(target)] : []), "SHA256SUMS", "server.json"].sort();
    expect(readdirSync(releaseDir).sort()).toEqual(expected);
  }, SLOW_MS);

  test("SHA256SUMS lists every downloadable file and passes sha256sum -c", async () => {
    const { releaseDir } = await hostRelease();
    const listed = (await Bun.file(join(releaseDir, "SHA256SUMS")).text()).trim().split("\n").map((l) => l.split("  ")[1]);
    expect(listed.sort()).toEqual(readdirSync(releaseDir).filter((f) => f.endsWith(".tar.gz") || f.endsWith(".zip") || f.endsWith(".mcpb")).sort());
    const checker = which("sha256sum") ? ["sha256sum", "-c", "SHA256SUMS"] : ["shasum", "-a", "256", "-c", "SHA256SUMS"];
    const proc = Bun.spawnSync(checker, { cwd: releaseDir, stdout: "pipe", stderr: "pipe" });
    expect(proc.stderr.toString()).toBe("");
    expect(proc.exitCode).toBe(0);
  }, SLOW_MS);

  test("the archive holds one folder with the binary, README.md and LICENSE", async () => {
    const { releaseDir, target } = await hostRelease();
    const top = archiveName(target).replace(/\.(tar\.gz|zip)$/, "");
    const entries = await readArchive(join(releaseDir, archiveName(target)));
    expect(entries.map((e) => e.name).sort()).toEqual([`${top}/`, `${top}/${target.exe}`, `${top}/LICENSE`, `${top}/README.md`].sort());
    expect(entries.find((e) => e.name === `${top}/${target.exe}`)?.mode).toBe(0o755);
  }, SLOW_MS);

  test.skipIf(!which("tar"))("the binary extracted with tar prints package.json's version", async () => {
    const { releaseDir, target } = await hostRelease();
    const dir = scratchDir("extract-host");
    mkdirSync(dir, { recursive: true });
    const tar = Bun.spawnSync(["tar", "-xzf", join(releaseDir, archiveName(target))], { cwd: dir, stderr: "pipe" });
    expect(tar.exitCode).toBe(0);
    const binary = join(dir, archiveName(target).replace(/\.tar\.gz$/, ""), target.exe);
    expect(statSync(binary).mode & 0o111).not.toBe(0);
    const proc = Bun.spawnSync([binary, "--version"], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
    expect(proc.exitCode).toBe(0);
    expect(proc.stdout.toString().trim()).toBe(pkg.version);
  }, SLOW_MS);
});

describe("release arguments", () => {
  test("--host picks exactly one target and --targets picks the named ones", () => {
    expect(parseArgs(["--host"]).targets).toHaveLength(1);
    expect(parseArgs(["--targets", "darwin-arm64,windows-x64"]).targets.map((t) => t.id)).toEqual(["darwin-arm64", "windows-x64"]);
  });

  test("an unknown target or flag is refused before anything is built", () => {
    expect(() => parseArgs(["--targets", "beos-x86"])).toThrow(/unknown target/);
    expect(() => parseArgs(["--fast"])).toThrow(/unknown argument/);
  });

  test("an output folder holding files the release did not write is refused, not emptied", async () => {
    const dir = scratchDir("foreign-out");
    mkdirSync(dir, { recursive: true });
    await Bun.write(join(dir, "thesis.tex"), "years of work");
    expect(() => clearOutputDir(dir, (name) => name.startsWith("proxmox-mcp-"))).toThrow(/refusing to empty/);
    expect(await Bun.file(join(dir, "thesis.tex")).text()).toBe("years of work");
  });

  test("the default output is dist/release with npm packages next to it in dist/npm", () => {
    const opts = parseArgs([]);
    expect(opts.outDir.endsWith(join("dist", "release"))).toBe(true);
    expect(opts.npmOutDir.endsWith(join("dist", "npm"))).toBe(true);
    expect(opts.targets).toHaveLength(8);
    expect(VERSION).toBe(pkg.version);
  });

  test("a release leaves the committed Formula/ alone unless --update asks for it", () => {
    expect(parseArgs([]).update).toBe(false);
    expect(parseArgs(["--host"]).update).toBe(false);
    expect(parseArgs(["--update"]).update).toBe(true);
  });

  test("a benchmark run writes an untracked report unless --update asks for the committed one", () => {
    expect(resultsBase([]).endsWith("bench/results/run")).toBe(true);
    expect(resultsBase(["--update"]).endsWith("bench/results/latest")).toBe(true);
    const ignored = Bun.spawnSync(["git", "check-ignore", "-q", join(ROOT, "bench", "results", "run.md")], { cwd: ROOT });
    expect(ignored.exitCode).toBe(0);
  });
});
