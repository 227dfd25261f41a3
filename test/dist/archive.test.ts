// The archive writers: what system tools and our own readers see in them.
import { describe, expect, test } from "bun:test";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type ArchiveEntry, readTarGz, readZip, tarGz, zip } from "../../scripts/archive.ts";
import { scratchDir, which } from "./helpers.ts";

const enc = new TextEncoder();
const MTIME = 1_700_000_000;
const ENTRIES: ArchiveEntry[] = [
  { name: "pkg/", mode: 0o755, data: new Uint8Array(0) },
  { name: "pkg/tool", mode: 0o755, data: enc.encode("#!/bin/sh\necho hi\n".repeat(50)) },
  { name: "pkg/README.md", mode: 0o644, data: enc.encode("read me") },
];

describe("tar.gz", () => {
  test("the same entries and time give byte-identical archives", () => {
    expect(Buffer.from(tarGz(ENTRIES, MTIME)).equals(Buffer.from(tarGz(ENTRIES, MTIME)))).toBe(true);
  });

  test("reading back returns every name, mode and content", () => {
    const back = readTarGz(tarGz(ENTRIES, MTIME));
    expect(back.map((e) => [e.name, e.mode, new TextDecoder().decode(e.data)])).toEqual(ENTRIES.map((e) => [e.name, e.mode, new TextDecoder().decode(e.data)]));
  });

  test.skipIf(!which("tar"))("system tar extracts it with the executable bit and the fixed time", async () => {
    const dir = scratchDir("tar-extract");
    mkdirSync(dir, { recursive: true });
    await Bun.write(join(dir, "a.tar.gz"), tarGz(ENTRIES, MTIME));
    const proc = Bun.spawnSync(["tar", "-xzf", "a.tar.gz"], { cwd: dir, stderr: "pipe" });
    expect(proc.stderr.toString()).toBe("");
    expect(proc.exitCode).toBe(0);
    const tool = statSync(join(dir, "pkg", "tool"));
    expect(tool.mode & 0o777).toBe(0o755);
    expect(Math.floor(tool.mtimeMs / 1000)).toBe(MTIME);
    expect(statSync(join(dir, "pkg", "README.md")).mode & 0o777).toBe(0o644);
  });
});

describe("zip", () => {
  test("the same entries and time give byte-identical archives", () => {
    expect(Buffer.from(zip(ENTRIES, MTIME)).equals(Buffer.from(zip(ENTRIES, MTIME)))).toBe(true);
  });

  test("reading back returns every name, mode and content, deflated or stored", () => {
    const back = readZip(zip(ENTRIES, MTIME));
    expect(back.map((e) => [e.name, e.mode, new TextDecoder().decode(e.data)])).toEqual(ENTRIES.map((e) => [e.name, e.mode, new TextDecoder().decode(e.data)]));
  });

  test.skipIf(!which("unzip"))("system unzip tests it clean and restores the executable bit", async () => {
    const dir = scratchDir("zip-extract");
    mkdirSync(dir, { recursive: true });
    await Bun.write(join(dir, "a.zip"), zip(ENTRIES, MTIME));
    const check = Bun.spawnSync(["unzip", "-t", "a.zip"], { cwd: dir, stdout: "pipe" });
    expect(check.stdout.toString()).toContain("No errors detected");
    expect(Bun.spawnSync(["unzip", "-q", "a.zip"], { cwd: dir }).exitCode).toBe(0);
    expect(statSync(join(dir, "pkg", "tool")).mode & 0o777).toBe(0o755);
  });
});
