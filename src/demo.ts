// `proxmox-mcp demo`: a person's first minute with the server. It runs real tool calls
// (the same path an agent's calls take) against the simulated cluster and shows a gate.
import type { ToolRegistry } from "./tools/registry.ts";

const STEPS: { say: string; tool: string; args: Record<string, unknown> }[] = [
  { say: "Is the cluster healthy?", tool: "proxmox_status", args: {} },
  { say: "What is eating memory?", tool: "proxmox_list_vms", args: { sort: "mem", limit: 5 } },
  { say: "Which containers run?", tool: "proxmox_list_containers", args: { status: "running" } },
  { say: "When was the last backup?", tool: "proxmox_list_backups", args: { limit: 5 } },
  { say: "What failed lately?", tool: "proxmox_recent_tasks", args: { errors_only: true, limit: 5 } },
];

export async function runTour(registry: ToolRegistry, out: (text: string) => void): Promise<number> {
  out("proxmox-mcp demo — a simulated 3-node cluster; nothing here touches a real Proxmox.\n");
  for (const step of STEPS) {
    if (!registry.tools.some((t) => t.name === step.tool)) continue;
    out(`▶ ${step.say}   ${step.tool} ${JSON.stringify(step.args)}`);
    const outcome = await registry.call(step.tool, step.args);
    out(`${outcome.text}\n`);
    if (outcome.isError) return 1;
  }
  if (registry.tools.some((t) => t.name === "proxmox_start_resource")) {
    out(`▶ A write without consent is refused before any request:   proxmox_start_resource {"vmid": 100}`);
    out(`${(await registry.call("proxmox_start_resource", { vmid: 100 })).text}\n`);
  }
  out("Next: run `proxmox-mcp --demo` from an MCP client (see README: agent set-up), or set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET for your cluster.");
  return 0;
}
