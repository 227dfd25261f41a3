// resources.listChanged is advertised, so it is kept: every connected client is told
// (notifications/resources/list_changed) when the set of guests changes, whether this
// server changed it (a create, clone, restore, migrate or destroy that succeeded) or a
// poll of /cluster/resources notices a change made elsewhere.
import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "../log.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { perRegistry } from "./per-registry.ts";

/** Tools whose success changes the resource list (guest URIs, or the node a guest is on). */
const CHANGES_INVENTORY = /^proxmox_(create_|clone_|destroy_|restore|migrate_)/;
/** How often the inventory is compared while a client is connected; one GET per cluster. */
export const POLL_MS = 60_000;

export class InventoryWatch {
  private readonly servers = new Set<McpServer>();
  private last: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  constructor(
    private readonly registry: ToolRegistry,
    private readonly pollMs: number = POLL_MS,
    private readonly log?: Logger,
  ) {}

  attach(server: McpServer): void {
    this.servers.add(server);
    const previous = server.server.onclose;
    server.server.onclose = () => {
      this.servers.delete(server);
      if (this.servers.size === 0) this.stop();
      previous?.();
    };
    if (!this.timer && this.pollMs > 0) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref?.();
    }
  }

  /** After a tool call answered: a successful inventory-changing write tells every client. */
  afterCall(tool: string, outcome: { isError: boolean; inputRequired?: unknown; structured?: Record<string, unknown> }): void {
    // A refusal, a question to the person or a dry run changed nothing.
    if (outcome.isError || outcome.inputRequired || outcome.structured?.dry_run === true || !CHANGES_INVENTORY.test(tool)) return;
    this.last = undefined;
    this.notify();
  }

  /** Compares the guests (vmid, node) with the last poll; a difference tells every client. */
  async poll(): Promise<boolean> {
    if (this.polling) return false;
    this.polling = true;
    try {
      const parts: string[] = [];
      for (const instance of this.registry.instanceNames) {
        const outcome = await this.registry.call("proxmox_list_vms", { instance, include_templates: true, limit: 500 });
        const containers = await this.registry.call("proxmox_list_containers", { instance, include_templates: true, limit: 500 });
        if (outcome.isError || containers.isError) return false;
        for (const list of [outcome, containers]) {
          for (const g of (list.structured?.items as { vmid: number; node: string }[] | undefined) ?? []) parts.push(`${instance}/${g.vmid}@${g.node}`);
        }
      }
      const signature = parts.sort().join(",");
      const changed = this.last !== undefined && this.last !== signature;
      if (changed) this.log?.debug(`inventory changed since the last poll (${this.last?.split(",").length} → ${parts.length} guests); telling ${this.servers.size} client(s)`);
      this.last = signature;
      if (changed) this.notify();
      return changed;
    } finally {
      this.polling = false;
    }
  }

  private notify(): void {
    for (const server of this.servers) {
      if (server.isConnected()) server.server.sendResourceListChanged().catch(() => {});
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** One watch per registry (per process), shared by every connection. */
export const inventoryWatch = perRegistry((registry) => new InventoryWatch(registry, Number(process.env.PROXMOX_INVENTORY_POLL_MS ?? POLL_MS), registry.log));
