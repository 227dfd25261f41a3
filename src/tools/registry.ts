// The one seam between tool data and the MCP SDK. Every call, from an MCP client or from
// `proxmox-mcp call`, takes the same path: gate → parse → handler → redact → format.
import type { McpServer } from "@modelcontextprotocol/server";
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import type { Config } from "../config/env.ts";
import { describeError, InputError, ProxmoxMcpError, WriteGateError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PveClient } from "../pve/client.ts";
import type { Audit } from "../security/audit.ts";
import { checkGates, GATE_DESCRIPTIONS } from "../security/gates.ts";
import type { Redactor } from "../security/redactor.ts";
import type { AnyTool, ObjectSchema, ProgressUpdate, ToolContext } from "./types.ts";

export interface Runtime {
  pve: PveClient;
  config: Config;
  log: Logger;
  redactor: Redactor;
  audit: Audit;
}

export interface CallOptions {
  signal?: AbortSignal;
  progress?: (update: ProgressUpdate) => Promise<void>;
}

export interface CallOutcome {
  isError: boolean;
  text: string;
  structured?: Record<string, unknown>;
  code?: string;
}

const GATE_KEYS = ["confirm", "destructive"] as const;
// Arguments that are credentials: masked in audit records and in anything echoed back.
const SECRET_ARG = /password|secret|token/i;
const MAX_MESSAGE = 300;

export class ToolRegistry {
  /** The tools this server offers: an admin's read-only ceiling hides every write. */
  readonly tools: readonly AnyTool[];
  private readonly byName: Map<string, AnyTool>;
  private readonly inputs = new Map<string, ObjectSchema>();

  constructor(
    allTools: readonly AnyTool[],
    private readonly runtime: Runtime,
  ) {
    this.tools = runtime.config.readOnly ? allTools.filter((t) => t.tier === 1) : allTools;
    this.byName = new Map(this.tools.map((t) => [t.name, t]));
  }

  /** The input schema as clients see it: the tool's own, plus its tier's gate flags. */
  inputSchema(tool: AnyTool): ObjectSchema {
    let schema = this.inputs.get(tool.name);
    if (!schema) {
      schema = withGates(tool);
      this.inputs.set(tool.name, schema);
    }
    return schema;
  }

  async call(name: string, rawArgs: unknown, options: CallOptions = {}): Promise<CallOutcome> {
    const { log, redactor, audit, config } = this.runtime;
    const tool = this.byName.get(name);
    if (!tool) {
      return this.failure(new InputError(`Unknown tool '${name}'.`, `Available tools: ${this.tools.map((t) => t.name).join(", ")}.`));
    }
    const args = rawArgs ?? {};
    if (typeof args !== "object" || Array.isArray(args)) {
      return this.failure(new InputError(`Arguments for ${name} must be a JSON object.`));
    }
    const record = args as Record<string, unknown>;
    const isWrite = tool.tier > 1;
    for (const [key, value] of Object.entries(record)) {
      // Security: a guest password the model passes must not come back in an error or log.
      if (SECRET_ARG.test(key) && typeof value === "string") redactor.register(value);
    }

    // Security: gates first, on the raw arguments, before parsing or any request.
    const refused = checkGates(tool.name, tool.tier, record, config);
    if (refused) {
      if (isWrite) audit({ tool: name, args: maskSecrets(record), decision: "refused", reason: refused.missing.join(","), outcome: "write_gate" });
      return this.failure(refused);
    }
    const parsed = v.safeParse(this.inputSchema(tool), record);
    if (!parsed.success) {
      const error = new InputError(`Invalid arguments for ${name}: ${formatIssues(parsed.issues, this.inputSchema(tool))}`, "Fix the named arguments; the tool's input schema lists every parameter and its format.");
      if (isWrite) audit({ tool: name, args: maskSecrets(record), decision: "refused", reason: "invalid_input", outcome: "invalid_input" });
      return this.failure(error);
    }
    const handlerArgs = { ...(parsed.output as Record<string, unknown>) };
    for (const key of GATE_KEYS) delete handlerArgs[key];

    const ctx: ToolContext = {
      pve: this.runtime.pve,
      config,
      log,
      signal: options.signal ?? new AbortController().signal,
      progress: options.progress ?? (async () => {}),
    };
    try {
      const result = await tool.handler(handlerArgs, ctx);
      if (isWrite) {
        const upid = (result.data as { upid?: unknown }).upid;
        audit({ tool: name, args: maskSecrets(handlerArgs), decision: "allowed", upid: typeof upid === "string" ? upid : undefined, outcome: "ok" });
      }
      return {
        isError: false,
        text: redactor.redact(result.text),
        structured: redactor.redactDeep(result.data as Record<string, unknown>),
      };
    } catch (error) {
      if (isWrite) {
        const refusal = error instanceof ProxmoxMcpError && (error.code === "refused" || error.code === "invalid_input");
        audit({
          tool: name,
          args: maskSecrets(handlerArgs),
          decision: refusal ? "refused" : "allowed",
          reason: refusal ? error.message : undefined,
          outcome: error instanceof ProxmoxMcpError ? error.code : "internal",
        });
      }
      return this.failure(error);
    }
  }

  private failure(error: unknown): CallOutcome {
    const { log, redactor } = this.runtime;
    if (!(error instanceof ProxmoxMcpError)) {
      // Unexpected: the stack goes to stderr (redacted); the model gets no internals.
      log.error("tool failed unexpectedly", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    } else if (!(error instanceof WriteGateError)) {
      log.debug(`tool error ${error.code}: ${error.message}`);
    }
    return {
      isError: true,
      text: redactor.redact(describeError(error)),
      code: error instanceof ProxmoxMcpError ? error.code : "internal",
    };
  }

  /** Registers every visible tool on an SDK server instance. */
  registerAll(server: McpServer): void {
    for (const tool of this.tools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: jsonSchemaOnly(() => this.inputSchema(tool)),
          outputSchema: validatingSchema(tool.output),
          annotations: { title: tool.title, ...tool.annotations },
        },
        async (args: unknown, sdkCtx: SdkToolContext) => {
          const progressToken = sdkCtx.mcpReq._meta?.progressToken;
          const outcome = await this.call(tool.name, args, {
            signal: sdkCtx.mcpReq.signal,
            progress:
              progressToken === undefined
                ? undefined
                : (update) =>
                    sdkCtx.mcpReq.notify({
                      method: "notifications/progress",
                      params: { progressToken, ...update, message: update.message ? this.runtime.redactor.redact(update.message) : undefined },
                    }),
          });
          return {
            content: [{ type: "text" as const, text: outcome.text }],
            ...(outcome.isError ? { isError: true } : { structuredContent: outcome.structured }),
          };
        },
      );
    }
  }
}

interface SdkToolContext {
  mcpReq: {
    _meta?: { progressToken?: string | number };
    signal: AbortSignal;
    notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  };
}

function withGates(tool: AnyTool): ObjectSchema {
  if (tool.tier === 1) return tool.input;
  const gates: Record<string, v.GenericSchema> = {
    confirm: v.pipe(v.literal(true), v.description(GATE_DESCRIPTIONS.confirm)),
  };
  if (tool.tier === 3) gates.destructive = v.pipe(v.literal(true), v.description(GATE_DESCRIPTIONS.destructive));
  return v.strictObject({ ...tool.input.entries, ...gates });
}

type JsonTarget = "draft-07" | "draft-2020-12" | "openapi-3.0";

function convert(schema: v.GenericSchema, target: string, typeMode: "input" | "output"): Record<string, unknown> {
  // Conversion runs when a client first lists tools, not at start-up (cold start matters).
  // Checks JSON Schema cannot express (v.check) are still enforced by the registry.
  return toJsonSchema(schema, { target: target as JsonTarget, typeMode, errorMode: "ignore" }) as Record<string, unknown>;
}

/** Gives the SDK the JSON Schema to list, but leaves validation to the registry, whose messages say what would be right. */
function jsonSchemaOnly(schema: () => v.GenericSchema) {
  return {
    "~standard": {
      version: 1 as const,
      vendor: "proxmox-mcp",
      validate: (value: unknown) => ({ value }),
      jsonSchema: {
        input: (options: { target: string }) => convert(schema(), options.target, "input"),
        output: (options: { target: string }) => convert(schema(), options.target, "output"),
      },
    },
  };
}

/** Output schemas are validated for real: structuredContent must match what tools/list promises. */
function validatingSchema(schema: v.GenericSchema) {
  return {
    "~standard": {
      ...schema["~standard"],
      jsonSchema: {
        input: (options: { target: string }) => convert(schema, options.target, "input"),
        output: (options: { target: string }) => convert(schema, options.target, "output"),
      },
    },
  };
}

function formatIssues(issues: readonly v.BaseIssue<unknown>[], schema: ObjectSchema): string {
  const known = Object.keys(schema.entries);
  const parts = issues.slice(0, 5).map((issue) => {
    const path = v.getDotPath(issue);
    if (issue.expected === "never" && path) {
      return `unknown parameter '${clip(path, 60)}' (valid parameters: ${known.join(", ")})`;
    }
    if (issue.received === "undefined" && path) {
      return `${path} is required (${clip(issue.message, MAX_MESSAGE)})`;
    }
    return path ? `${path}: ${clip(issue.message, MAX_MESSAGE)}` : clip(issue.message, MAX_MESSAGE);
  });
  if (issues.length > 5) parts.push(`and ${issues.length - 5} more`);
  return parts.join("; ");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function maskSecrets(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([k, val]) => [k, SECRET_ARG.test(k) ? "[REDACTED]" : val]));
}
