// A tool is data: name, title, tier, annotations, input and output schemas, one handler.
// The registry (registry.ts) turns this data into MCP tools and applies the tier's gates.
import type * as v from "valibot";
import type { Config } from "../config/env.ts";
import type { Logger } from "../log.ts";
import type { PveClient } from "../pve/client.ts";
import type { Toolset } from "./toolsets.ts";
import type { WritePlan } from "./plan.ts";

/** 1 = read (open), 2 = safe write (needs confirm), 3 = destructive (needs confirm + destructive + env). */
export type Tier = 1 | 2 | 3;

export const TIER_NAMES: Record<Tier, string> = { 1: "read", 2: "write", 3: "destructive" };

export interface ToolHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

export interface Instance {
  name: string;
  config: Config;
  pve: PveClient;
}

export interface ToolContext {
  /** The cluster this call acts on. */
  instance: string;
  pve: PveClient;
  config: Config;
  /** For a tool that spans instances (proxmox_status) called without one: the rest of them. */
  otherInstances: readonly Instance[];
  log: Logger;
  /** Aborted when the client cancels the request. */
  signal: AbortSignal;
  /**
   * Write tools call this once, after their look-ups and before their first write request.
   * A dry run ends the call here with the plan as its answer; otherwise the person is asked
   * when they must be (the question is built from the plan), the approval is audited, and
   * only the requests the plan names may be sent.
   */
  approve(plan: WritePlan): Promise<void>;
  /** Policy checks this call passed, in words; a dry run lists them. */
  checks: string[];
  /** Sends an MCP progress notification when the client asked for them; a no-op otherwise. */
  progress(update: ProgressUpdate): Promise<void>;
}

export interface ToolResult<O> {
  /** A short rendering for the model to read. */
  text: string;
  /** Matches the tool's output schema; sent as structuredContent. */
  data: O;
  /** Resources this answer is about, as paths under proxmox://{instance}/ (e.g. "guests/101"). */
  links?: { path: string; name: string }[];
}

// biome-ignore lint: valibot's object schema generics are deep; any keeps the registry simple.
export type ObjectSchema = v.ObjectSchema<any, any> | v.StrictObjectSchema<any, any>;

export interface ToolDef<I extends ObjectSchema = ObjectSchema, O extends ObjectSchema = ObjectSchema> {
  name: string;
  title: string;
  description: string;
  /** The tier; for a tool with tierFor, the highest it can take (what listing and read-only use). */
  tier: Tier;
  /**
   * For a tool whose tier depends on the call (proxmox_api: GET reads, DELETE destroys): the
   * tier of these raw arguments, decided before parsing. The registry gates on it, so gates
   * stay in one place. Must be total: an argument it cannot read gets the highest tier.
   */
  tierFor?(args: Record<string, unknown>): Tier;
  /** The set PROXMOX_TOOLSETS selects it by (toolsets.ts). */
  toolset: Toolset;
  /** Listed when PROXMOX_TOOLSETS is unset or names `default`: the everyday surface. */
  inDefault?: boolean;
  annotations: ToolHints;
  /** Called without an instance on a multi-cluster server, it also reports the others. */
  spansInstances?: boolean;
  input: I;
  output: O;
  handler(args: v.InferOutput<I>, ctx: ToolContext): Promise<ToolResult<v.InferOutput<O>>>;
}

/** Keeps the handler's argument and result types tied to the schemas. */
export function defineTool<I extends ObjectSchema, O extends ObjectSchema>(def: ToolDef<I, O>): ToolDef<I, O> {
  return def;
}

// biome-ignore lint: heterogeneous list of tools.
export type AnyTool = ToolDef<any, any>;

/** The annotations every read tool carries. */
export const READ_HINTS: ToolHints = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
