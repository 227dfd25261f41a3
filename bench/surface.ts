// 3. Token cost of the tool surface: the bytes of the `tools/list` result as it travels
// (raw JSON-RPC, so nothing is re-serialised by a client), in total and per tool, split into
// what a model reads (description, input schema) and what it mostly carries along (output
// schema, annotations). Also the `initialize` result, whose instructions an agent keeps too.
import { approxTokens, jsonBytes, RawSession, utf8 } from "./lib.ts";

export interface ToolSurface {
  name: string;
  bytes: number;
  tokens: number;
  description: number;
  inputSchema: number;
  outputSchema: number;
  /** name, title, annotations, execution and the JSON punctuation around them. */
  other: number;
}

export interface SurfaceResult {
  tools: number;
  /** Bytes of the tools/list `result` object. */
  bytes: number;
  tokens: number;
  byPart: { description: number; inputSchema: number; outputSchema: number; other: number };
  perTool: ToolSurface[];
  /** Same server with PROXMOX_READ_ONLY=true (write tools not listed). */
  readOnly: { tools: number; bytes: number; tokens: number };
  initialize: { bytes: number; tokens: number; instructions: number };
  floor: { bytes: number };
}

interface ListedTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
}

async function list(command: string, env: Record<string, string>): Promise<{ initialize: Record<string, unknown>; result: { tools: ListedTool[] } }> {
  const raw = new RawSession(command, env);
  try {
    const init = JSON.parse(await raw.initialize()) as { result: Record<string, unknown> };
    await raw.send({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    const line = await raw.response(2);
    const parsed = JSON.parse(line) as { result?: { tools: ListedTool[]; nextCursor?: string } };
    if (!parsed.result) throw new Error(`tools/list failed: ${line.slice(0, 300)}`);
    if (parsed.result.nextCursor) throw new Error("tools/list is paginated; the bench reads one page only");
    return { initialize: init.result, result: parsed.result };
  } finally {
    await raw.close();
  }
}

export async function surface(opts: { binary: string; floor: string; env: Record<string, string> }): Promise<SurfaceResult> {
  const full = await list(opts.binary, opts.env);
  const readOnly = await list(opts.binary, { ...opts.env, PROXMOX_READ_ONLY: "true" });
  const floor = await list(opts.floor, opts.env);
  const perTool = full.result.tools
    .map((t): ToolSurface => {
      const bytes = jsonBytes(t);
      const description = t.description ? utf8(JSON.stringify(t.description)) : 0;
      const inputSchema = t.inputSchema ? jsonBytes(t.inputSchema) : 0;
      const outputSchema = t.outputSchema ? jsonBytes(t.outputSchema) : 0;
      return { name: t.name, bytes, tokens: approxTokens(bytes), description, inputSchema, outputSchema, other: bytes - description - inputSchema - outputSchema };
    })
    .sort((a, b) => b.bytes - a.bytes);
  const sum = (k: keyof ToolSurface) => perTool.reduce((a, t) => a + (t[k] as number), 0);
  const bytes = jsonBytes(full.result);
  const roBytes = jsonBytes(readOnly.result);
  const instructions = typeof full.initialize.instructions === "string" ? utf8(full.initialize.instructions) : 0;
  const initBytes = jsonBytes(full.initialize);
  return {
    tools: perTool.length,
    bytes,
    tokens: approxTokens(bytes),
    byPart: { description: sum("description"), inputSchema: sum("inputSchema"), outputSchema: sum("outputSchema"), other: bytes - sum("description") - sum("inputSchema") - sum("outputSchema") },
    perTool,
    readOnly: { tools: readOnly.result.tools.length, bytes: roBytes, tokens: approxTokens(roBytes) },
    initialize: { bytes: initBytes, tokens: approxTokens(initBytes), instructions },
    floor: { bytes: jsonBytes(floor.result) },
  };
}
