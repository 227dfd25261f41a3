// How a tool's valibot schemas become the JSON Schema that tools/list shows. Kept apart
// from the registry so the build can run it (built-in-schemas.ts, a macro) on its own.
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { GATE_DESCRIPTIONS } from "../security/gates.ts";
import { DryRunOutput } from "./plan.ts";
import type { AnyTool, ObjectSchema } from "./types.ts";

/** The draft the MCP SDK asks every schema for. */
export const LISTED_TARGET = "draft-2020-12";

export type JsonSchema = Record<string, unknown>;

/** The tool's own schema plus what the server adds: the cluster to act on and the tier's gates. */
export function withServerParams(tool: AnyTool, instanceNames: readonly string[]): ObjectSchema {
  const extra: Record<string, v.GenericSchema> = {};
  if (instanceNames.length > 1) {
    extra.instance = v.optional(
      v.pipe(
        v.picklist(instanceNames, `instance must be one of ${instanceNames.join(", ")}`),
        v.description(tool.spansInstances ? "Cluster to ask; omit for all of them." : `Cluster to act on (${tool.tier > 1 ? "required for writes" : "required"} with several).`),
      ),
    );
  }
  // A tool whose tier follows its arguments lists destructive as optional: a read needs no gate.
  const gate = (schema: v.GenericSchema) => (tool.tierFor ? v.optional(schema) : schema);
  if (tool.tier > 1) {
    extra.confirm = v.optional(v.pipe(v.literal(true), v.description(tool.tierFor ? `Writes only. ${GATE_DESCRIPTIONS.confirm}` : GATE_DESCRIPTIONS.confirm)));
    extra.dry_run = v.optional(v.pipe(v.boolean("dry_run must be true or false"), v.description(GATE_DESCRIPTIONS.dry_run)));
  }
  if (tool.tier === 3) extra.destructive = gate(v.pipe(v.literal(true), v.description(tool.tierFor ? `Destructive calls only. ${GATE_DESCRIPTIONS.destructive}` : GATE_DESCRIPTIONS.destructive)));
  return Object.keys(extra).length ? v.strictObject({ ...tool.input.entries, ...extra }) : tool.input;
}

type JsonTarget = "draft-07" | "draft-2020-12" | "openapi-3.0";

/**
 * Unions stay anyOf branches of one type each ({"anyOf":[{"type":"string"},{"type":"null"}]}),
 * never a type list ({"type":["string","null"]}): shorter, but clients that map tool schemas
 * onto a one-type dialect (Gemini's OpenAPI subset) reject it or drop the constraint. The
 * Inspector's --strict check (test/e2e/portability.test.ts) holds every listed schema to this.
 */
export function convert(schema: v.GenericSchema, target: string, typeMode: "input" | "output"): JsonSchema {
  // Checks JSON Schema cannot express (v.check) are still enforced by the registry.
  const json = toJsonSchema(schema, { target: target as JsonTarget, typeMode, errorMode: "ignore" }) as JsonSchema;
  delete json.$schema;
  return typeMode === "input" ? (lean(json) as JsonSchema) : json;
}

/**
 * An input schema as a model reads it, on every request: without what the description
 * already says or the server checks with a clearer message. Regex patterns and string
 * lengths go (the registry enforces each one and names the accepted form on a mismatch);
 * a `default` goes when the description states it, and so do `additionalProperties: false`
 * and an empty `required` (an unknown parameter is refused, naming the valid ones).
 * Property names are data, never dropped.
 */
function lean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(lean);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === "pattern" && typeof value === "string") || ((key === "maxLength" || key === "minLength") && typeof value === "number")) continue;
    out[key] = key === "properties" && value && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([name, prop]) => [name, lean(prop)])) : lean(value);
  }
  if ("default" in out && typeof out.description === "string" && /\(default\b/.test(out.description)) delete out.default;
  // The registry refuses an unknown parameter, naming the valid ones; an empty list says nothing.
  if (out.additionalProperties === false && out.type === "object") delete out.additionalProperties;
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

/** What a tool answers: a write tool answers its own result, or its plan in a dry run. */
export function outputSchema(tool: AnyTool): v.GenericSchema {
  return tool.tier > 1 ? v.union([tool.output, DryRunOutput]) : tool.output;
}

/** The output schema as JSON: MCP wants an object at the root, also around the dry-run union. */
export function convertOutput(tool: AnyTool, target: string): JsonSchema {
  const json = convert(outputSchema(tool), target, "output");
  return tool.tier > 1 ? { type: "object", ...json } : json;
}

/** What tools/list shows for one tool on a one-cluster server. */
export function listedSchemas(tool: AnyTool): { input: JsonSchema; output: JsonSchema } {
  return { input: convert(withServerParams(tool, []), LISTED_TARGET, "input"), output: convertOutput(tool, LISTED_TARGET) };
}
