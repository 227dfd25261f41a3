// Shared plumbing for the distribution tests: one host-only release per test run (compiling
// and packing a 110 MB binary takes seconds, so every file reuses the same build), and the
// locations of a full `bun run release`, whose artifacts some tests check when present.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTarget, type Target } from "../../scripts/dist-config.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const RELEASE_DIR = join(ROOT, "dist", "release");
/** Timeout for tests that wait for the shared host build (compile + pack + npm install). */
export const SLOW_MS = 120_000;

export interface HostRelease {
  target: Target;
  releaseDir: string;
  npmDir: string;
  /** Scratch space that lives as long as the test process. */
  scratch: string;
}

let pending: Promise<HostRelease> | undefined;
let scratchRoot: string | undefined;

/** A scratch folder removed when the test process exits. */
export function scratchDir(name: string): string {
  if (!scratchRoot) {
    scratchRoot = mkdtempSync(join(tmpdir(), "proxmox-mcp-dist-test-"));
    const root = scratchRoot;
    process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  }
  const dir = join(scratchRoot, name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Runs `bun scripts/release.ts --host` into a scratch folder, once per test process. */
export function hostRelease(): Promise<HostRelease> {
  pending ??= (async () => {
    const scratch = scratchDir("host-release");
    const releaseDir = join(scratch, "release");
    const npmDir = join(scratch, "npm");
    // Run as a user would, through the script's command line.
    const proc = Bun.spawn([process.execPath, join(ROOT, "scripts", "release.ts"), "--host", "--out", releaseDir, "--npm-out", npmDir], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = [await new Response(proc.stderr).text(), await proc.exited];
    if (code !== 0) throw new Error(`release --host failed (${code}):\n${stderr}`);
    return { target: hostTarget(), releaseDir, npmDir, scratch };
  })();
  return pending;
}

export function which(command: string): string | undefined {
  return Bun.which(command) ?? undefined;
}

/** Waits until `check` holds or `ms` pass; returns whether it held. */
export async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await Bun.sleep(25);
  }
  return check();
}
