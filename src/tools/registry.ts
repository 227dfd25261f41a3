// The one seam between tool data and the MCP SDK. Every call, from an MCP client or from
// `proxmox-mcp call`, takes the same path: gate → parse → handler → redact → format.
import { inputRequired, type McpServer } from "@modelcontextprotocol/server";
import * as v from "valibot";
import { describeError, InputError, ProxmoxMcpError, RefusedError, WriteGateError } from "../errors.ts";
import { capAnswer } from "../format/text.ts";
import type { Logger } from "../log.ts";
import { buildPath, type Method, type PveClient } from "../pve/client.ts";
import type { Audit } from "../security/audit.ts";
import { checkGates } from "../security/gates.ts";
import type { Redactor } from "../security/redactor.ts";
import { endStartup } from "../startup.ts";
import { builtInSchemas } from "./built-in-schemas.ts" with { type: "macro" };
import { convert, type JsonSchema, LISTED_TARGET, withServerParams } from "./json-schema.ts";
import { DEFAULT_SELECTION, isSelected } from "./toolsets.ts";
import { type AnyTool, type Instance, type ObjectSchema, type ProgressUpdate, TIER_NAMES, type ToolContext } from "./types.ts";

// Converted when the binary is built: a literal in the compiled code, not a call at run time.
// Frozen, which also keeps the minifier from inlining the literal (rebuilt per use) where it is read.
const BUILT_IN_SCHEMAS = Object.freeze(builtInSchemas());

export interface Runtime {
  /** The clusters this server serves; one unless PROXMOX_CONFIG names several. */
  instances: readonly Instance[];
  log: Logger;
  redactor: Redactor;
  audit: Audit;
}

export interface CallOptions {
  signal?: AbortSignal;
  progress?: (update: ProgressUpdate) => Promise<void>;
  /**
   * Asks the person to confirm a write, when the client can ask (elicitation). Resolves
   * when they accepted, throws RefusedError when they declined, or NeedsInput to have
   * the client ask and call again. Absent: the client cannot ask; the gates alone decide.
   */
  confirm?: (question: string) => Promise<void>;
  /**
   * The caller's own ceiling per cluster (an OAuth token's scopes): 0 nothing, else the
   * highest tier. It only narrows: the server's gates and ceilings still apply on top.
   */
  maxTier?: (instance: string) => number;
  /** Who is calling (token subject and client), for audit lines and the confirmation question. */
  actor?: { subject: string; clientId?: string };
}

/** Thrown to hand the SDK an input_required result: the client asks, then calls again. */
export class NeedsInput extends Error {
  constructor(readonly result: Record<string, unknown>) {
    super("input required");
  }
}

export interface CallOutcome {
  isError: boolean;
  text: string;
  structured?: Record<string, unknown>;
  /** proxmox:// resource links for the answer's subjects. */
  links?: { uri: string; name: string }[];
  /** The client must ask the person and call again (elicitation). */
  inputRequired?: Record<string, unknown>;
  code?: string;
}

const SERVER_KEYS = ["confirm", "destructive", "instance"] as const;
// Arguments that are credentials: masked in audit records and in anything echoed back.
const SECRET_ARG = /password|secret|token/i;
const MAX_MESSAGE = 300;

export class ToolRegistry {
  /** The tools this server offers: the admin's toolsets, then the read-only ceiling on top. */
  readonly tools: readonly AnyTool[];
  /** Tools that exist but this server does not offer, and why: named in an unknown-tool error. */
  private readonly withheld = new Map<string, string>();
  private readonly byName: Map<string, AnyTool>;
  private readonly inputs = new Map<string, ObjectSchema>();
  private readonly listed = new Map<string, JsonSchema>();

  constructor(
    allTools: readonly AnyTool[],
    private readonly runtime: Runtime,
  ) {
    if (runtime.instances.length === 0) throw new Error("a registry needs at least one instance");
    // PROXMOX_TOOLSETS is server-wide (every instance carries the same value); a tool any of
    // them selects is listed.
    const selections = runtime.instances.map((i) => i.config.toolsets ?? DEFAULT_SELECTION);
    const selected = allTools.filter((t) => selections.some((s) => isSelected(t, s)));
    // Security: the admin's read-only ceiling, on top of the toolsets: with every instance
    // read-only, writes are not even listed, whatever set was asked for.
    const readOnly = runtime.instances.every((i) => i.config.readOnly);
    this.tools = readOnly ? selected.filter((t) => t.tier === 1) : selected;
    for (const t of allTools) {
      if (!selected.includes(t)) this.withheld.set(t.name, `it is in toolset '${t.toolset}', which PROXMOX_TOOLSETS does not select (a person can add it, e.g. PROXMOX_TOOLSETS=default,${t.toolset})`);
      else if (!this.tools.includes(t)) this.withheld.set(t.name, "this server is read-only (PROXMOX_READ_ONLY), so no write tool is offered");
    }
    this.byName = new Map(this.tools.map((t) => [t.name, t]));
  }

  /** The refusal for a tool name this server does not offer: why, when the tool exists. */
  private unknownTool(name: string): InputError {
    const why = this.withheld.get(name);
    if (why) return new InputError(`${name} is not offered by this server: ${why}.`, `Available tools: ${this.tools.map((t) => t.name).join(", ")}.`);
    return new InputError(`Unknown tool '${name}'.`, `Available tools: ${this.tools.map((t) => t.name).join(", ")}.`);
  }

  get instanceNames(): string[] {
    return this.runtime.instances.map((i) => i.name);
  }

  /** The input schema as clients see it: the tool's own, plus its tier's gate flags. */
  inputSchema(tool: AnyTool): ObjectSchema {
    let schema = this.inputs.get(tool.name);
    if (!schema) {
      schema = withServerParams(tool, this.runtime.instances.map((i) => i.name));
      this.inputs.set(tool.name, schema);
    }
    return schema;
  }

  /**
   * A tool's schema as tools/list shows it. A one-cluster server sends what the build
   * converted (built-in-schemas.ts); with several clusters the `instance` enum is only
   * known now, so it converts once and keeps the result.
   */
  listedSchema(tool: AnyTool, part: "input" | "output", target: string = LISTED_TARGET): JsonSchema {
    const key = `${tool.name} ${part} ${target}`;
    let json = this.listed.get(key);
    if (!json) {
      const builtIn = target === LISTED_TARGET && this.runtime.instances.length === 1 ? BUILT_IN_SCHEMAS[tool.name]?.[part] : undefined;
      json = builtIn ?? convert(part === "input" ? this.inputSchema(tool) : tool.output, target, part);
      this.listed.set(key, json);
    }
    return json;
  }

  async call(name: string, rawArgs: unknown, options: CallOptions = {}): Promise<CallOutcome> {
    endStartup();
    const { log, redactor } = this.runtime;
    // Every audit line of this call names the person behind it.
    const audit: Audit = options.actor ? (entry) => this.runtime.audit({ ...entry, actor: options.actor }) : this.runtime.audit;
    const tool = this.byName.get(name);
    if (!tool) return this.failure(this.unknownTool(name));
    const args = rawArgs ?? {};
    if (typeof args !== "object" || Array.isArray(args)) {
      return this.failure(new InputError(`Arguments for ${name} must be a JSON object.`));
    }
    const record = args as Record<string, unknown>;
    const isWrite = tool.tier > 1;

    let target: { instance: Instance; others: readonly Instance[] };
    try {
      target = this.pickInstance(tool, record.instance);
    } catch (error) {
      return this.failure(error);
    }
    const { instance } = target;

    // Security: the caller's scopes, before the gates and before any request: a tool the
    // token may not use on this cluster (or on any cluster the call spans) is refused.
    if (options.maxTier) {
      const short = [instance, ...target.others].find((i) => tool.tier > (options.maxTier?.(i.name) ?? 0));
      if (short) {
        if (isWrite) audit({ tool: name, args: maskSecrets(record), decision: "refused", reason: "scope", outcome: "scope" });
        return this.failure(new RefusedError(`${name} was refused: your access token does not allow ${TIER_NAMES[tool.tier]} tools${this.runtime.instances.length > 1 ? ` on cluster ${short.name}` : ""}.`, "Ask for a token with the scope for this tier; the server's own gates apply on top."));
      }
    }

    // Security: gates first, on the raw arguments, before parsing or any request.
    const refused = checkGates(tool.name, tool.tier, record, instance.config);
    if (refused) {
      if (isWrite) audit({ tool: name, args: maskSecrets(record), decision: "refused", reason: refused.missing.join(","), outcome: "write_gate" });
      return this.failure(refused);
    }
    // `instance` was checked by pickInstance; a one-cluster server does not list it, but accepts it.
    const { instance: _checked, ...toParse } = record;
    const parsed = v.safeParse(this.inputSchema(tool), toParse);
    if (!parsed.success) {
      const error = new InputError(`Invalid arguments for ${name}: ${formatIssues(parsed.issues, this.inputSchema(tool))}`, "Fix the named arguments; the tool's input schema lists every parameter and its format.");
      if (isWrite) audit({ tool: name, args: maskSecrets(record), decision: "refused", reason: "invalid_input", outcome: "invalid_input" });
      return this.failure(error);
    }
    const handlerArgs = { ...(parsed.output as Record<string, unknown>) };
    for (const key of SERVER_KEYS) delete handlerArgs[key];
    // Security: a guest password the tool takes must not come back in this call's answer,
    // error or log lines. Scoped to the call: it is not a reason to mask the word elsewhere.
    const callSecrets = Object.entries(handlerArgs)
      .filter(([key, value]) => SECRET_ARG.test(key) && typeof value === "string")
      .map(([, value]) => value as string);
    const scoped = callSecrets.length ? redactor.withExtra(callSecrets) : redactor;

    // A person confirms tier 3 (and tier 2 with PROXMOX_CONFIRM_WRITES=elicit) when the
    // client can ask: after every gate passed, right before the first write request.
    const askPerson = options.confirm && (tool.tier === 3 || (tool.tier === 2 && instance.config.confirmWrites === "elicit")) ? options.confirm : undefined;
    const report = options.progress;
    const ctx: ToolContext = {
      instance: instance.name,
      pve: instance.pve,
      config: instance.config,
      otherInstances: target.others,
      log,
      signal: options.signal ?? new AbortController().signal,
      // Security: progress messages carry task log lines, which may echo this call's password.
      progress: report ? (update) => report({ ...update, message: update.message === undefined ? undefined : scoped.redact(update.message) }) : async () => {},
    };
    if (askPerson) {
      const where = this.runtime.instances.length > 1 ? ` (cluster ${instance.name})` : "";
      ctx.pve = confirmingClient(instance.pve, (method, path) => askPerson(`${tool.title}: ${ctx.subject ?? `${method} ${path}`}${where}. Proceed?`));
    }
    try {
      const result = await tool.handler(handlerArgs, ctx);
      if (isWrite) {
        const upid = (result.data as { upid?: unknown }).upid;
        audit({ tool: name, args: maskSecrets(handlerArgs), decision: "allowed", upid: typeof upid === "string" ? upid : undefined, outcome: "ok" });
      }
      return {
        isError: false,
        // Security: the last bound on an answer's size, saying what it cut.
        text: capAnswer(scoped.redact(result.text)),
        structured: scoped.redactDeep(result.data as Record<string, unknown>),
        links: result.links?.map((l) => ({ uri: `proxmox://${instance.name}/${l.path}`, name: scoped.redact(l.name) })),
      };
    } catch (error) {
      if (error instanceof NeedsInput) return { isError: false, text: "", inputRequired: error.result };
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
      return this.failure(error, scoped);
    }
  }

  /** Which cluster a call acts on. A write is never pointed at a guessed cluster. */
  private pickInstance(tool: AnyTool, requested: unknown): { instance: Instance; others: readonly Instance[] } {
    const { instances } = this.runtime;
    const names = instances.map((i) => i.name).join(", ");
    if (requested !== undefined) {
      const found = typeof requested === "string" ? instances.find((i) => i.name === requested) : undefined;
      if (!found) throw new InputError(`Unknown instance ${JSON.stringify(String(requested).slice(0, 40))}.`, `This server serves: ${names}.`);
      return { instance: found, others: [] };
    }
    const [first, ...rest] = instances as [Instance, ...Instance[]];
    if (rest.length === 0) return { instance: first, others: [] };
    if (tool.spansInstances) return { instance: first, others: rest };
    if (tool.tier > 1) {
      throw new RefusedError(`${tool.name} was refused: this server manages several clusters (${names}) and a write never guesses which one.`, "Pass instance with the cluster's name.");
    }
    throw new InputError(`This server manages several clusters (${names}); say which one with instance.`, `e.g. "instance": "${first.name}"`);
  }

  private failure(error: unknown, redactor: Redactor = this.runtime.redactor): CallOutcome {
    const { log } = this.runtime;
    if (!(error instanceof ProxmoxMcpError)) {
      // Unexpected: the stack goes to stderr (redacted); the model gets no internals.
      log.error("tool failed unexpectedly", { error: redactor.redact(error instanceof Error ? (error.stack ?? error.message) : String(error)) });
    } else if (!(error instanceof WriteGateError)) {
      log.debug(`tool error ${error.code}: ${redactor.redact(error.message)}`);
    }
    return {
      isError: true,
      text: redactor.redact(describeError(error)),
      code: error instanceof ProxmoxMcpError ? error.code : "internal",
    };
  }

  /**
   * Registers every visible tool on an SDK server instance. With `access.maxTier` (an OAuth
   * token's scopes) a tool the token cannot use on any cluster is not registered at all.
   */
  registerAll(server: McpServer, access: Pick<CallOptions, "maxTier" | "actor"> = {}): void {
    const { maxTier } = access;
    const visible = maxTier ? this.tools.filter((t) => this.runtime.instances.some((i) => t.tier <= maxTier(i.name))) : this.tools;
    for (const tool of visible) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: jsonSchemaOnly((part, target) => this.listedSchema(tool, part, target)),
          outputSchema: validatingSchema(tool.output, (part, target) => this.listedSchema(tool, part, target)),
          annotations: { ...tool.annotations },
        },
        async (args: unknown, sdkCtx: SdkToolContext) => {
          const progressToken = sdkCtx.mcpReq._meta?.progressToken;
          const outcome = await this.call(tool.name, args, {
            ...access,
            signal: sdkCtx.mcpReq.signal,
            confirm: clientCanElicit(server, sdkCtx) ? (question) => elicitConfirmation(sdkCtx, question) : undefined,
            progress:
              progressToken === undefined
                ? undefined
                : (update) =>
                    sdkCtx.mcpReq.notify({
                      method: "notifications/progress",
                      params: { progressToken, ...update, message: update.message ? this.runtime.redactor.redact(update.message) : undefined },
                    }),
          });
          if (outcome.inputRequired) return outcome.inputRequired as never;
          return {
            content: [
              { type: "text" as const, text: outcome.text },
              ...(outcome.links ?? []).map((l) => ({ type: "resource_link" as const, uri: l.uri, name: l.name, mimeType: "application/json" })),
            ],
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
    envelope?: Record<string, unknown>;
    inputResponses?: Record<string, unknown>;
    signal: AbortSignal;
    notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  };
}

/** Routes the first non-GET request through a confirmation; reads pass straight through. */
function confirmingClient(pve: PveClient, confirm: (method: Method, path: string) => Promise<void>): PveClient {
  let confirmed = false;
  const request: PveClient["request"] = async (method, segments, params, opts) => {
    if (method !== "GET" && !confirmed) {
      await confirm(method, buildPath(segments));
      confirmed = true;
    }
    return pve.request(method, segments, params, opts);
  };
  const proxy: PveClient = new Proxy(pve, {
    get(target, prop) {
      if (prop === "request") return request;
      const value = Reflect.get(target, prop);
      // post/put/delete call this.request, so they are bound to the proxy.
      return typeof value === "function" ? value.bind(proxy) : value;
    },
  });
  return proxy;
}

const CONFIRM_KEY = "proxmox_confirm_write";

function clientCanElicit(server: McpServer, ctx: SdkToolContext): boolean {
  const modern = ctx.mcpReq.envelope?.["io.modelcontextprotocol/clientCapabilities"] as { elicitation?: unknown } | undefined;
  if (modern) return modern.elicitation !== undefined;
  return server.server.getClientCapabilities()?.elicitation !== undefined;
}

/** One question, asked through the SDK's input_required flow (it serves both protocol eras). */
async function elicitConfirmation(ctx: SdkToolContext, question: string): Promise<void> {
  const response = ctx.mcpReq.inputResponses?.[CONFIRM_KEY] as { action?: string; content?: { confirm?: unknown } } | undefined;
  if (response) {
    if (response.action === "accept" && response.content?.confirm === true) return;
    throw new RefusedError(`Not done: the person ${response.action === "accept" ? "did not tick confirm" : response.action === "cancel" ? "cancelled" : "declined"} when asked "${question}". Nothing was sent to Proxmox.`);
  }
  throw new NeedsInput(
    inputRequired({
      inputRequests: {
        [CONFIRM_KEY]: inputRequired.elicit({
          message: question,
          requestedSchema: { type: "object", properties: { confirm: { type: "boolean", title: "Proceed", description: "Tick to let this happen." } }, required: ["confirm"] },
        }),
      },
    }) as unknown as Record<string, unknown>,
  );
}

type Listed = (part: "input" | "output", target: string) => JsonSchema;

/** Gives the SDK the JSON Schema to list, but leaves validation to the registry, whose messages say what would be right. */
function jsonSchemaOnly(listed: Listed) {
  return {
    "~standard": {
      version: 1 as const,
      vendor: "proxmox-mcp",
      validate: (value: unknown) => ({ value }),
      jsonSchema: { input: (options: { target: string }) => listed("input", options.target), output: (options: { target: string }) => listed("input", options.target) },
    },
  };
}

/** Output schemas are validated for real: structuredContent must match what tools/list promises. */
function validatingSchema(schema: v.GenericSchema, listed: Listed) {
  return {
    "~standard": {
      ...schema["~standard"],
      jsonSchema: { input: (options: { target: string }) => listed("output", options.target), output: (options: { target: string }) => listed("output", options.target) },
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
