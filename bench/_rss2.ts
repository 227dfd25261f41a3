import { callTool, connect, memoryOf, serverEnv } from "./lib.ts";
import { startSimHost } from "./sim-host.ts";
const sim = await startSimHost({ nodes: 50, guests: 10000 });
const bin = process.argv[2]!;
for (const [tool, args] of [["proxmox_list_vms", {}], ["proxmox_list_containers", {}], ["proxmox_status", {}], ["proxmox_resource_usage", { node: "pve1" }], ["proxmox_get_resource", { vmid: 100 }]] as const) {
  const s = await connect(bin, serverEnv(sim));
  await s.client.listTools();
  const m0 = memoryOf(s.pid);
  await callTool(s, tool, args as any);
  const m1 = memoryOf(s.pid);
  for (let i = 0; i < 5; i++) await callTool(s, tool, args as any);
  const m = memoryOf(s.pid);
  console.log(tool, "base", m0?.peakRssMiB, "after 1", m1?.peakRssMiB, "after 6", m?.peakRssMiB);
  await s.close();
}
await sim.stop();
