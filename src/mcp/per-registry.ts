// State kept once per registry (per process), shared by every connection made from it: the
// inventory watch, the completion cache, the MCP task store.
import type { ToolRegistry } from "../tools/registry.ts";

/** `make` runs on a registry's first use; later calls get what it made. */
export function perRegistry<T extends object>(make: (registry: ToolRegistry) => T): (registry: ToolRegistry) => T {
  const made = new WeakMap<ToolRegistry, T>();
  return (registry) => {
    let value = made.get(registry);
    if (!value) {
      value = make(registry);
      made.set(registry, value);
    }
    return value;
  };
}
