// The compiled binary starts with JavaScriptCore's JIT made reluctant (scripts/compile.ts),
// so code that runs once while starting is interpreted rather than compiled. A server runs
// for hours: from the first tool call (or a moment after start, for a client that never
// calls one) hot code is compiled as usual.
const STARTUP_WINDOW_MS = 2000;
let starting = typeof Bun !== "undefined";

/** Restores the normal JIT policy; cheap to call on every tool call. */
export function endStartup(): void {
  if (!starting) return;
  starting = false;
  // Optional: older Bun releases have no JIT policy (and build binaries without one).
  Bun.unsafe.setJITPolicy?.(1);
}

export function endStartupSoon(): void {
  if (starting) setTimeout(endStartup, STARTUP_WINDOW_MS).unref();
}
