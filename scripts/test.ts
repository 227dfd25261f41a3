// `bun run test`: builds the binary, runs every test with TMPDIR set to a fresh folder, and
// then checks what the run left there: every test removes what it creates, so a run may
// leave at most TMP_LIMIT_BYTES behind (a run once left ~650 MB in /tmp). Extra arguments go
// to `bun test` (e.g. a file to run).
import { lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TMP_LIMIT_BYTES = 10 * 1024 * 1024;

/** Bytes under `dir`, counting files (not following links). */
export function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    try {
      if (entry.isDirectory()) total += bytesUnder(path);
      else total += lstatSync(path).size;
    } catch {
      // Gone while counting: a process still tidying up.
    }
  }
  return total;
}

if (import.meta.main) {
  const build = Bun.spawnSync([process.execPath, "scripts/build.ts"], { stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);

  const scratch = mkdtempSync(join(tmpdir(), "pmcp-test-run-"));
  const run = Bun.spawn([process.execPath, "test", "--timeout", "60000", ...process.argv.slice(2)], {
    env: { ...process.env, TMPDIR: scratch },
    stdout: "inherit",
    stderr: "inherit",
    stdin: "ignore",
  });
  const code = await run.exited;
  const left = bytesUnder(scratch);
  const names = readdirSync(scratch);
  rmSync(scratch, { recursive: true, force: true });
  const mb = (left / 1024 / 1024).toFixed(2);
  if (left > TMP_LIMIT_BYTES) {
    process.stderr.write(`test: the run left ${mb} MB in TMPDIR (limit ${TMP_LIMIT_BYTES / 1024 / 1024} MB): ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}\n`);
    process.exit(code === 0 ? 1 : code);
  }
  process.stderr.write(`test: the run left ${mb} MB in TMPDIR (${names.length} entries; limit ${TMP_LIMIT_BYTES / 1024 / 1024} MB)\n`);
  process.exit(code);
}
