// Look-ups over the facts derived from the official PVE API schema (pve-schema.json, made by
// scripts/derive-pve-schema.ts): which operations exist, their parameters and `returns`
// schemas, the few named property-string formats, and how a request path finds its template.
import derived from "./pve-schema.json" with { type: "json" };

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/**
 * One JSON-schema-like node as PVE writes them. Numbers and flags sometimes come as strings
 * ("minimum": "0", "optional": "1"), as in PVE's Perl sources; read them with perlTrue/Number.
 */
export interface PropSchema {
  type?: string | string[];
  optional?: number | string | boolean;
  format?: string | Record<string, PropSchema>;
  pattern?: string;
  enum?: Array<string | number>;
  minimum?: number | string;
  maximum?: number | string;
  minLength?: number | string;
  maxLength?: number | string;
  default?: unknown;
  /** In a property string: the sub-key a bare first value belongs to. */
  default_key?: number | string | boolean;
  /** In a property string: this sub-key stores its value under another one... */
  alias?: string;
  /** ...and its own name under this one (qemu `virtio=<mac>` sets model=virtio). */
  keyAlias?: string;
  requires?: string | PropSchema;
  items?: PropSchema;
  properties?: Record<string, PropSchema>;
  additionalProperties?: number | string | boolean | PropSchema;
  oneOf?: PropSchema[];
  "instance-types"?: string[];
  "type-property"?: string;
  /** Added by the derive script: `net[n]` accepts net0..net<indexMax>. */
  indexMax?: number;
}

export interface ParameterSchema {
  additionalProperties?: number | string | boolean | PropSchema;
  properties?: Record<string, PropSchema>;
}

export interface Operation {
  parameters: ParameterSchema;
  returns?: PropSchema;
  protected?: number;
  allowtoken?: number;
}

interface Derived {
  formats: Record<string, Record<string, PropSchema>>;
  operations: Record<string, Partial<Record<Method, Operation>>>;
}

const facts = derived as unknown as Derived;

/** The operation at a template such as "/nodes/{node}/qemu/{vmid}/status/start". */
export function operation(method: Method, template: string): Operation | undefined {
  return facts.operations[template]?.[method];
}

/** Every path template the schema knows, sorted. */
export function templates(): string[] {
  return Object.keys(facts.operations).sort();
}

/** Every operation, as [method, template, operation], in template order. */
export function* eachOperation(): Generator<[Method, string, Operation]> {
  for (const template of templates()) {
    const methods = facts.operations[template] ?? {};
    for (const method of Object.keys(methods).sort() as Method[]) yield [method, template, methods[method] as Operation];
  }
}

/** Names of the property-string formats the schema file carries. */
export function namedPropertyStringFormats(): string[] {
  return Object.keys(facts.formats).sort();
}

/** A named format PVE registers as a property-string schema, when the schema carries it. */
export function namedPropertyStringFormat(name: string): Record<string, PropSchema> | undefined {
  return facts.formats[name];
}

/** Perl's truth: undef, "", 0 and "0" are false. PVE's schema flags follow it. */
export function perlTrue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== "" && value !== "0";
}

// --- path matching ---------------------------------------------------------------------

interface RouteNode {
  template: string;
  literals: Map<string, RouteNode>;
  placeholder?: { name: string; node: RouteNode };
  /** PVE hands everything below this point to one placeholder (see GREEDY_SUBTREES). */
  greedy: boolean;
}

/**
 * Subtrees PVE registers with `fragmentDelimiter => ''`: the rest of the path, slashes and
 * all, is one segment. Storage content is the one in PVE's API, because volume IDs such as
 * "local:iso/debian.iso" contain a slash. The API dump does not carry this, so it is listed.
 */
const GREEDY_SUBTREES = new Set(["/nodes/{node}/storage/{storage}/content"]);

function newNode(template: string): RouteNode {
  return { template, literals: new Map(), greedy: GREEDY_SUBTREES.has(template) };
}

function buildRoutes(): RouteNode {
  const root = newNode("");
  for (const template of templates()) {
    let node = root;
    for (const segment of template.split("/").filter(Boolean)) {
      const next = `${node.template}/${segment}`;
      const placeholder = /^\{(\w+)\}$/.exec(segment);
      if (placeholder) {
        node.placeholder ??= { name: placeholder[1] as string, node: newNode(next) };
        node = node.placeholder.node;
      } else {
        let child = node.literals.get(segment);
        if (!child) node.literals.set(segment, (child = newNode(next)));
        node = child;
      }
    }
  }
  return root;
}

const ROUTES = buildRoutes();

export interface PathMatch {
  template: string;
  pathParams: Record<string, string>;
}

/**
 * Finds the template for already-decoded, non-empty path segments, as PVE's RESTHandler
 * does: a literal segment wins over a placeholder, and a placeholder takes one segment
 * without whitespace (its default pattern is \S+).
 */
export function matchPath(segments: readonly string[]): PathMatch | undefined {
  const pathParams: Record<string, string> = {};
  let node = ROUTES;
  let rest = [...segments];
  while (rest.length > 0) {
    if (node.greedy && rest.length > 1) rest = [rest.join("/")];
    const segment = rest.shift() as string;
    const literal = node.literals.get(segment);
    if (literal) {
      node = literal;
      continue;
    }
    if (!node.placeholder || !/^\S+$/.test(segment)) return undefined;
    pathParams[node.placeholder.name] = segment;
    node = node.placeholder.node;
  }
  return facts.operations[node.template] ? { template: node.template, pathParams } : undefined;
}
