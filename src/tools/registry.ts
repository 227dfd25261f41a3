// The one seam between tool data and the MCP SDK. Every call, from an MCP client or from
// `proxmox-mcp call`, takes the same path: gate → parse → handler → redact → format.
import type { McpServer } from "@modelcontextprotocol/server";
import * as v from "valibot";
import { describeError, InputError, ProxmoxMcpError, RefusedError, WriteGateError } from "../errors.ts";
import type { Config } from "../config/env.ts";
import { capAnswer } from "../format/text.ts";
import type { Logger } from "../log.ts";
import { appToolMeta } from "../mcp/apps.ts";
import { inventoryWatch } from "../mcp/inventory.ts";
import { logHub } from "../mcp/logging.ts";
import type { Instances } from "../mcp/tasks.ts";
import type { Method, PveClient } from "../pve/client.ts";
import { parseUpid, UPID_RE } from "../pve/formats.ts";
import { type Audit, auditArgs, SECRET_ARG } from "../security/audit.ts";
import { type AnswerContext, confirmationCodec, confirmQuestion, declined, NeedsInput, readAnswer } from "../security/confirmation.ts";
import { checkGates } from "../security/gates.ts";
import type { Redactor } from "../security/redactor.ts";
import { endStartup } from "../startup.ts";
import { builtInSchemas } from "./built-in-schemas.ts" with { type: "macro" };
import { convert, convertOutput, type JsonSchema, LISTED_TARGET, outputSchema, withServerParams } from "./json-schema.ts";
import { confirmationQuestion, DryRunStop, planData, planPath, plannedClient, renderPlan, withRequest, type WritePlan } from "./plan.ts";
import { DEFAULT_SELECTION, isSelected } from "./toolsets.ts";
import { type AnyTool, type Instance, type ObjectSchema, type ProgressUpdate, type Tier, TIER_NAMES, type ToolContext } from "./types.ts";

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
   * when they accepted this exact question, throws RefusedError when they declined, or
   * NeedsInput to have the client ask and call again.
   */
  confirm?: (question: string) => Promise<void>;
  /** Told the first UPID a write request answers with: the PVE task an MCP task follows (src/mcp/tasks.ts). */
  onUpid?: (upid: string) => void;
  /** A decline the person already gave in this retried call, read before any look-up. */
  earlierDecline?: () => Promise<RefusedError | undefined>;
  /**
   * Why no person can be asked, when confirm is absent because of the client: it declared
   * no elicitation ("no-elicitation"), or this stateless HTTP server cannot send a
   * 2025-11-25 client a request ("stateless-http"). Absent with confirm absent: an
   * in-process caller such as `proxmox-mcp call`, where the person typed the command.
   */
  cannotAsk?: "no-elicitation" | "stateless-http";
  /**
   * The caller's own ceiling per cluster (an OAuth token's scopes): 0 nothing, else the
   * highest tier. It only narrows: the server's gates and ceilings still apply on top.
   */
  maxTier?: (instance: string) => number;
  /** Who is calling (token subject and client), for audit lines and the confirmation question. */
  actor?: { subject: string; clientId?: string };
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
const MAX_MESSAGE = 300;

export class ToolRegistry {
  /** The tools this server offers: the admin's toolsets, then the read-only ceiling on top. */
  readonly tools: readonly AnyTool[];
  /** Tools that exist but this server does not offer, and why: named in an unknown-tool error. */
  private readonly withheld = new Map<string, string>();
  private readonly byName: Map<string, AnyTool>;
  private readonly inputs = new Map<string, ObjectSchema>();
  private readonly listed = new Map<string, JsonSchema>();
  /** Seals the question a person is asked, so their answer approves only that question. */
  private readonly codec;

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
    // A tool whose tier follows its arguments stays listed; its writes are refused per call.
    this.tools = readOnly ? selected.filter((t) => t.tier === 1 || t.tierFor) : selected;
    for (const t of allTools) {
      if (!selected.includes(t)) this.withheld.set(t.name, `it is in toolset '${t.toolset}', which PROXMOX_TOOLSETS does not select (a person can add it, e.g. PROXMOX_TOOLSETS=default,${t.toolset})`);
      else if (!this.tools.includes(t)) this.withheld.set(t.name, `it is a ${TIER_NAMES[t.tier]} tool, hidden by read-only mode (PROXMOX_READ_ONLY, or readOnly on every instance in PROXMOX_CONFIG), so no write tool is offered; a person must restart the server without read-only mode to allow writes`);
    }
    this.byName = new Map(this.tools.map((t) => [t.name, t]));
    this.codec = confirmationCodec(runtime.instances.map((i) => i.config.tokenSecret));
  }

  /** The refusal for a tool name this server does not offer: why, when the tool exists. */
  private unknownTool(name: string): InputError {
    const why = this.withheld.get(name);
    if (why) return new InputError(`${name} is not offered by this server: ${why}.`, `Available tools: ${this.tools.map((t) => t.name).join(", ")}.`);
    return new InputError(`Unknown tool '${name}'.`, `Available tools: ${this.tools.map((t) => t.name).join(", ")}.`);
  }

  /** Would a call of this tool stop to ask the person (elicitation)? Such a call does not run as an MCP task. */
  wouldAsk(tool: AnyTool): boolean {
    return this.runtime.instances.some((i) => mustAskPerson(tool.tier, i.config.confirmWrites));
  }

  /** What MCP tasks need of the clusters: their clients, the write policy, the audit. */
  taskInstances(): Instances {
    const { instances, audit } = this.runtime;
    return {
      names: instances.map((i) => i.name),
      pve: (name) => instances.find((i) => i.name === name)?.pve,
      mayStop: (name, upid) => {
        const instance = instances.find((i) => i.name === name);
        if (!instance) return `cluster ${name} is not served here`;
        if (instance.config.readOnly) return "this server is read-only (PROXMOX_READ_ONLY)";
        // Security: a task of an earlier run is stopped only if this token started it.
        const user = parseUpid(upid)?.user;
        if (user !== instance.config.tokenId) return `the task was started by ${user ?? "someone else"}, not by this server's token`;
        return undefined;
      },
      audit: (record) => audit(record as never),
    };
  }

  get log(): Logger {
    return this.runtime.log;
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
      json = builtIn ?? (part === "input" ? convert(this.inputSchema(tool), target, part) : convertOutput(tool, target));
      this.listed.set(key, json);
    }
    return json;
  }

  /** The tool of that name this registry serves. */
  tool(name: string): AnyTool | undefined {
    return this.byName.get(name);
  }

  async call(name: string, rawArgs: unknown, options: CallOptions = {}): Promise<CallOutcome> {
    endStartup();
    const { log, redactor } = this.runtime;
    const tool = this.byName.get(name);
    if (!tool) return this.failure(this.unknownTool(name));
    const args = rawArgs ?? {};
    if (typeof args !== "object" || Array.isArray(args)) {
      return this.failure(new InputError(`Arguments for ${name} must be a JSON object.`));
    }
    const record = args as Record<string, unknown>;
    // The tier of this call: the tool's own, or what it declares from these arguments.
    const tier = tool.tierFor ? tool.tierFor(record) : tool.tier;
    const isWrite = tier > 1;

    let target: { instance: Instance; others: readonly Instance[] };
    try {
      target = this.pickInstance(tool, tier, record.instance);
    } catch (error) {
      // A write aimed at no cluster, or at one this server does not serve, is an attempt too.
      if (isWrite) {
        const named = record.instance === undefined ? undefined : typeof record.instance === "string" ? record.instance : JSON.stringify(record.instance);
        this.runtime.audit({ tool: name, instance: named, actor: options.actor, args: maskSecrets(record), decision: "refused", reason: error instanceof ProxmoxMcpError ? error.message : "instance", outcome: error instanceof ProxmoxMcpError ? error.code : "internal" });
      }
      return this.failure(error);
    }
    const { instance } = target;
    // Every audit line of this call names the cluster and the person behind it.
    const audit: Audit = (entry) => this.runtime.audit({ ...entry, instance: instance.name, actor: options.actor });

    // Security: the caller's scopes, before the gates and before any request: a tool the
    // token may not use on this cluster (or on any cluster the call spans) is refused.
    if (options.maxTier) {
      const short = [instance, ...target.others].find((i) => tier > (options.maxTier?.(i.name) ?? 0));
      if (short) {
        if (isWrite) audit({ tool: name, args: maskSecrets(record), decision: "refused", reason: "scope", outcome: "scope" });
        return this.failure(new RefusedError(`${name} was refused: your access token does not allow ${TIER_NAMES[tier]} tools${this.runtime.instances.length > 1 ? ` on cluster ${short.name}` : ""}.`, "Ask for a token with the scope for this tier; the server's own gates apply on top."));
      }
    }

    // Security: gates first, on the raw arguments, before parsing or any request.
    const refused = checkGates(tool.name, tier, record, instance.config);
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

    const dryRun = handlerArgs.dry_run === true;
    delete handlerArgs.dry_run;

    // A person confirms tier 3 (and every write with PROXMOX_CONFIRM_WRITES=elicit) when
    // the client can ask: after every gate passed, right before the first write request.
    const personWouldConfirm = isWrite && mustAskPerson(tier, instance.config.confirmWrites);
    const personMustConfirm = personWouldConfirm && !dryRun;
    if (personMustConfirm && !options.confirm && options.cannotAsk) {
      const unasked = cannotAskRefusal(tool, instance.config.confirmWrites, options.cannotAsk);
      if (unasked) {
        audit({ tool: name, args: maskSecrets(handlerArgs), decision: "refused", reason: "no_person_to_ask", outcome: "refused" });
        return this.failure(unasked);
      }
    }
    const askPerson = personMustConfirm ? options.confirm : undefined;
    // Security: a decline already given ends the call before any look-up is repeated.
    const earlier = askPerson ? await options.earlierDecline?.() : undefined;
    if (earlier) {
      audit({ tool: name, args: maskSecrets(handlerArgs), decision: "refused", reason: "person_declined", outcome: "refused" });
      return this.failure(earlier);
    }

    const report = options.progress;
    let approved: WritePlan | undefined;
    const ctx: ToolContext = {
      instance: instance.name,
      pve: instance.pve,
      config: instance.config,
      otherInstances: target.others,
      log,
      signal: options.signal ?? new AbortController().signal,
      // Security: progress messages carry task log lines, which may echo this call's password.
      progress: report ? (update) => report({ ...update, message: update.message === undefined ? undefined : scoped.redact(update.message) }) : async () => {},
      checks: [],
      approve: async (plan) => {
        if (!isWrite) throw new Error(`${name} is a read tool and has nothing to approve`);
        if (approved) throw new Error(`${name} asked for a second approval`);
        if (dryRun) throw new DryRunStop(plan);
        if (askPerson) {
          await askPerson(confirmationQuestion({ title: tool.title, plan, cluster: this.runtime.instances.length > 1 ? instance.name : undefined, actor: options.actor }));
        }
        // Written before the first write request leaves, so a write in flight when the
        // process ends still has its record.
        audit({ tool: name, args: maskSecrets(handlerArgs), decision: "approved", outcome: "sending", requests: plan.requests.map((r) => `${r.method} ${planPath(r)}`) });
        approved = plan;
      },
    };
    if (isWrite) ctx.pve = plannedClient(instance.pve, () => approved, name);
    if (options.onUpid) ctx.pve = upidWatchingClient(ctx.pve, options.onUpid);
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
      if (error instanceof DryRunStop) {
        const plan = planData(error.plan, ctx.checks, personWouldConfirm && options.confirm !== undefined, (key) => SECRET_ARG.test(key));
        return { isError: false, text: capAnswer(scoped.redact(renderPlan(plan))), structured: scoped.redactDeep({ dry_run: true, plan }) };
      }
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
  private pickInstance(tool: AnyTool, tier: Tier, requested: unknown): { instance: Instance; others: readonly Instance[] } {
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
    if (tier > 1) {
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
    // A tool whose tier follows its arguments is listed to a read scope: it serves its reads.
    const visible = maxTier ? this.tools.filter((t) => this.runtime.instances.some((i) => (t.tierFor ? 1 : t.tier) <= maxTier(i.name))) : this.tools;
    for (const tool of visible) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: jsonSchemaOnly((part, target) => this.listedSchema(tool, part, target)),
          outputSchema: validatingSchema(outputSchema(tool), (part, target) => this.listedSchema(tool, part, target)),
          annotations: { ...tool.annotations },
          ...(appToolMeta(tool) ? { _meta: appToolMeta(tool) } : {}),
        },
        async (args: unknown, sdkCtx: SdkToolContext) => {
          const progressToken = sdkCtx.mcpReq._meta?.progressToken;
          const canAsk = clientCanElicit(server, sdkCtx);
          const outcome = await logHub.run(server, sdkCtx, () => this.call(tool.name, args, {
            ...access,
            signal: sdkCtx.mcpReq.signal,
            confirm: canAsk === "yes" ? (question) => confirmQuestion(this.codec, sdkCtx.mcpReq, question) : undefined,
            earlierDecline: async () => {
              const answer = await readAnswer(this.codec, sdkCtx.mcpReq);
              return answer.kind === "declined" ? declined(answer.question, answer.action) : undefined;
            },
            cannotAsk: canAsk === "no" ? "no-elicitation" : canAsk === "unknown" ? "stateless-http" : undefined,
            progress:
              progressToken === undefined
                ? undefined
                : (update) =>
                    sdkCtx.mcpReq.notify({
                      method: "notifications/progress",
                      params: { progressToken, ...update, message: update.message ? this.runtime.redactor.redact(update.message) : undefined },
                    }),
          }));
          inventoryWatch(this).afterCall(tool.name, outcome);
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
  mcpReq: AnswerContext & {
    _meta?: { progressToken?: string | number };
    envelope?: Record<string, unknown>;
    log?: (level: "debug" | "info" | "notice" | "warning" | "error" | "critical" | "alert" | "emergency", data: unknown, logger?: string) => Promise<void>;
    signal: AbortSignal;
    notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  };
}

function clientCanElicit(server: McpServer, ctx: SdkToolContext): "yes" | "no" | "unknown" {
  const modern = ctx.mcpReq.envelope?.["io.modelcontextprotocol/clientCapabilities"] as { elicitation?: unknown } | undefined;
  if (modern) return modern.elicitation !== undefined ? "yes" : "no";
  const declared = server.server.getClientCapabilities();
  // A stateless HTTP server never saw this 2025-11-25 client's initialize, and could not
  // send it a request if it had: whether it declared elicitation is unknown here.
  if (declared === undefined) return "unknown";
  return declared.elicitation !== undefined ? "yes" : "no";
}

/** Reports the first UPID a non-GET request answers with; every request passes through unchanged. */
function upidWatchingClient(pve: PveClient, onUpid: (upid: string) => void): PveClient {
  const request: PveClient["request"] = async <T>(method: Method, segments: Parameters<PveClient["request"]>[1], params?: Parameters<PveClient["request"]>[2], opts?: Parameters<PveClient["request"]>[3]) => {
    const answer = await pve.request<T>(method, segments, params, opts);
    const data = (answer as { data?: unknown } | undefined)?.data;
    if (method !== "GET" && typeof data === "string" && UPID_RE.test(data)) onUpid(data);
    return answer;
  };
  return withRequest(pve, request);
}

/** Tier 3 asks unless the admin said never; with PROXMOX_CONFIRM_WRITES=elicit every write does. */
function mustAskPerson(tier: Tier, mode: Config["confirmWrites"]): boolean {
  if (mode === "never") return false;
  return tier === 3 || (tier === 2 && mode === "elicit");
}

/**
 * The server promised to ask a person and cannot: refuse rather than proceed on the gates
 * alone. A client that declared no elicitation gets the gates alone for tier 3 (as
 * documented) unless the admin asked for every write to be confirmed.
 */
function cannotAskRefusal(tool: AnyTool, mode: Config["confirmWrites"], why: NonNullable<CallOptions["cannotAsk"]>): RefusedError | undefined {
  if (why === "no-elicitation" && mode !== "elicit") return undefined;
  const promise = mode === "elicit" ? "This server confirms every write with a person (PROXMOX_CONFIRM_WRITES=elicit)" : `${tool.name} is destructive, so this server confirms it with a person`;
  const reason =
    why === "stateless-http"
      ? "but over stateless HTTP it cannot send a 2025-11-25 client the question (that protocol revision asks through a server-to-client request)"
      : "but this client declared no elicitation, so it cannot be asked";
  return new RefusedError(
    `${tool.name} was refused before any request: ${promise}, ${reason}. Nothing was sent to Proxmox.`,
    "Use a client on protocol revision 2026-07-28 (which carries the question in the tool result), connect over stdio, or have the admin start this server with PROXMOX_CONFIRM_WRITES=never to rely on the gates alone.",
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

/** Arguments for an audit line: credential-named keys masked at any depth, everything bounded. */
function maskSecrets(args: Record<string, unknown>): Record<string, unknown> {
  return auditArgs(args);
}
