// Toolsets: which tools a server lists. Every tool names its set (ToolDef.toolset); an admin
// picks sets with PROXMOX_TOOLSETS, and the registry applies the choice once, before the
// read-only ceiling. A model's context pays for every listed tool on every request, so the
// default is the everyday surface, and the long tail is one variable away.
// No imports from the rest of the server: config parsing (src/config/env.ts) reads this too.

/** The named sets, with what each holds (shown by `proxmox-mcp tools` and the README). */
export const TOOLSETS = {
  inventory: "cluster status, guests, nodes, storage, usage, HA, the token's rights, finding a guest",
  power: "start, shut down, reboot, force-stop",
  snapshots: "list, take, roll back, delete snapshots",
  backup: "list, run, restore and verify backups",
  provision: "create, clone, migrate, destroy guests; download images and templates",
  config: "change a guest's settings, grow a disk",
  tasks: "follow, read and cancel tasks",
  guest: "inside a guest: agent information, running a command",
  api: "the gated door to the rest of the PVE API",
} as const;

export type Toolset = keyof typeof TOOLSETS;

export const TOOLSET_NAMES = Object.keys(TOOLSETS) as Toolset[];

/** `default`: the tools marked inDefault (the everyday surface). `all`: every tool. */
export const TOOLSET_SELECTORS = ["default", "all"] as const;

/** What PROXMOX_TOOLSETS means when it is not set. */
export const DEFAULT_SELECTION: readonly string[] = ["default"];

/**
 * PROXMOX_TOOLSETS as a selection: comma-separated set names, `default`, `all`; case and
 * spaces do not matter. An unknown name is a start-up problem naming the accepted values:
 * a typo must not silently serve fewer (or more) tools than the admin meant.
 */
export function parseToolsets(raw: string | undefined): { toolsets: readonly string[] } | { problem: string } {
  if (raw === undefined || raw.trim() === "") return { toolsets: DEFAULT_SELECTION };
  const names = raw
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const accepted = [...TOOLSET_SELECTORS, ...TOOLSET_NAMES] as readonly string[];
  const unknown = names.filter((n) => !accepted.includes(n));
  if (unknown.length > 0) {
    const shown = unknown.map((n) => `'${n.slice(0, 40)}'`).join(", ");
    return { problem: `PROXMOX_TOOLSETS: unknown toolset ${shown}; accepted: ${accepted.join(", ")} (comma-separated, e.g. default,guest)` };
  }
  if (names.length === 0) return { toolsets: DEFAULT_SELECTION };
  return { toolsets: [...new Set(names)] };
}

interface Selectable {
  toolset: Toolset;
  inDefault?: boolean;
}

/** Whether a selection (from parseToolsets) lists this tool. */
export function isSelected(tool: Selectable, selection: readonly string[]): boolean {
  if (selection.includes("all") || selection.includes(tool.toolset)) return true;
  return selection.includes("default") && tool.inDefault === true;
}
