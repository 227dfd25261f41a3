// Builds the runtime (client, logger, audit) and the MCP server from a Config. Every
// transport goes through createMcpServer; stdio output goes through the redactor (src/mcp/stdio-transport.ts).
import { McpServer } from "@modelcontextprotocol/server";
import type { Principal } from "./auth/http-auth.ts";
import type { Config } from "./config/env.ts";
import type { Logger } from "./log.ts";
import { PveClient } from "./pve/client.ts";
import { registerApps } from "./mcp/apps.ts";
import { completerFor, registerCompletions } from "./mcp/completions.ts";
import { inventoryWatch } from "./mcp/inventory.ts";
import { logHub } from "./mcp/logging.ts";
import { registerTasks } from "./mcp/tasks.ts";
import type { StdioTransport } from "./mcp/stdio-transport.ts";
import { readLane, readRoute, routeToolCalls } from "./mcp/tool-calls.ts";
import { registerPrompts } from "./prompts.ts";
import { registerResources } from "./resources.ts";
import { createAudit } from "./security/audit.ts";
import type { Redactor } from "./security/redactor.ts";
import { ALL_TOOLS } from "./tools/index.ts";
import { type Runtime, ToolRegistry } from "./tools/registry.ts";
import type { AnyTool } from "./tools/types.ts";
import { VERSION } from "./version.ts";

export const SERVER_NAME = "proxmox-mcp";

/** Shown by clients that load tools lazily in place of the tool list: a few lines on how to work here. */
export const INSTRUCTIONS = [
  "Tools for Proxmox VE. Start with proxmox_status (nodes, quorum, guests), then proxmox_list_vms / proxmox_list_containers; guests and nodes also read as proxmox:// resources.",
  "Tiers: reads are open. Writes need confirm: true, set only when the user asked for that action. Destructive tools also need destructive: true and a server started with PROXMOX_ENABLE_DESTRUCTIVE=1.",
  "dry_run: true on a write answers with its plan (what changes, every request it would send) and sends nothing: show it to the user before confirming.",
  "Toolsets: the admin chooses which groups of tools are listed (PROXMOX_TOOLSETS); a tool that is not listed is switched off here, not broken.",
  "Long jobs (backup, restore, clone, migrate) follow the Proxmox task to its end; if a wait is cut short, follow the UPID with proxmox_get_task_status.",
].join("\n");

/** `auditKey`: PROXMOX_AUDIT_KEY, which seals the audit lines into a hash chain. */
export function createRuntime(configs: readonly Config[], redactor: Redactor, log: Logger, auditKey?: string): Runtime {
  const instances = configs.map((config) => {
    // Security: every secret is registered before anything can print it.
    redactor.register(config.tokenSecret);
    const pve = new PveClient({ baseUrl: config.url, tokenId: config.tokenId, tokenSecret: config.tokenSecret, timeoutMs: config.timeoutMs, tls: config.tls, logger: log, redactor });
    return { name: config.name, config, pve };
  });
  return { instances, log, redactor, audit: createAudit(redactor, log, configs[0]?.auditLog, auditKey) };
}

export function createRegistry(runtime: Runtime, tools: readonly AnyTool[] = ALL_TOOLS): ToolRegistry {
  return new ToolRegistry(tools, runtime);
}

/**
 * A fresh SDK server over the shared registry; stdio asks for one per connection era, HTTP
 * one per request, for that request's principal (its token's tier ceiling and its person).
 */
export function createMcpServer(registry: ToolRegistry, principal: Principal = {}): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: VERSION }, { capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} }, instructions: INSTRUCTIONS });
  logHub.attach(server);
  inventoryWatch(registry).attach(server);
  registerCompletions(server, completerFor(registry));
  registry.registerAll(server, principal);
  const tasks = registerTasks(server, registry, principal);
  routeToolCalls(server, registry, [tasks, readRoute]);
  registerApps(server);
  registerResources(server, registry, principal);
  registerPrompts(server);
  return server;
}

/**
 * The SDK's stdio entry asks this for the server of the connection's era. A 2025-era one
 * gives its reads the transport's lane past the SDK (readLane says why); a 2026-era one
 * takes every request the SDK's way.
 */
export function stdioServerFactory(registry: ToolRegistry, transport: StdioTransport): (context: { era: "legacy" | "modern" }) => McpServer {
  return ({ era }) => {
    const server = createMcpServer(registry);
    transport.useLane(era === "legacy" ? readLane(server, registry) : undefined);
    return server;
  };
}
