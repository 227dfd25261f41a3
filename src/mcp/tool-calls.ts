// Every tools/call passes here before the SDK's own handler. That handler checks each call
// again after this server has: the request's wire shape (zod), the arguments (a JSON-Schema
// stand-in here: src/tools/registry.ts parses them with valibot), the answer against the
// output schema (valibot) and the result's wire shape (zod). For a read that was about
// 0.13 ms of a 1 ms proxmox_get_resource on a 2-core host (bench/locate.ts), paid on the
// calls an agent makes most. So a route may answer first:
//  - a task-augmented call of a long tool starts a task (src/mcp/tasks.ts);
//  - a read goes straight to the callback the registry registered for the tool (readRoute);
//  - anything else takes the SDK's handler unchanged: every write (a confirmation may answer
//    input_required, which the SDK checks against the era and the client's capabilities),
//    a name this server instance does not list, arguments that are not an object.
// On stdio a read may go further round the SDK (readLane): see there.
import type { McpServer } from "@modelcontextprotocol/server";
import type { ToolRegistry } from "../tools/registry.ts";
import type { AnyTool } from "../tools/types.ts";

export interface ToolCallRequest {
  params?: Record<string, unknown>;
}

export interface ToolCallContext {
  mcpReq: {
    id?: string | number;
    method?: string;
    _meta?: Record<string, unknown>;
    envelope?: Record<string, unknown>;
    signal: AbortSignal;
    notify?: (notification: { method: string; params?: Record<string, unknown> }) => Promise<void>;
  };
}

/** A request handler as the SDK keeps it for a method, in front of any schema check. */
export type RequestHandler = (request: ToolCallRequest, ctx: ToolCallContext) => Promise<unknown>;

/** A route answers the calls it takes (a promise) and leaves the others (undefined). */
export type ToolCallRoute = (call: ListedCall, request: ToolCallRequest, ctx: ToolCallContext) => Promise<unknown> | undefined;

/** A call of a tool this server instance lists, with arguments that are an object. */
export interface ListedCall {
  tool: AnyTool;
  args: Record<string, unknown>;
  /** The SDK's registration of the tool: its callback, as the SDK would run it. */
  registered: RegisteredTool;
}

interface RegisteredTool {
  enabled: boolean;
  execution?: unknown;
  executor: (args: unknown, ctx: ToolCallContext) => Promise<unknown>;
}

/** The SDK's registrations by name (SDK 2.4.0 keeps them on the McpServer, unexported). */
export function registeredTools(server: McpServer): Record<string, RegisteredTool | undefined> {
  return (server as unknown as { _registeredTools: Record<string, RegisteredTool | undefined> })._registeredTools;
}

/** The SDK's request handlers by method (SDK 2.4.0 keeps them on the Server, unexported). */
export function requestHandlers(server: McpServer): Map<string, RequestHandler> {
  return (server.server as unknown as { _requestHandlers: Map<string, RequestHandler> })._requestHandlers;
}

/** Puts `routes` in front of the SDK's tools/call handler; runs after the tools are registered. */
export function routeToolCalls(server: McpServer, registry: ToolRegistry, routes: readonly ToolCallRoute[]): void {
  const handlers = requestHandlers(server);
  const sdkCall = handlers.get("tools/call");
  if (!sdkCall) throw new Error("routeToolCalls runs after the tools are registered");
  const registered = registeredTools(server);
  handlers.set("tools/call", (request, ctx) => {
    const call = listedCall(registry, registered, request);
    if (call) {
      for (const route of routes) {
        const answer = route(call, request, ctx);
        if (answer) return answer;
      }
    }
    return sdkCall(request, ctx);
  });
}

function listedCall(registry: ToolRegistry, registered: Record<string, RegisteredTool | undefined>, request: ToolCallRequest): ListedCall | undefined {
  const name = request.params?.name;
  if (typeof name !== "string") return undefined;
  // Only a tool this server instance lists: an OAuth token's ceiling left some out.
  const entry = Object.hasOwn(registered, name) ? registered[name] : undefined;
  const tool = entry?.enabled ? registry.tool(name) : undefined;
  if (!entry || !tool) return undefined;
  const args = request.params?.arguments ?? {};
  if (args === null || typeof args !== "object" || Array.isArray(args)) return undefined;
  return { tool, args: args as Record<string, unknown>, registered: entry };
}

/**
 * Reads run the registered callback directly. It never throws (the registry turns every
 * failure into an error answer); if it did, the answer is the SDK's own form for it.
 */
export const readRoute: ToolCallRoute = ({ tool, args, registered }, _request, ctx) => {
  if ((tool.tierFor ? tool.tierFor(args) : tool.tier) !== 1) return undefined;
  return registered.executor(args, ctx).catch((error: unknown) => ({
    content: [{ type: "text", text: error instanceof Error ? error.message : String(error) }],
    isError: true,
  }));
};

/** A JSON-RPC request as the stdio transport read it (its shape checked, nothing else). */
export interface WireRequest {
  jsonrpc: "2.0";
  id: string | number;
  method: string;
  params?: Record<string, unknown>;
}

/**
 * A transport's short way to a result: a promise for the requests it takes, undefined for
 * the rest (they go to the SDK as usual). `signal` aborts when the client cancels.
 */
export type CallLane = (request: WireRequest, signal: AbortSignal) => Promise<unknown> | undefined;

/**
 * Reads on a 2025-era stdio connection, answered before the SDK sees them. Each message the
 * SDK's stdio entry handles is classified by zod schemas five times on its way in and out
 * (the entry, its channel, the Protocol), and a context with a dozen closures is built for
 * it: about a tenth of the server's CPU for a proxmox_get_resource (bench/locate.ts). A read
 * needs none of that: no input_required round, no capability the era gates. So the lane
 * takes a tools/call only when all of this holds, and otherwise leaves it to the SDK:
 *  - the client initialized (before that the SDK answers as the protocol says);
 *  - it is not task-augmented (the tasks route starts those);
 *  - the tool is listed on this server instance and the call is a read (readRoute).
 * A 2026-era connection never gets a lane: its codec stamps every result.
 */
export function readLane(server: McpServer, registry: ToolRegistry): CallLane {
  const registered = registeredTools(server);
  return (request, signal) => {
    if (request.method !== "tools/call") return undefined;
    if (request.params === undefined || request.params.task !== undefined) return undefined;
    if (server.server.getClientCapabilities() === undefined) return undefined;
    const call = listedCall(registry, registered, request);
    if (!call) return undefined;
    const meta = request.params._meta;
    return readRoute(call, request, {
      mcpReq: {
        id: request.id,
        method: request.method,
        _meta: meta !== null && typeof meta === "object" && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined,
        signal,
        // On stdio every message shares the one pipe: a progress update needs no request id.
        notify: (notification) => server.server.notification(notification as Parameters<McpServer["server"]["notification"]>[0]),
      },
    });
  };
}
