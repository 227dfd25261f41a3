// What every simulated endpoint handler gets, and how it fails the way PVE fails.
import type { SimAccess, SimToken } from "../access.ts";
import type { SimCluster, SimGuest, SimNode } from "../cluster.ts";
import type { TaskRunner } from "../tasks.ts";

export class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A list answer that also carries PVE's "total" in the envelope. */
export class WithTotal {
  constructor(
    readonly data: unknown,
    readonly total: number,
  ) {}
}

export interface HandlerContext {
  cluster: SimCluster;
  tasks: TaskRunner;
  /** Path and body/query parameters, already checked against the schema. */
  p: Record<string, string | string[]>;
  /** The token id the request authenticated with (tasks run as it). */
  user: string;
  token: SimToken;
  access: SimAccess;
}

/** A privilege check made in a handler's code (PVE: $rpcenv->check(..., $noerr)). */
export const can = (ctx: HandlerContext, path: string, priv: string): boolean => ctx.access.can(ctx.token, path, priv);

/** The same check, failing as PVE fails it. */
export function demand(ctx: HandlerContext, path: string, priv: string): void {
  if (!can(ctx, path, priv)) throw new SimError(403, `Permission check failed (${path}, ${priv})`);
}

/** PVE builds many lists from Perl hashes: their order changes between requests. */
export function hashOrder<T>(ctx: HandlerContext, items: T[]): T[] {
  if (!ctx.cluster.real.shuffleStorage) return items;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A guest's state as /cluster/resources shows it: pvestatd reports QMP's status when there is one. */
export const shownStatus = (g: SimGuest): string => (g.status === "running" && g.qmpstatus ? g.qmpstatus : g.status);

export type Handler = (ctx: HandlerContext) => unknown;

export const str = (ctx: HandlerContext, name: string): string | undefined => {
  const v = ctx.p[name];
  return Array.isArray(v) ? v[0] : v;
};
export const num = (ctx: HandlerContext, name: string): number | undefined => {
  const v = str(ctx, name);
  return v === undefined ? undefined : Number(v);
};
export const bool = (ctx: HandlerContext, name: string): boolean => str(ctx, name) === "1";

/** The node of the path: it must exist (PVE: host lookup fails) and be online (proxy: 595). */
export function onlineNode(ctx: HandlerContext): SimNode {
  const name = str(ctx, "node") as string;
  const node = ctx.cluster.node(name);
  if (!node) throw new SimError(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
  if (!node.online) throw new SimError(595, `Connection timed out`);
  return node;
}

/** The guest of the path, of the path's type, on the path's node, as PVE finds its config file. */
export function pathGuest(ctx: HandlerContext, type: "qemu" | "lxc"): SimGuest {
  const node = onlineNode(ctx);
  const vmid = num(ctx, "vmid") as number;
  const guest = ctx.cluster.guests.get(vmid);
  if (!guest || guest.type !== type || guest.node !== node.name) {
    throw new SimError(500, `Configuration file '${type === "qemu" ? `nodes/${node.name}/qemu-server` : `nodes/${node.name}/lxc`}/${vmid}.conf' does not exist`);
  }
  return guest;
}

export const uptime = (g: SimGuest, now: number) => (g.status === "running" ? Math.max(1, now - g.startedAt) : 0);
