// Guests appear and disappear: create a container or VM, clone one (tier 2), destroy one (tier 3).
import * as v from "valibot";
import { InputError, RefusedError } from "../errors.ts";
import type { PveClient } from "../pve/client.ts";
import * as f from "../pve/formats.ts";
import { BRIDGE_RE, CIUSER_RE, DNS_NAME_RE, IPV4_CIDR_RE, IPV4_RE, IPV6_RE } from "../pve/formats.ts";
import { propertyString } from "../pve/property-string.ts";
import { listGuests, listResources } from "../pve/resources.ts";
import { listEntries, spaceList, sshKeySummary, sshKeysInput, tagString, urlencodeKeys } from "./config.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool, type ToolContext } from "./types.ts";
import { approveAndSend, checkNodePolicy, checkVmidPolicy, describeGuest, finishTask, guestTarget, planTarget, resolveWriteTarget, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";


const dnsName = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.maxLength(253, `${what} is at most 253 characters`), v.regex(DNS_NAME_RE, `${what} must be a DNS name: letters, digits and '-', dot-separated, e.g. web-02`));

const int = wholeNumber;

const bridge = v.optional(v.pipe(v.string(), v.regex(BRIDGE_RE, "bridge must be a Linux bridge name such as vmbr0"), v.description("Bridge (default vmbr0).")), "vmbr0");

const newVmid = v.optional(v.pipe(f.vmid, v.description("New vmid (default: next free).")));

const CreatedOutput = v.object({ ...TaskOutput.entries, newid: v.number() });

const ProvisionedOutput = v.object({
  ...CreatedOutput.entries,
  ip: v.pipe(v.nullable(v.string()), v.description("The address the guest reported (agent for VMs, interfaces for containers); null when none was reported.")),
  ip_state: v.pipe(v.picklist(["reported", "not_reported", "not_requested"]), v.description("not_reported: no address within the wait budget; never a guessed one.")),
});

const TAGS_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*(;[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*)*$/;
const tagsInput = v.optional(v.pipe(v.array(f.tag, 'tags must be a list such as ["web", "prod"]'), v.check((t) => t.length <= 32, "at most 32 tags"), v.description("Tags.")));
const nameservers = v.optional(v.pipe(v.string(), v.maxLength(512), v.check((s) => listEntries(s).every((x) => IPV4_RE.test(x) || IPV6_RE.test(x)), "nameserver must be IP addresses separated by spaces"), v.description("DNS server IPs.")));
const searchdomains = v.optional(v.pipe(v.string(), v.maxLength(512), v.check((s) => listEntries(s).every((x) => DNS_NAME_RE.test(x)), "searchdomain must be DNS names separated by spaces"), v.description("Search domains.")));
const waitForIp = v.optional(v.pipe(v.boolean("wait_for_ip must be true or false"), v.description("With start: await its IP.")), false);

const usableIp = (ip: string) => !/^(127\.|169\.254\.|::1$|fe80:)/i.test(ip);

/**
 * Polls what the guest reports about its addresses until one is usable or the deadline:
 * the guest agent for a VM, the host's view of the interfaces for a container. Never guesses.
 */
async function waitForAddress(ctx: ToolContext, node: string, type: f.GuestType, vmid: number, deadline: number): Promise<string | null> {
  for (;;) {
    try {
      if (type === "qemu") {
        const net = await ctx.pve.get<{ result?: { name: string; "ip-addresses"?: { "ip-address": string; "ip-address-type": string }[] }[] }>(["nodes", node, "qemu", vmid, "agent", "network-get-interfaces"], {}, { signal: ctx.signal });
        const addresses = (net?.result ?? []).filter((i) => i.name !== "lo").flatMap((i) => i["ip-addresses"] ?? []);
        const found = addresses.find((a) => a["ip-address-type"] === "ipv4" && usableIp(a["ip-address"])) ?? addresses.find((a) => usableIp(a["ip-address"]));
        if (found) return found["ip-address"];
      } else {
        const list = (await ctx.pve.get<{ name: string; inet?: string; inet6?: string }[] | null>(["nodes", node, "lxc", vmid, "interfaces"], {}, { signal: ctx.signal })) ?? [];
        const found = list.filter((i) => i.name !== "lo").flatMap((i) => [i.inet, i.inet6]).find((a): a is string => !!a && usableIp(a));
        if (found) return found.split("/")[0] as string;
      }
    } catch {
      // Not yet: the agent answers once the guest has booted (PVE: 500 "not running").
    }
    if (performance.now() >= deadline || ctx.signal.aborted) return null;
    await Bun.sleep(Math.min(1000, Math.max(50, deadline - performance.now())));
  }
}

/** The create task, then (when asked) the address; one budget for both. */
async function finishProvision(
  ctx: ToolContext,
  what: string,
  upid: string,
  node: string,
  type: f.GuestType,
  vmid: number,
  args: { wait: boolean; wait_timeout_s: number; wait_for_ip: boolean },
): Promise<{ text: string; data: v.InferOutput<typeof ProvisionedOutput> }> {
  const started = performance.now();
  const result = await finishTask(ctx, what, upid, node, vmid, { wait: args.wait || args.wait_for_ip, wait_timeout_s: args.wait_timeout_s });
  const data = { ...result.data, newid: vmid, ip: null, ip_state: "not_requested" as "reported" | "not_reported" | "not_requested" };
  if (!args.wait_for_ip || result.data.state !== "ok") return { text: result.text, data };
  const ip = await waitForAddress(ctx, node, type, vmid, started + args.wait_timeout_s * 1000);
  const waited = Math.round((performance.now() - started) / 100) / 10;
  const line = ip
    ? `IP address: ${ip} (reported by ${type === "qemu" ? "the guest agent" : "the container's interfaces"} after ${waited} s).`
    : `No IP address reported within the ${args.wait_timeout_s} s budget${type === "qemu" ? " (the guest agent has not answered with one yet; it needs qemu-guest-agent running in the guest)" : ""}. Ask again later with proxmox_guest_info {"vmid": ${vmid}}.`;
  return { text: `${result.text}\n${line}`, data: { ...data, ip, ip_state: ip ? "reported" : "not_reported" } };
}

/** A free vmid: the one asked for (refused if taken) or PVE's next free one. */
export async function pickNewVmid(ctx: ToolContext, wanted: number | undefined): Promise<number> {
  if (wanted !== undefined) {
    checkVmidPolicy(ctx, wanted, "new guest id");
    const taken = (await listGuests(ctx.pve, ctx.signal)).find((g) => g.vmid === wanted);
    if (taken) throw new RefusedError(`vmid ${wanted} is already used by ${describeGuest(taken)}.`, "Leave vmid/newid out to take the next free id, or pick another.");
    return wanted;
  }
  const next = Number(await ctx.pve.get<string | number | null>(["cluster", "nextid"], {}, { signal: ctx.signal }));
  if (!Number.isInteger(next) || next < 100 || next > 999_999_999) throw new RefusedError("Proxmox did not return a free vmid; nothing was created.", "Pass vmid (or newid) explicitly, or try again.");
  checkVmidPolicy(ctx, next, "next free id");
  return next;
}

/** Refuses a node that is not in the cluster or not online, before the create request. */
export async function checkNodeOnline(pve: PveClient, node: string, signal: AbortSignal): Promise<void> {
  const nodes = await listResources(pve, "node", signal);
  const found = nodes.find((n) => n.node === node);
  if (!found) throw new InputError(`Node ${node} is not in the cluster.`, `Nodes: ${nodes.map((n) => n.node).join(", ")}.`);
  if (found.status !== "online") throw new RefusedError(`Node ${node} is ${found.status ?? "not online"}; nothing can be created there now.`, "Pick an online node (see proxmox_status).");
}

export const createContainer = defineTool({
  name: "proxmox_create_container",
  title: "Create a container",
  description: "Create an LXC container (unprivileged, DHCP unless ip) from a template; wait_for_ip returns its address.",
  tier: 2,
  toolset: "provision",
  inDefault: true,
  annotations: WRITE_HINTS,
  input: v.strictObject({
    node: f.node,
    vmid: newVmid,
    ostemplate: v.pipe(f.volid, v.description("Template volid.")),
    hostname: v.pipe(dnsName("hostname"), v.description("Hostname.")),
    storage: v.optional(v.pipe(f.storage, v.description("Storage (default local-lvm).")), "local-lvm"),
    disk_gb: v.optional(int("disk_gb", 1, 65536, "Root disk GiB (default 8)."), 8),
    cores: v.optional(int("cores", 1, 8192, "Cores (default 1)."), 1),
    memory_mb: v.optional(int("memory_mb", 16, 4_194_304, "MiB (default 512)."), 512),
    swap_mb: v.optional(int("swap_mb", 0, 4_194_304, "Swap MiB (default 512)."), 512),
    bridge,
    ip: v.optional(
      v.pipe(v.string(), v.check((s) => s === "dhcp" || IPV4_CIDR_RE.test(s), "ip must be dhcp or an IPv4 address with prefix, e.g. 192.168.1.50/24"), v.description("dhcp (default) or IPv4/prefix.")),
      "dhcp",
    ),
    gateway: v.optional(v.pipe(v.string(), v.regex(IPV4_RE, "gateway must be an IPv4 address, e.g. 192.168.1.1"), v.description("Gateway (static ip)."))),
    password: v.optional(v.pipe(v.string("password must be a string"), v.minLength(5, "password must be at least 5 characters"), v.maxLength(256, "password is at most 256 characters"), v.description("Root password."))),
    ssh_public_keys: v.optional(v.pipe(v.string(), v.maxLength(16384, "ssh_public_keys is at most 16 KiB"), v.regex(/^(ssh-|ecdsa-|sk-)/, "ssh_public_keys must be OpenSSH public keys, one per line (ssh-ed25519 AAAA…)"), v.description("Root's public keys."))),
    unprivileged: v.optional(v.pipe(v.boolean(), v.description("Default true (safer).")), true),
    features: v.optional(v.pipe(v.array(v.picklist(["nesting", "keyctl"], "features are nesting and keyctl"), "features must be a list, e.g. [\"nesting\", \"keyctl\"]"), v.description("For Docker: both."))),
    onboot: v.optional(v.pipe(v.boolean(), v.description("Start at boot."))),
    tags: tagsInput,
    description: v.optional(v.pipe(v.string(), v.maxLength(8192, "description is at most 8192 characters"), v.description("Notes."))),
    nameserver: nameservers,
    searchdomain: searchdomains,
    start: v.optional(v.pipe(v.boolean(), v.description("Start once created.")), false),
    wait_for_ip: waitForIp,
    ...waitFields(false),
  }),
  output: ProvisionedOutput,
  async handler(args, ctx) {
    if (args.gateway && args.ip === "dhcp") throw new InputError("gateway goes with a static ip; with dhcp the gateway comes from DHCP.", "Give ip as e.g. 192.168.1.50/24, or leave gateway out.");
    if (!args.password && !args.ssh_public_keys) throw new InputError("A container needs a way in: give password or ssh_public_keys.");
    if (args.wait_for_ip && !args.start) throw new InputError("wait_for_ip needs start: true; a stopped container has no address.");
    if (args.features?.includes("keyctl") && !args.unprivileged) throw new InputError("features.keyctl is for unprivileged containers only (PVE refuses it otherwise).", "Leave unprivileged at true, or drop keyctl.");
    checkNodePolicy(ctx, args.node);
    await checkNodeOnline(ctx.pve, args.node, ctx.signal);
    const vmid = await pickNewVmid(ctx, args.vmid);
    // Security: each value is checked for the property string's separators before it joins one.
    const net0 = propertyString([["name", "eth0"], ["bridge", args.bridge, "bridge"], ["ip", args.ip, "ip"], args.gateway !== undefined && ["gw", args.gateway, "gateway"]]);
    const features = args.features?.length ? propertyString([...new Set(args.features)].map((k) => [k, 1] as const)) : undefined;
    const tags = args.tags === undefined ? undefined : tagString(args.tags);
    const params = {
      vmid,
      ostemplate: args.ostemplate,
      hostname: args.hostname,
      rootfs: propertyString([[null, `${args.storage}:${args.disk_gb}`, "storage"]]),
      cores: args.cores,
      memory: args.memory_mb,
      swap: args.swap_mb,
      net0,
      password: args.password,
      "ssh-public-keys": args.ssh_public_keys,
      unprivileged: args.unprivileged,
      features: features || undefined,
      onboot: args.onboot,
      tags,
      description: args.description,
      nameserver: spaceList(args.nameserver),
      searchdomain: spaceList(args.searchdomain),
      start: args.start,
    };
    const upid = await approveAndSend<string>(ctx, {
      action: `Create container ${vmid} (${args.hostname}) on ${args.node}`,
      target: { vmid, node: args.node, type: "lxc", name: args.hostname },
      details: [
        `new vmid ${vmid}, hostname ${args.hostname}, on node ${args.node}`,
        args.unprivileged ? "unprivileged container" : "PRIVILEGED container: root inside is root on the host",
        ...(features ? [`features: ${features}`] : []),
        `template ${args.ostemplate}; root disk ${args.disk_gb} GiB on ${args.storage}; ${args.cores} cores, ${args.memory_mb} MiB`,
        `network: ${args.ip} on ${args.bridge}`,
        args.ssh_public_keys ? `SSH keys added for root: ${sshKeySummary(args.ssh_public_keys)}` : "no SSH keys added",
        ...(args.password ? ["a root password is set"] : []),
        ...(tags ? [`tags: ${tags}`] : []),
        ...(args.onboot ? ["starts when the node boots"] : []),
        args.start ? `started once created${args.wait_for_ip ? ", then its IP address is awaited" : ""}` : "left stopped",
      ],
    }, { method: "POST", segments: ["nodes", args.node, "lxc"], params });
    return finishProvision(ctx, `Create container ${vmid} (${args.hostname}) on ${args.node}`, upid, args.node, "lxc", vmid, args);
  },
});

export const createVm = defineTool({
  name: "proxmox_create_vm",
  title: "Create a VM",
  description: "Create a QEMU VM: a disk or a cloud image (import_from, cloud-init), optional ISO; wait_for_ip returns its address.",
  tier: 2,
  toolset: "provision",
  inDefault: true,
  annotations: WRITE_HINTS,
  input: v.strictObject({
    node: f.node,
    vmid: newVmid,
    name: v.pipe(dnsName("name"), v.description("VM name.")),
    cores: v.optional(int("cores", 1, 512, "Cores/socket (default 2)."), 2),
    sockets: v.optional(int("sockets", 1, 16, "Sockets (default 1)."), 1),
    memory_mb: v.optional(int("memory_mb", 16, 4_194_304, "MiB (default 2048)."), 2048),
    storage: v.optional(v.pipe(f.storage, v.description("Storage (default local-lvm).")), "local-lvm"),
    disk_gb: v.optional(int("disk_gb", 1, 131072, "GiB (default 32).")),
    iso: v.optional(v.pipe(f.isoVolid, v.description("Installer ISO volid."))),
    import_from: v.optional(v.pipe(f.volid, v.description("Cloud image volid (content import)."))),
    bridge,
    ostype: v.optional(
      v.pipe(v.picklist(["other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris"], "ostype must be a PVE ostype such as l26 (Linux) or win11"), v.description("l26 = Linux (the default).")),
      "l26",
    ),
    ciuser: v.optional(v.pipe(v.string(), v.regex(CIUSER_RE, "ciuser must be a Linux user name such as debian"), v.description("Cloud-init user."))),
    sshkeys: v.optional(v.pipe(sshKeysInput, v.description("Cloud-init public keys."))),
    ip: v.optional(
      v.pipe(v.string(), v.check((s) => s === "dhcp" || IPV4_CIDR_RE.test(s), "ip must be dhcp or an IPv4 address with prefix, e.g. 192.168.1.50/24"), v.description("Cloud-init: dhcp or IPv4/prefix.")),
    ),
    gateway: v.optional(v.pipe(v.string(), v.check((s) => IPV4_RE.test(s), "gateway must be an IPv4 address, e.g. 192.168.1.1"), v.description("Cloud-init gateway."))),
    start: v.optional(v.pipe(v.boolean(), v.description("Start once created.")), false),
    wait_for_ip: waitForIp,
    ...waitFields(false),
  }),
  output: ProvisionedOutput,
  async handler(args, ctx) {
    if (args.import_from && args.disk_gb !== undefined) throw new InputError("disk_gb does not go with import_from: the imported disk keeps the image's size.", "Leave disk_gb out, then grow the disk with proxmox_resize_disk (e.g. size +20G).");
    if (args.gateway && (!args.ip || args.ip === "dhcp")) throw new InputError("gateway goes with a static ip; with dhcp the gateway comes from DHCP.", "Give ip as e.g. 192.168.1.50/24, or leave gateway out.");
    if (args.wait_for_ip && !args.start) throw new InputError("wait_for_ip needs start: true; a stopped VM has no address.");
    const cloudInit = args.import_from !== undefined || [args.ciuser, args.sshkeys, args.ip].some((x) => x !== undefined);
    checkNodePolicy(ctx, args.node);
    await checkNodeOnline(ctx.pve, args.node, ctx.signal);
    const vmid = await pickNewVmid(ctx, args.vmid);
    // Security: an iso or image holding ',' or '=' would add drive options (media=disk, a second file).
    const scsi0 = args.import_from ? propertyString([[null, `${args.storage}:0`, "storage"], ["import-from", args.import_from, "import_from"]]) : propertyString([[null, `${args.storage}:${args.disk_gb ?? 32}`, "storage"]]);
    const cloudDrive = args.iso ? "ide0" : "ide2";
    const ipconfig0 = cloudInit ? propertyString([["ip", args.ip ?? "dhcp", "ip"], args.gateway !== undefined && ["gw", args.gateway, "gateway"]]) : undefined;
    const params = {
      vmid,
      name: args.name,
      cores: args.cores,
      sockets: args.sockets,
      memory: String(args.memory_mb),
      scsihw: "virtio-scsi-single",
      scsi0,
      ide2: args.iso ? propertyString([[null, args.iso, "iso"], ["media", "cdrom"]]) : undefined,
      ...(cloudInit ? { [cloudDrive]: propertyString([[null, `${args.storage}:cloudinit`, "storage"]]) } : {}),
      boot: args.iso ? "order=scsi0;ide2;net0" : "order=scsi0;net0",
      net0: propertyString([[null, "virtio"], ["bridge", args.bridge, "bridge"]]),
      ostype: args.ostype,
      // The guest agent is how a VM reports its address; PVE ignores it until the guest runs one.
      agent: "enabled=1",
      // Cloud images log to a serial console; without one their boot output is lost.
      serial0: args.import_from ? "socket" : undefined,
      ciuser: args.ciuser,
      sshkeys: args.sshkeys ? urlencodeKeys(args.sshkeys) : undefined,
      ipconfig0,
      start: args.start,
    };
    const upid = await approveAndSend<string>(ctx, {
      action: `Create VM ${vmid} (${args.name}) on ${args.node}`,
      target: { vmid, node: args.node, type: "qemu", name: args.name },
      details: [
        `new vmid ${vmid}, name ${args.name}, on node ${args.node}`,
        `${args.sockets}×${args.cores} cores, ${args.memory_mb} MiB, NIC on ${args.bridge}`,
        args.import_from ? `disk scsi0 imported from ${args.import_from} onto ${args.storage} (the image's size)` : `disk ${args.disk_gb ?? 32} GiB on ${args.storage}`,
        args.iso ? `installer ISO attached: ${args.iso}` : "no ISO attached",
        ...(cloudInit ? [`cloud-init drive on ${cloudDrive}: user ${args.ciuser ?? "(the image's default)"}, ${ipconfig0}`, args.sshkeys ? `SSH keys added: ${sshKeySummary(args.sshkeys)}` : "no SSH keys added"] : []),
        "guest agent: enabled",
        args.start ? `started once created${args.wait_for_ip ? ", then its IP address is awaited" : ""}` : "left stopped",
      ],
    }, { method: "POST", segments: ["nodes", args.node, "qemu"], params });
    return finishProvision(ctx, `Create VM ${vmid} (${args.name}) on ${args.node}`, upid, args.node, "qemu", vmid, args);
  },
});

export const cloneResource = defineTool({
  name: "proxmox_clone_resource",
  title: "Clone a guest",
  description: "Clone a VM or container (typically a template) to a new vmid. Linked clones (full: false) need a template and share its disks; full clones copy them, optionally to another storage.",
  tier: 2,
  toolset: "provision",
  inDefault: true,
  annotations: WRITE_HINTS,
  input: v.strictObject({
    ...guestTarget,
    newid: newVmid,
    name: v.optional(v.pipe(dnsName("name"), v.description("Name (VM) or hostname (container) of the clone."))),
    full: v.optional(v.pipe(v.boolean(), v.description("Full copy (default: true, except linked for a template source)."))),
    target: v.optional(v.pipe(f.node, v.description("Node for the clone (default the source's node)."))),
    storage: v.optional(v.pipe(f.storage, v.description("Storage for a full clone's disks."))),
    ...waitFields(false),
  }),
  output: CreatedOutput,
  async handler(args, ctx) {
    const source = await resolveWriteTarget(ctx, args);
    const full = args.full ?? !source.template;
    if (!full && !source.template) throw new RefusedError(`A linked clone needs a template source; ${describeGuest(source)} is not a template.`, "Use full: true, or clone from a template.");
    if (!full && args.storage) throw new RefusedError("storage applies to full clones only; a linked clone stays on its template's storage.", "Use full: true or leave storage out.");
    if (args.target) {
      checkNodePolicy(ctx, args.target);
      if (args.target !== source.node) await checkNodeOnline(ctx.pve, args.target, ctx.signal);
    }
    const newid = await pickNewVmid(ctx, args.newid);
    const upid = await approveAndSend<string>(
      ctx,
      {
        action: `Clone ${describeGuest(source)} to new ${source.type === "qemu" ? "VM" : "container"} ${newid}${args.name ? ` (${args.name})` : ""}`,
        target: planTarget(source),
        details: [`new vmid ${newid} on node ${args.target ?? source.node}`, full ? `full clone${args.storage ? ` onto ${args.storage}` : ""}` : "linked clone (shares the template's disks)"],
      },
      {
        method: "POST",
        segments: ["nodes", source.node, source.type, source.vmid, "clone"],
        params: { newid, [source.type === "qemu" ? "name" : "hostname"]: args.name, full: full ? true : source.template ? false : undefined, target: args.target, storage: args.storage },
      },
    );
    const result = await finishTask(ctx, `Clone ${describeGuest(source)} to ${newid}${args.name ? ` (${args.name})` : ""}`, upid, source.node, newid, args);
    return { text: result.text, data: { ...result.data, newid } };
  },
});

export const destroyResource = defineTool({
  name: "proxmox_destroy_resource",
  title: "Destroy a guest",
  description: "Permanently delete a stopped VM or container and its disks; cannot be undone. Refused for a running guest (stop it first) or one with protection set.",
  tier: 3,
  toolset: "provision",
  inDefault: true,
  annotations: { ...WRITE_HINTS, destructiveHint: true },
  input: v.strictObject({
    ...guestTarget,
    purge: v.optional(v.pipe(v.boolean(), v.description("Also remove it from backup jobs, replication and HA (default false)."))),
    destroy_unreferenced_disks: v.optional(v.pipe(v.boolean(), v.description("Also destroy disks with its vmid not referenced in its config (default PVE's)."))),
    ...waitFields(true),
  }),
  output: TaskOutput,
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status === "running") {
      throw new RefusedError(`${describeGuest(guest)} is running; a running guest is never destroyed.`, "Stop it first with proxmox_stop_resource (or proxmox_force_stop_resource), then destroy it.");
    }
    const config = (await ctx.pve.get<Record<string, unknown> | null>(["nodes", guest.node, guest.type, guest.vmid, "config"], {}, { signal: ctx.signal })) ?? {};
    if (config.protection === 1 || config.protection === "1") {
      throw new RefusedError(`${describeGuest(guest)} has protection enabled; Proxmox will not remove it.`, "A person must turn protection off in Proxmox (Options → Protection) first.");
    }
    const upid = await approveAndSend<string>(
      ctx,
      {
        action: `Destroy ${describeGuest(guest)}`,
        target: planTarget(guest),
        details: [
          args.purge ? "purge: also removed from backup jobs, replication and HA" : "purge: no (backup jobs, replication and HA entries stay)",
          `unreferenced disks with its vmid: ${args.destroy_unreferenced_disks === undefined ? "PVE's default" : args.destroy_unreferenced_disks ? "destroyed too" : "kept"}`,
        ],
        irreversible: `the guest and all its disks are deleted for good; only an existing backup can bring ${guest.vmid} back.`,
      },
      { method: "DELETE", segments: ["nodes", guest.node, guest.type, guest.vmid], params: { purge: args.purge, "destroy-unreferenced-disks": args.destroy_unreferenced_disks } },
    );
    return finishTask(ctx, `Destroy ${describeGuest(guest)}`, upid, guest.node, guest.vmid, args);
  },
});
