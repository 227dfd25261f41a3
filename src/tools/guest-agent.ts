// proxmox_guest_info: what only the guest knows — its OS and IP addresses. For VMs this
// needs the QEMU guest agent running inside; containers are read from the host side.
import * as v from "valibot";
import { ProxmoxMcpError } from "../errors.ts";
import { clipText, guestOutput, pveText } from "../format/text.ts";
import { PveError } from "../pve/errors.ts";
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

// Security: everything the agent reports is written by whoever is root inside the VM.
// Bounded here, for structured content too; escaped and labelled in the text.
const MAX_OS_FIELD = 200;
const MAX_IFACE_NAME = 64;
const MAX_ADDRESS = 64;
const MAX_INTERFACES = 64;
const MAX_ADDRESSES = 32;

const Iface = v.object({ name: v.string(), mac: v.nullable(v.string()), ipv4: v.array(v.string()), ipv6: v.array(v.string()) });

export const guestInfo = defineTool({
  name: "proxmox_guest_info",
  title: "Guest OS and IPs",
  description: "A guest's OS and network interfaces with IP addresses (VMs need the QEMU guest agent; the answer says when it does not answer).",
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
    agent: v.pipe(
      v.picklist(["running", "not_running", "not_configured", "error", "not_applicable"]),
      v.description("QEMU guest agent state: running, not_running, not_configured (agent option off), error (it answered with an error), not_applicable (containers)."),
    ),
    agent_error: v.optional(v.pipe(v.string(), v.description("What the guest agent or PVE said when the agent answered with an error."))),
    os: v.nullable(v.object({ name: v.string(), version: v.string(), kernel: v.string() })),
    interfaces: v.array(Iface),
  }),
  async handler(args, ctx) {
    const guest = await findGuest(ctx.pve, args.vmid, { node: args.node }, ctx.signal);
    const base = ["nodes", guest.node, guest.type, guest.vmid] as const;
    const opts = { signal: ctx.signal };
    const result = { vmid: guest.vmid, type: guest.type, node: guest.node, name: guest.name };
    if (guest.status === "io-error" || guest.status === "paused" || guest.status === "suspended") {
      // QEMU runs but the guest's CPUs are halted: its agent cannot answer until it is resumed.
      const why = guest.status === "io-error" ? "QEMU halted it on a disk I/O error (often a full storage): free space on its storage, then resume it" : `it is ${guest.status}: resume it`;
      return { text: `VM ${guest.vmid} (${pveText(guest.name, 63)}) is not stopped but ${guest.status}; ${why}. Its guest agent cannot answer until then.`, data: { ...result, agent: "not_running" as const, os: null, interfaces: [] } };
    }
    if (guest.status !== "running") {
      return { text: `${pveText(guest.name, 63) || guest.vmid} is ${guest.status}; a stopped guest has no running OS or addresses to report.`, data: { ...result, agent: guest.type === "qemu" ? ("not_running" as const) : ("not_applicable" as const), os: null, interfaces: [] } };
    }
    if (guest.type === "lxc") {
      const list = (await ctx.pve.get<LxcInterface[] | null>([...base, "interfaces"], {}, opts)) ?? [];
      const all = (Array.isArray(list) ? list : []).filter((i) => !isLoopback(i?.name, [i?.inet, i?.inet6]));
      const interfaces = all.slice(0, MAX_INTERFACES).map((i) => toIface(i.name, i.hwaddr ?? i["hardware-address"], i["ip-addresses"], [i.inet, i.inet6]));
      return { text: render(guest.name, guest.vmid, null, interfaces, "host", all.length), data: { ...result, agent: "not_applicable" as const, os: null, interfaces } };
    }
    let os: { name: string; version: string; kernel: string } | null = null;
    let interfaces: v.InferOutput<typeof Iface>[] = [];
    let total = 0;
    try {
      const [osinfo, net] = await Promise.all([
        ctx.pve.get<{ result?: unknown }>([...base, "agent", "get-osinfo"], {}, opts),
        ctx.pve.get<{ result?: unknown }>([...base, "agent", "network-get-interfaces"], {}, opts),
      ]);
      // PVE 6 passed QGA's own error through with HTTP 200: {"result":{"error":{"class","desc"}}}.
      const agentError = qgaError(osinfo?.result) ?? qgaError(net?.result);
      if (agentError) {
        return {
          text: `VM ${guest.vmid} (${pveText(guest.name, 63)}): its QEMU guest agent answered with an error: ${agentError}. Its OS and IPs are unknown; an older or Windows guest agent may lack the command (update qemu-guest-agent / virtio-win).`,
          data: { ...result, agent: "error" as const, agent_error: agentError, os: null, interfaces: [] },
        };
      }
      const r = isRecord(osinfo?.result) ? (osinfo.result as Record<string, string>) : undefined;
      if (r) os = { name: clipText(r["pretty-name"] ?? r.name ?? "", MAX_OS_FIELD), version: clipText(r.version ?? r["version-id"] ?? "", MAX_OS_FIELD), kernel: clipText(r["kernel-release"] ?? "", MAX_OS_FIELD) };
      const reported = Array.isArray(net?.result) ? (net.result as AgentInterface[]) : [];
      const all = reported.filter((i) => !isLoopback(i?.name, (Array.isArray(i?.["ip-addresses"]) ? i["ip-addresses"] : []).map((a) => a?.["ip-address"])));
      total = all.length;
      interfaces = all.slice(0, MAX_INTERFACES).map((i) => toIface(i.name, i["hardware-address"], i["ip-addresses"], []));
    } catch (error) {
      // A 403 is a missing privilege (PVE 8: VM.Monitor, PVE 9: VM.GuestAgent.Audit), not a missing agent.
      if (error instanceof PveError && error.code === "pve_permission") throw error;
      // PVE answers 500 "No QEMU guest agent configured", "QEMU guest agent is not running" or "Agent error: …".
      if (error instanceof PveError && error.details.status === 500 && /agent/i.test(error.message)) {
        const said = error.message;
        if (/no QEMU guest agent configured|not configured/i.test(said)) {
          return {
            text: `VM ${guest.vmid} (${pveText(guest.name, 63)}) runs, but the QEMU Guest Agent option is off in its configuration, so PVE does not ask the guest. Enable "QEMU Guest Agent" in the VM's options (and install qemu-guest-agent inside), then restart the VM.`,
            data: { ...result, agent: "not_configured" as const, os: null, interfaces: [] },
          };
        }
        if (/Agent error/i.test(said)) {
          const detail = pveText(/Agent error: ([^\n.]*)/.exec(said)?.[1] ?? "unknown error", 200);
          return { text: `VM ${guest.vmid} (${pveText(guest.name, 63)}): its QEMU guest agent answered with an error: ${detail}. Its OS and IPs are unknown.`, data: { ...result, agent: "error" as const, agent_error: detail, os: null, interfaces: [] } };
        }
        return {
          text: `VM ${guest.vmid} (${pveText(guest.name, 63)}) runs, but its QEMU guest agent does not answer, so its OS and IPs are unknown. Install and start qemu-guest-agent in the VM and enable "QEMU Guest Agent" in its options.`,
          data: { ...result, agent: "not_running" as const, os: null, interfaces: [] },
        };
      }
      throw error;
    }
    return { text: render(guest.name, guest.vmid, os, interfaces, "agent", total), data: { ...result, agent: "running" as const, os, interfaces } };
  },
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function qgaError(result: unknown): string | undefined {
  if (!isRecord(result) || !isRecord(result.error)) return undefined;
  const e = result.error as { desc?: unknown; class?: unknown };
  return `${typeof e.desc === "string" ? pveText(e.desc, 200) : "unknown error"}${typeof e.class === "string" ? ` (${pveText(e.class, 40)})` : ""}`;
}

/** lo, Windows' "Loopback Pseudo-Interface 1", or an interface with only loopback addresses. */
function isLoopback(name: unknown, addresses: unknown[]): boolean {
  if (name === "lo" || (typeof name === "string" && /^loopback pseudo-interface/i.test(name))) return true;
  const present = addresses.filter((a): a is string => typeof a === "string" && a !== "");
  return present.length > 0 && present.every((a) => /^(127\.|::1(\/|$))/.test(a));
}

function toIface(name: unknown, mac: unknown, addresses: AgentInterface["ip-addresses"], extra: (string | undefined)[]): v.InferOutput<typeof Iface> {
  const listed = Array.isArray(addresses) ? addresses.slice(0, MAX_ADDRESSES) : [];
  const all = [...listed.map((a) => (a?.prefix !== undefined ? `${a?.["ip-address"]}/${a.prefix}` : String(a?.["ip-address"]))), ...extra.filter((x): x is string => !!x)].map((a) => clipText(a, MAX_ADDRESS));
  const unique = [...new Set(all)];
  return { name: clipText(name, MAX_IFACE_NAME), mac: mac === undefined || mac === null ? null : clipText(mac, MAX_ADDRESS), ipv4: unique.filter((a) => !a.includes(":")), ipv6: unique.filter((a) => a.includes(":")) };
}

/**
 * The agent's report as text: the server's own line names the guest; what the guest said is
 * a labelled block (every line prefixed, escaped, bounded), so a forged OS name or interface
 * name can neither pass for another guest's row nor for a line of the server's.
 */
function render(name: string, vmid: number, os: { name: string; version: string; kernel: string } | null, interfaces: v.InferOutput<typeof Iface>[], source: "agent" | "host", total: number): string {
  const shown = interfaces;
  const reported = [
    ...(os ? [`os: ${pveText(os.name, MAX_OS_FIELD)}`, `kernel: ${pveText(os.kernel || "unknown", MAX_OS_FIELD)}`] : []),
    ...shown.map((i) => `interface ${pveText(i.name, MAX_IFACE_NAME)}${i.mac ? ` ${pveText(i.mac, MAX_ADDRESS)}` : ""}: ${[...i.ipv4, ...i.ipv6].map((a) => pveText(a, MAX_ADDRESS)).join(", ") || "no address"}`),
  ];
  const more = total > shown.length ? `\n… ${total - shown.length} more interfaces not shown (structured content holds the first ${shown.length}).` : "";
  const head = `Guest ${vmid}${name ? ` (${pveText(name, 63)})` : ""}: ${total} interface(s)${os ? " and its OS" : ""}, as ${source === "agent" ? "its QEMU guest agent reports them" : "the container's host side reports them"}.`;
  if (reported.length === 0) return `${head}\n(nothing reported)`;
  return `${head}\n${source === "agent" ? guestOutput(`guest agent of VM ${vmid}`, reported.join("\n"), 16 * 1024) : reported.map((l) => `  ${l}`).join("\n")}${more}`;
}
