// MCP Apps (the io.modelcontextprotocol/ui extension, @modelcontextprotocol/ext-apps): the
// tools that have something worth looking at point to a ui:// view through the extension's
// metadata, and the server serves that view as a resource. Clients that render MCP Apps
// (Claude, ChatGPT, VS Code, Goose) show it with the tool result; the rest read the same
// text and structuredContent as always. The page is built into the binary (views.ts, a
// macro) and loaded only when a client reads it, so start-up does not pay for it.
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY, registerAppResource } from "@modelcontextprotocol/ext-apps/server";
import type { McpServer } from "@modelcontextprotocol/server";
import type { AnyTool } from "../tools/types.ts";

export const VIEWS = {
  overview: "ui://proxmox/cluster-overview",
  usage: "ui://proxmox/resource-usage",
  plan: "ui://proxmox/write-plan",
} as const;

/** Which view a tool's result is shown in, if any. */
export function viewFor(tool: Pick<AnyTool, "name" | "tier">): string | undefined {
  if (tool.name === "proxmox_status") return VIEWS.overview;
  if (tool.name === "proxmox_resource_usage") return VIEWS.usage;
  // Every write: its dry_run plan as a card (and the task's outcome when it ran).
  if (tool.tier > 1) return VIEWS.plan;
  return undefined;
}

/** The extension's tool metadata (both spellings the spec has had). */
export function appToolMeta(tool: Pick<AnyTool, "name" | "tier">): Record<string, unknown> | undefined {
  const uri = viewFor(tool);
  return uri ? { ui: { resourceUri: uri }, [RESOURCE_URI_META_KEY]: uri } : undefined;
}

/** The view's resource metadata: no network, no other origin, a border around it. */
const RESOURCE_UI_META = { ui: { csp: { connectDomains: [], resourceDomains: [], frameDomains: [] }, prefersBorder: true } };

export function registerApps(server: McpServer): void {
  const titles: Record<keyof typeof VIEWS, string> = { overview: "Cluster overview", usage: "Resource usage charts", plan: "Write plan" };
  for (const [key, uri] of Object.entries(VIEWS) as [keyof typeof VIEWS, string][]) {
    registerAppResource(server, `view-${key}`, uri, { title: titles[key], description: `MCP Apps view: ${titles[key].toLowerCase()}.`, _meta: RESOURCE_UI_META }, async () => {
      const { DASHBOARD_HTML } = await import("./apps-html.ts");
      return { contents: [{ uri, mimeType: RESOURCE_MIME_TYPE, text: DASHBOARD_HTML, _meta: RESOURCE_UI_META }] };
    });
  }
}
