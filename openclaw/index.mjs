// The OpenClaw plugin's runtime entry. The plugin contributes one stdio MCP server, declared
// in openclaw.plugin.json (`mcpServers`), which OpenClaw starts while the plugin is enabled;
// there is nothing to register in-process.
export default {
  id: "proxmox-mcp",
  name: "Proxmox VE",
  description: "MCP server for Proxmox VE (the proxmox-mcp binary on PATH).",
  register() {},
};
