import { callTool, connect, memoryOf, serverEnv } from "./lib.ts";
import { startSimHost } from "./sim-host.ts";
const sim = await startSimHost({ nodes: 50, guests: 10000 });
for (const bin of process.argv.slice(2)) for (let k = 0; k < 2; k++) {
  const s = await connect(bin, serverEnv(sim));
  await s.client.listTools();
  const m0 = memoryOf(s.pid);
  const t = performance.now();
  for (let i = 0; i < 10; i++) for (const [tool, args] of [["proxmox_list_vms", {}], ["proxmox_list_vms", { status: "running", node: "pve2" }], ["proxmox_list_containers", {}], ["proxmox_status", {}], ["proxmox_resource_usage", { node: "pve1" }], ["proxmox_get_resource", { vmid: 100 }]] as const) await callTool(s, tool, args as any);
  const ms = performance.now() - t;
  const m = memoryOf(s.pid);
  console.log(bin, "after list", m0?.peakRssMiB, "peak", m?.peakRssMiB, "now", m?.rssMiB, "ms", ms.toFixed(0));
  await s.close();
}
await sim.stop();
