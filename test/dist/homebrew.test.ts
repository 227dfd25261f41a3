// The Homebrew formula: generated from SHA256SUMS, parsed back, every url and sha256 compared
// with the artifacts it names.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { archiveName, releaseAssetUrl, VERSION } from "../../scripts/dist-config.ts";
import { brewTargets, formula, parseSha256Sums } from "../../scripts/homebrew.ts";
import { RELEASE_DIR, ROOT } from "./helpers.ts";

interface Bottle {
  os: string;
  arch: string;
  url: string;
  sha256: string;
}

/** Reads the on_<os> / on_<arch> blocks of a formula into (os, arch, url, sha256) rows. */
function parseFormula(text: string): { className?: string; version?: string; bottles: Bottle[]; install: boolean; testsVersion: boolean } {
  const bottles: Bottle[] = [];
  let os: string | undefined;
  let arch: string | undefined;
  let url: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const open = /^on_(macos|linux|intel|arm) do$/.exec(line)?.[1];
    if (open === "macos" || open === "linux") os = open;
    else if (open) arch = open;
    const u = /^url "([^"]+)"$/.exec(line)?.[1];
    if (u) url = u;
    const sha = /^sha256 "([0-9a-f]{64})"$/.exec(line)?.[1];
    if (sha && os && arch && url) bottles.push({ os, arch, url, sha256: sha });
    if (line === "end" && arch) arch = undefined;
    else if (line === "end" && os) os = undefined;
  }
  return {
    className: /^class (\w+) < Formula$/m.exec(text)?.[1],
    version: /^\s*version "([^"]+)"$/m.exec(text)?.[1],
    bottles,
    install: /^\s*bin\.install "proxmox-mcp"$/m.test(text),
    testsVersion: /test do[\s\S]*--version[\s\S]*end/.test(text),
  };
}

function fakeSums(): string {
  return brewTargets()
    .map((t, i) => `${String(i + 1).repeat(64)}  ${archiveName(t)}`)
    .join("\n");
}

describe("Homebrew formula", () => {
  test("covers macOS and Linux on Intel and ARM, each url with the sha256 SHA256SUMS gives it", () => {
    const sums = parseSha256Sums(fakeSums());
    const parsed = parseFormula(formula(sums));
    expect(parsed.bottles.map((b) => `${b.os}/${b.arch}`).sort()).toEqual(["linux/arm", "linux/intel", "macos/arm", "macos/intel"]);
    for (const b of parsed.bottles) {
      const file = b.url.split("/").pop() ?? "";
      expect(b.url).toBe(releaseAssetUrl(file));
      expect(b.sha256).toBe(sums.get(file) ?? "");
    }
  });

  test("installs proxmox-mcp and its test block checks --version against the formula version", () => {
    const parsed = parseFormula(formula(parseSha256Sums(fakeSums())));
    expect(parsed.className).toBe("ProxmoxMcp");
    expect(parsed.version).toBe(VERSION);
    expect(parsed.install).toBe(true);
    expect(parsed.testsVersion).toBe(true);
  });

  test("refuses a SHA256SUMS that lacks one of the four archives", () => {
    const partial = parseSha256Sums(fakeSums().split("\n").slice(1).join("\n"));
    expect(() => formula(partial)).toThrow(/no entry for/);
  });

  test("SHA256SUMS lines that are not '<sha256>  <file>' are refused", () => {
    expect(() => parseSha256Sums("abc  file.tar.gz")).toThrow(/cannot read/);
  });

  test("the committed Formula/proxmox-mcp.rb parses into four platforms with release URLs", () => {
    const parsed = parseFormula(readFileSync(join(ROOT, "Formula", "proxmox-mcp.rb"), "utf8"));
    expect(parsed.bottles).toHaveLength(4);
    for (const b of parsed.bottles) expect(b.url).toBe(releaseAssetUrl(b.url.split("/").pop() ?? "", parsed.version));
    expect(parsed.install && parsed.testsVersion).toBe(true);
  });

  const fullRelease = existsSync(join(RELEASE_DIR, "Formula", "proxmox-mcp.rb"));
  test.skipIf(!fullRelease)("after `bun run release`, both formulas carry the sha256 of the archives in dist/release", async () => {
    const sums = parseSha256Sums(readFileSync(join(RELEASE_DIR, "SHA256SUMS"), "utf8"));
    for (const path of [join(RELEASE_DIR, "Formula", "proxmox-mcp.rb"), join(ROOT, "Formula", "proxmox-mcp.rb")]) {
      const parsed = parseFormula(readFileSync(path, "utf8"));
      expect(parsed.bottles).toHaveLength(4);
      for (const b of parsed.bottles) {
        const file = b.url.split("/").pop() ?? "";
        const actual = new Bun.CryptoHasher("sha256").update(await Bun.file(join(RELEASE_DIR, file)).bytes()).digest("hex");
        expect({ file, sha256: b.sha256 }).toEqual({ file, sha256: actual });
        expect(sums.get(file)).toBe(actual);
      }
    }
  });
});
