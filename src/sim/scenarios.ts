// Real-world situations the demo can show (`--demo-scenario NAME`, or PROXMOX_DEMO_SCENARIO):
// each is the simulator with some of issue 10's behaviours switched on, so a person sees the
// answers they would get from such a cluster before pointing the server at their own.
import type { SimulatorOptions } from "./server.ts";

export interface DemoScenario {
  /** One line for the tour's header and the usage text. */
  about: string;
  options: SimulatorOptions;
  /** Extra questions the tour asks in this situation. */
  steps?: { say: string; tool: string; args: Record<string, unknown> }[];
}

export const DEMO_SCENARIOS: Record<string, DemoScenario> = {
  homelab: { about: "a 3-node homelab with one node offline", options: {} },
  standalone: {
    about: "a single node without a cluster (PVE 8.4, root disk 95 % full)",
    options: { standalone: true },
    steps: [{ say: "How is the node?", tool: "proxmox_node_status", args: { node: "proxmox" } }],
  },
  "readonly-token": {
    about: "the README's read-only token (PVEAuditor): PVE hides backups from it",
    options: { token: "auditor" },
    steps: [{ say: "What may this token do?", tool: "proxmox_whoami", args: {} }],
  },
  "privsep-token": {
    about: "a token made in the GUI (privilege separation on) that nobody granted an ACL: PVE shows it nothing",
    options: { token: "privsep-no-acl" },
    steps: [{ say: "What may this token do?", tool: "proxmox_whoami", args: {} }],
  },
  "pool-token": {
    about: "a token with rights on the pool 'prod' only",
    options: { token: "pool" },
    steps: [{ say: "What may this token do?", tool: "proxmox_whoami", args: {} }],
  },
  troubled: {
    about: "a cluster with a paused VM, an io-error VM, guest-agent errors, a dead node that answers 595 after 3 s, storage lists in hash order",
    options: { qmpStates: true, agentErrors: true, haGuests: [100], real: { offlineDelayMs: 3000, shuffleStorage: true, haDelayMs: 3000 } },
    steps: [
      { say: "Why is win11-lab not answering?", tool: "proxmox_get_resource", args: { vmid: 104 } },
      { say: "What does k3s-node-1 run?", tool: "proxmox_guest_info", args: { vmid: 105 } },
    ],
  },
  pve8: {
    about: "PVE 8.3 or older: error texts only in the HTTP reason phrase, guest-agent reads guarded by VM.Monitor",
    options: { real: { legacyErrors: true } },
  },
};

export function demoScenario(name: string | undefined): DemoScenario | { error: string } {
  const key = name?.trim() || "homelab";
  return DEMO_SCENARIOS[key] ?? { error: `PROXMOX_DEMO_SCENARIO / --demo-scenario '${key.slice(0, 40)}' is not a demo scenario; use one of ${Object.keys(DEMO_SCENARIOS).join(", ")}` };
}
