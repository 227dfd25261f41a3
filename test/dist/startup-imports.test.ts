// The compiled binary is one bundle, and every Node module it imports is loaded when it
// starts, also for a file that is only import()ed later (the simulator, doctor, HTTP): the
// bundler hoists those imports to the top. Some cost every start milliseconds: node:http
// about 4.5 ms, node:crypto about 2.5 ms, node:tls about 0.7 ms (import timed in the compiled
// binary). Code that needs them takes them from process.getBuiltinModule where it runs.
import { expect, test } from "bun:test";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
/** What a stdio session uses from the start: files, the per-request log scope, the SDK's process shim. */
const AT_START = ["async_hooks", "fs", "process"];

test("the bundle imports no Node module beyond what a stdio session needs from the start", async () => {
  const build = await Bun.build({ entrypoints: [CLI], target: "bun", format: "esm" });
  expect(build.success).toBe(true);
  const text = (await build.outputs[0]?.text()) ?? "";
  const imported = new Set([...text.matchAll(/^import\b[^;]*?\bfrom\s*"(?:node:)?([a-z_/]+)";?$/gm)].map((m) => m[1]));
  expect([...imported].sort()).toEqual(AT_START);
}, 60_000);
