// The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// devDependencies) against the binary's Streamable HTTP transport in demo mode. It runs
// under Bun: the suite does not start on Node 20. Scenarios that need the suite's own
// fixture tools, prompts or resources (test_simple_text, test://static-text, …) or
// features this server does not declare (resources.subscribe, sessions) do not apply;
// README "Conformance" lists them and why.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BINARY, ROOT } from "../helpers/harness.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

/** Every scenario of the suite that applies to a server with this server's capabilities. */
export const APPLICABLE = ["server-initialize", "ping", "logging-set-level", "tools-list", "resources-list", "prompts-list", "dns-rebinding-protection"] as const;

let server: ReturnType<typeof Bun.spawn>;
let url = "";

beforeAll(async () => {
  server = Bun.spawn([BINARY, "serve", "--http", "127.0.0.1:0", "--demo"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", PROXMOX_TOOLSETS: "all" },
    stdout: "ignore",
    stderr: "pipe",
    stdin: "ignore",
  });
  const reader = (server.stderr as ReadableStream<Uint8Array>).getReader();
  let seen = "";
  const deadline = Date.now() + 15_000;
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
    url = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(seen)?.[1] ?? "";
  }
  reader.releaseLock();
  if (!url) throw new Error(`serve --http --demo did not start: ${seen}`);
});

afterAll(() => {
  server?.kill();
  removeScratchDirs();
});

describe("MCP conformance suite against serve --http --demo", () => {
  for (const scenario of APPLICABLE) {
    test(`${scenario} passes`, async () => {
      const out = scratchDir("conformance-");
      const proc = Bun.spawn(["bun", `${ROOT}node_modules/.bin/conformance`, "server", "--url", url, "--scenario", scenario, "-o", out], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      // One scenario ends with "Passed: 2/2, 0 failed, 0 warnings".
      const m = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(stdout + stderr);
      const checks = m ? { passed: Number(m[1]), of: Number(m[2]), failed: Number(m[3]) } : undefined;
      expect({ scenario, code, checks }).toEqual({ scenario, code: 0, checks: { passed: checks?.of ?? -1, of: expect.any(Number) as never, failed: 0 } });
      expect(checks?.of).toBeGreaterThan(0);
    });
  }
});
