// Derives the facts the simulator checks requests against from the official PVE API
// schema (../shared/pve-api/apidata.json): paths, methods, parameter names, types,
// formats, patterns, ranges, enums, which are required. Prose is dropped (it is
// AGPL text; facts are what we carry). Run: bun run derive-schema [path/to/apidata.json]
const source = process.argv[2] ?? new URL("../../shared/pve-api/apidata.json", import.meta.url).pathname;
const target = new URL("../src/sim/pve-schema.json", import.meta.url).pathname;

const PROSE = new Set(["description", "verbose_description", "format_description", "typetext", "title", "renderer", "print_width", "instance-types", "type-property"]);

interface Node {
  path: string;
  info?: Record<string, { parameters?: { properties?: Record<string, unknown>; additionalProperties?: unknown }; returns?: unknown; protected?: number; allowtoken?: number }>;
  children?: Node[];
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (PROSE.has(key)) continue;
    out[key] = strip((value as Record<string, unknown>)[key]);
  }
  return out;
}

const tree = (await Bun.file(source).json()) as Node[];
const ops: Record<string, unknown> = {};
const walk = (node: Node) => {
  for (const [method, info] of Object.entries(node.info ?? {})) {
    ops[`${method} ${node.path}`] = {
      params: strip(info.parameters?.properties ?? {}),
      additional: info.parameters?.additionalProperties === 1 || info.parameters?.additionalProperties === true,
      returns: strip(info.returns ?? {}),
    };
  }
  for (const child of node.children ?? []) walk(child);
};
for (const node of tree) walk(node);

const sorted = Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b)));
const text = JSON.stringify({ source: "pve-docs api-viewer apidata (PVE 9.1), facts only", ops: sorted });
await Bun.write(target, text);
console.error(`wrote ${Object.keys(sorted).length} operations, ${text.length} bytes, to ${target}`);
