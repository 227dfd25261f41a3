// Scratch folders for tests. A file that makes them calls `afterAll(removeScratchDirs)`, so
// runs leave no litter in /tmp (bun test fires no process exit event to hang this on).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pmcp-${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
