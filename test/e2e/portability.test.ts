// Every schema tools/list shows must be one every client accepts: the MCP Inspector's
// --strict check (a pinned devDependency) runs against the compiled binary and finds nothing.
import { describe, expect, test } from "bun:test";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { BINARY, ROOT } from "../helpers/harness.ts";

const INSPECTOR = `${ROOT}node_modules/.bin/mcp-inspector`;

describe("schema portability", () => {
  test("the Inspector's --strict check finds no portability problem in any tool schema", async () => {
    const proc = Bun.spawn(["bun", INSPECTOR, "--cli", BINARY, "--demo", "--method", "tools/list", "--strict"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", PROXMOX_TOOLSETS: "all" },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const listed = JSON.parse(stdout) as { tools: { name: string }[] };
    // It really listed the tools (a failed start would also report no findings).
    expect(listed.tools.length).toBeGreaterThan(20);
    expect(listed.tools.every((t) => ALL_TOOLS.some((tool) => tool.name === t.name))).toBe(true);
    const findings = stderr.split("\n").filter((line) => /^(Warning|Error): tool/.test(line) || /portability/.test(line));
    expect(findings).toEqual([]);
    expect(code).toBe(0);
  });

  test("a nullable field is listed as anyOf branches of one type each, never as a type list", async () => {
    const { listedSchemas } = await import("../../src/tools/json-schema.ts");
    const text = JSON.stringify(ALL_TOOLS.map((t) => listedSchemas(t)));
    expect(text).not.toMatch(/"type":\[/);
    expect(text).toContain('"anyOf":[{"type":"string"},{"type":"null"}]');
  });
});
