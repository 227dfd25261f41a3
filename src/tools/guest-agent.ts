// proxmox_guest_info: what only the guest knows — its OS and IP addresses. For VMs this
// needs the QEMU guest agent running inside; containers are read from the host side.
import * as v from "valibot";
import { ProxmoxMcpError } from "../errors.ts";
import * as f from "../pve/formats.ts";
import { findGuest } from "../pve/resources.ts";
import { defineTool, READ_HINTS } from "./types.ts";

interface AgentInterface {
  name: string;
  "hardware-address"?: string;
  "ip-addresses"?: { "ip-address": string; "ip-address-type": string; prefix?: number }[];
}

interface LxcInterface {
  name: string;
  hwaddr?: string;
  "hardware-address"?: string;
  inet?: string;
  inet6?: string;
  "ip-addresses"?: { "ip-address": string; "ip-address-type": string; prefix?: number }[];
}

const Iface = v.object({ name: v.string(), mac: v.nullable(v.string()), ipv4: v.array(v.string()), ipv6: v.array(v.string()) });

export const guestInfo = defineTool({
  name: "proxmox_guest_info",
  title: "Guest OS and IPs",
  description: "A guest's operating system and network interfaces with IP addresses. VMs need the QEMU guest agent installed and running; the answer says so when it is not. Loopback interfaces are left out.",
  tier: 1,
  toolset: "guest",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({ vmid: f.vmid, node: v.optional(f.node) }),
  output: v.object({
    vmid: v.number(),
    type: v.string(),
    node: v.string(),
    name: v.string(),
    agent: v.pipe(v.picklist(["running", "not_running", "not_applicable"]), v.description("QEMU guest agent state (not_applicable for containers).")),
    os: v.nullable(v.object({ name: v.string(), version: v.string(), kernel: v.string() })),
    interfaces: v.array(Iface),
  }),
  async handler(args, ctx) {
    const guest = await findGuest(ctx.pve, args.vmid, { node: args.node }, ctx.signal);
    const base = ["nodes", guest.node, guest.type, guest.vmid] as const;
    const opts = { signal: ctx.signal };
    const result = { vmid: guest.vmid, type: guest.type, node: guest.node, name: guest.name };
    if (guest.status !== "running") {
      return { text: `${guest.name || guest.vmid} is ${guest.status}; a stopped guest has no running OS or addresses to report.`, data: { ...result, agent: guest.type === "qemu" ? ("not_running" as const) : ("not_applicable" as const), os: null, interfaces: [] } };
    }
    if (guest.type === "lxc") {
      const list = (await ctx.pve.get<LxcInterface[] | null>([...base, "interfaces"], {}, opts)) ?? [];
      const interfaces = list.filter((i) => i.name !== "lo").map((i) => toIface(i.name, i.hwaddr ?? i["hardware-address"], i["ip-addresses"], [i.inet, i.inet6]));
      return { text: render(guest.name, guest.vmid, null, interfaces), data: { ...result, agent: "not_applicable" as const, os: null, interfaces } };
    }
    let os: { name: string; version: string; kernel: string } | null = null;
    let interfaces: v.InferOutput<typeof Iface>[] = [];
    try {
      const [osinfo, net] = await Promise.all([
        ctx.pve.get<{ result?: Record<string, string> }>([...base, "agent", "get-osinfo"], {}, opts),
        ctx.pve.get<{ result?: AgentInterface[] }>([...base, "agent", "network-get-interfaces"], {}, opts),
      ]);
      const r = osinfo?.result;
      if (r) os = { name: r["pretty-name"] ?? r.name ?? "", version: r.version ?? r["version-id"] ?? "", kernel: r["kernel-release"] ?? "" };
      interfaces = (net?.result ?? []).filter((i) => i.name !== "lo").map((i) => toIface(i.name, i["hardware-address"], i["ip-addresses"], []));
    } catch (error) {
      // PVE answers 500 "QEMU guest agent is not running" when the agent is off.
      if (error instanceof ProxmoxMcpError && /agent/i.test(error.message)) {
        return {
          text: `VM ${guest.vmid} (${guest.name}) runs, but its QEMU guest agent does not answer, so its OS and IPs are unknown. Install and start qemu-guest-agent in the VM and enable "QEMU Guest Agent" in its options.`,
          data: { ...result, agent: "not_running" as const, os: null, interfaces: [] },
        };
      }
      throw error;
    }
    return { text: render(guest.name, guest.vmid, os, interfaces), data: { ...result, agent: "running" as const, os, interfaces } };
  },
});

function toIface(name: string, mac: string | undefined, addresses: AgentInterface["ip-addresses"], extra: (string | undefined)[]): v.InferOutput<typeof Iface> {
  const all = [...(addresses ?? []).map((a) => (a.prefix !== undefined ? `${a["ip-address"]}/${a.prefix}` : a["ip-address"])), ...extra.filter((x): x is string => !!x)];
  const unique = [...new Set(all)];
  return { name, mac: mac ?? null, ipv4: unique.filter((a) => !a.includes(":")), ipv6: unique.filter((a) => a.includes(":")) };
}

function render(name: string, vmid: number, os: { name: string; version: string; kernel: string } | null, interfaces: v.InferOutput<typeof Iface>[]): string {
  return [
    `${name || vmid}${os ? `: ${os.name}${os.kernel ? ` (kernel ${os.kernel})` : ""}` : ""}.`,
    ...interfaces.map((i) => `  ${i.name}${i.mac ? ` ${i.mac}` : ""}: ${[...i.ipv4, ...i.ipv6].join(", ") || "no address"}`),
  ].join("\n");
}
