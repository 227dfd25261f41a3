// Shared plumbing for the distribution tests: one host-only release per test run (compiling
// and packing a 110 MB binary takes seconds, so every file reuses the same build), and the
// locations of a full `bun run release`, whose artifacts some tests check when present.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
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

const SCRATCH_PREFIX = "proxmox-mcp-dist-test-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A scratch folder for this test process. bun test runs no exit hooks, so instead each run
 * sweeps the folders of earlier runs whose process is gone (a build leaves ~600 MB behind);
 * folders of test runs still going, in this tree or another, are left alone.
 */
export function scratchDir(name: string): string {
  if (!scratchRoot) {
    for (const entry of readdirSync(tmpdir())) {
      const pid = Number(entry.slice(SCRATCH_PREFIX.length));
      if (entry.startsWith(SCRATCH_PREFIX) && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
        rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      }
    }
    scratchRoot = join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}`);
    rmSync(scratchRoot, { recursive: true, force: true });
    mkdirSync(scratchRoot, { recursive: true });
  }
  const dir = join(scratchRoot, name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Removes this process's scratch folder; test/helpers/cleanup.ts calls it once, after every test file. */
export function removeDistScratch(): void {
  if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
  scratchRoot = undefined;
  pending = undefined;
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
