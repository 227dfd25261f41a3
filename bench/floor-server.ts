// The cold-start floor: the smallest MCP stdio server the same SDK makes, with one tool.
// bench/run.ts compiles it with scripts/compile.ts, as proxmox-mcp is compiled (minified,
// bytecode, ESM, start-up JIT policy) and times it beside the real binary: what is left over is ours.
// Its tool also gives the per-call floor: an MCP round trip over stdio that does no work.
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { endStartup, endStartupSoon } from "../src/startup.ts";

// A hand-written Standard Schema with its JSON Schema, as src/tools/registry.ts hands the
// SDK its schemas: no validator library is loaded, so the floor stays a floor.
const echoInput = {
  "~standard": {
    version: 1 as const,
    vendor: "bench",
    validate: (value: unknown) => ({ value: value as { text?: string } }),
    jsonSchema: {
      input: () => ({ type: "object", properties: { text: { type: "string" } }, additionalProperties: false }),
      output: () => ({ type: "object", properties: { text: { type: "string" } }, additionalProperties: false }),
    },
  },
};

endStartupSoon(); // as proxmox-mcp does: the same start-up JIT policy, the same way back
serveStdio(() => {
  const server = new McpServer({ name: "bench-floor", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.registerTool("echo", { title: "Echo", description: "Returns its text.", inputSchema: echoInput }, async (args: unknown) => (endStartup(), {
    content: [{ type: "text" as const, text: (args as { text?: string }).text ?? "" }],
  }));
  return server;
});
