// What every simulated endpoint handler gets, and how it fails the way PVE fails.
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
}

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
