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

/** One toolset selection as a model meets it. */
export interface SetSurface {
  /** PROXMOX_TOOLSETS as set for this listing ("" = unset, the default set). */
  toolsets: string;
  tools: number;
  /** Σ per tool of JSON.stringify({name, description, inputSchema}): what a client sends a model. */
  modelBytes: number;
  modelTokens: number;
  /** Bytes of the whole tools/list result, output schemas and annotations included. */
  fullBytes: number;
  /** Tools missing one of the four annotation hints (must be none). */
  missingAnnotations: string[];
  /** tool.parameter for every input property without a description (must be none). */
  undocumented: string[];
}

export interface SurfaceResult {
  tools: number;
  /** Bytes of the tools/list `result` object. */
  bytes: number;
  tokens: number;
  byPart: { description: number; inputSchema: number; outputSchema: number; other: number };
  perTool: ToolSurface[];
  /** The default set (PROXMOX_TOOLSETS unset) and every tool (PROXMOX_TOOLSETS=all). */
  sets: { default: SetSurface; all: SetSurface };
  /** Same server with PROXMOX_READ_ONLY=true (write tools not listed). */
  readOnly: { tools: number; bytes: number; tokens: number };
  initialize: { bytes: number; tokens: number; instructions: number };
  floor: { bytes: number };
}

interface ListedTool {
  name: string;
  description?: string;
  inputSchema?: { properties?: Record<string, { description?: string }> };
  outputSchema?: unknown;
  annotations?: Record<string, unknown>;
}

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

/** What a model is sent of one toolset selection, and whether every tool keeps its contract. */
function setSurface(toolsets: string, result: { tools: ListedTool[] }): SetSurface {
  const modelBytes = result.tools.reduce((sum, t) => sum + utf8(JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema })), 0);
  return {
    toolsets,
    tools: result.tools.length,
    modelBytes,
    modelTokens: approxTokens(modelBytes),
    fullBytes: jsonBytes(result),
    missingAnnotations: result.tools.filter((t) => HINTS.some((h) => typeof t.annotations?.[h] !== "boolean")).map((t) => t.name),
    undocumented: result.tools.flatMap((t) =>
      Object.entries(t.inputSchema?.properties ?? {})
        .filter(([, p]) => !p.description?.trim())
        .map(([name]) => `${t.name}.${name}`),
    ),
  };
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
  const full = await list(opts.binary, { ...opts.env, PROXMOX_TOOLSETS: "all" });
  const { PROXMOX_TOOLSETS: _unset, ...defaultEnv } = opts.env;
  const defaults = await list(opts.binary, defaultEnv);
  const readOnly = await list(opts.binary, { ...opts.env, PROXMOX_TOOLSETS: "all", PROXMOX_READ_ONLY: "true" });
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
    sets: { default: setSurface("", defaults.result), all: setSurface("all", full.result) },
    readOnly: { tools: readOnly.result.tools.length, bytes: roBytes, tokens: approxTokens(roBytes) },
    initialize: { bytes: initBytes, tokens: approxTokens(initBytes), instructions },
    floor: { bytes: jsonBytes(floor.result) },
  };
}
