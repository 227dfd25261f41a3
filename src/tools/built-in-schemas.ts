// A Bun macro: imported `with { type: "macro" }`, it runs when the binary is built (and when
// `bun` transpiles the importing file), and its answer is written into the code as a literal.
// So the first tools/list sends JSON Schema that was converted at build time instead of
// converting 60 valibot schemas while the client waits (about 8 ms of a 50 ms cold start).
import { listedSchemas, type JsonSchema } from "./json-schema.ts";
import { ALL_TOOLS } from "./index.ts";

export function builtInSchemas(): Record<string, { input: JsonSchema; output: JsonSchema }> {
  return Object.fromEntries(ALL_TOOLS.map((tool) => [tool.name, listedSchemas(tool)]));
}
