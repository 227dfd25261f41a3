// OAuth scopes → the highest tier a token may use, per cluster. A scope only ever lowers
// what a call may do: the registry applies the server's own gates and ceilings (confirm,
// destructive switch, read-only, allowlists, protected tags) on top, so no scope widens them.
import type { Tier } from "../tools/types.ts";

export interface ScopeNames {
  read: string;
  write: string;
  destructive: string;
}

export const DEFAULT_SCOPES: ScopeNames = { read: "proxmox:read", write: "proxmox:write", destructive: "proxmox:destructive" };

/** 0: nothing at all on that cluster; otherwise the highest tier the token may use there. */
export type TierCeiling = 0 | Tier;

export interface ScopeGrant {
  /** The highest tier this token may use on a cluster. */
  maxTier(instance: string): TierCeiling;
  /** Whether the token may use anything at all, on any cluster. */
  any: boolean;
}

/**
 * `proxmox:write` grants tier 2 (and the reads below it) on every cluster;
 * `proxmox:write:lab` grants it on the cluster named `lab` only. The highest scope wins per
 * cluster: `proxmox:destructive` alone lets the token read, write and destroy (each still
 * behind its gates). A scope for a cluster this server does not serve grants nothing.
 */
export function grantFromScopes(scopes: readonly string[], names: ScopeNames, instances: readonly string[]): ScopeGrant {
  const levels: [string, Tier][] = [
    [names.read, 1],
    [names.write, 2],
    [names.destructive, 3],
  ];
  let everywhere: TierCeiling = 0;
  const per = new Map<string, TierCeiling>();
  for (const scope of scopes) {
    for (const [name, tier] of levels) {
      if (scope === name) everywhere = Math.max(everywhere, tier) as TierCeiling;
      else if (scope.startsWith(`${name}:`)) {
        const instance = scope.slice(name.length + 1);
        if (instances.includes(instance)) per.set(instance, Math.max(per.get(instance) ?? 0, tier) as TierCeiling);
      }
    }
  }
  const maxTier = (instance: string): TierCeiling => Math.max(everywhere, per.get(instance) ?? 0) as TierCeiling;
  return { maxTier, any: everywhere > 0 || [...per.values()].some((t) => t > 0) };
}
