// Readable resources with stable URIs, served through the same registry calls as the
// tools (same validation, same redaction): the inventory, each guest, each node.
import { type McpServer, ResourceNotFoundError, ResourceTemplate } from "@modelcontextprotocol/server";
import type { CallOptions, CallOutcome, ToolRegistry } from "./tools/registry.ts";

export const RESOURCE_SCHEME = "proxmox";

export function guestUri(instance: string, vmid: number): string {
  return `${RESOURCE_SCHEME}://${instance}/guests/${vmid}`;
}

/** `access`: the caller's tier ceiling and name (HTTP), applied to every read behind a resource. */
export function registerResources(server: McpServer, registry: ToolRegistry, access: Pick<CallOptions, "maxTier" | "actor"> = {}): void {
  const read = async (uri: URL, tool: string, args: Record<string, unknown>, exists?: () => Promise<boolean>) => {
    // A well-formed URI naming a cluster this server does not serve is not found, not a bad request.
    if (!registry.instanceNames.includes(String(args.instance))) throw new ResourceNotFoundError(uri.href, `Resource not found: ${uri.href} (this server serves ${registry.instanceNames.join(", ")})`);
    const outcome = await registry.call(tool, args, access);
    if (outcome.isError) {
      if (outcome.code === "not_found" || (exists && !(await exists()))) throw new ResourceNotFoundError(uri.href, `Resource not found: ${uri.href}. ${firstLine(outcome)}`);
      throw new Error(outcome.text);
    }
    return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(outcome.structured) }] };
  };
  const nodeExists = (instance: string, node: string) => async () => {
    const status = await registry.call("proxmox_status", { instance }, access);
    const nodes = (status.structured?.nodes as { name?: string; node?: string }[] | undefined) ?? [];
    return status.isError || nodes.some((n) => (n.name ?? n.node) === node);
  };
  for (const instance of registry.instanceNames) {
    server.registerResource(
      `inventory-${instance}`,
      `${RESOURCE_SCHEME}://${instance}/inventory`,
      { title: `Inventory of ${instance}`, description: "Every VM and container with node, status and resource use.", mimeType: "application/json" },
      async (uri) => {
        const [vms, cts] = await Promise.all([
          registry.call("proxmox_list_vms", { instance, include_templates: true, limit: 500 }, access),
          registry.call("proxmox_list_containers", { instance, include_templates: true, limit: 500 }, access),
        ]);
        if (vms.isError || cts.isError) throw new Error(vms.isError ? vms.text : cts.text);
        return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ vms: vms.structured, containers: cts.structured }) }] };
      },
    );
  }
  server.registerResource(
    "guest",
    new ResourceTemplate(`${RESOURCE_SCHEME}://{instance}/guests/{vmid}`, {
      list: async () => {
        const resources = [];
        for (const instance of registry.instanceNames) {
          for (const tool of ["proxmox_list_vms", "proxmox_list_containers"]) {
            const outcome = await registry.call(tool, { instance, include_templates: true, limit: 500 }, access);
            const items = (outcome.structured?.items as { vmid: number; name: string; node: string }[] | undefined) ?? [];
            for (const g of items) resources.push({ uri: guestUri(instance, g.vmid), name: `${g.name || g.vmid} (${g.vmid})`, description: `on ${g.node}`, mimeType: "application/json" });
          }
        }
        return { resources };
      },
    }),
    { title: "Guest", description: "One VM or container: configuration and current status.", mimeType: "application/json" },
    async (uri, variables) => read(uri, "proxmox_get_resource", { instance: String(variables.instance), vmid: Number(variables.vmid) }),
  );
  server.registerResource(
    "node",
    new ResourceTemplate(`${RESOURCE_SCHEME}://{instance}/nodes/{node}`, { list: undefined }),
    { title: "Node", description: "One node's status: load, memory, disks, services, updates.", mimeType: "application/json" },
    async (uri, variables) => read(uri, "proxmox_node_status", { instance: String(variables.instance), node: String(variables.node) }, nodeExists(String(variables.instance), String(variables.node))),
  );
}

function firstLine(outcome: CallOutcome): string {
  return outcome.text.split("\n", 1)[0] ?? "";
}
