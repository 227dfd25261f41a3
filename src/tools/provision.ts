// Guests appear and disappear: create a container or VM, clone one (tier 2), destroy one (tier 3).
import * as v from "valibot";
import { InputError, RefusedError } from "../errors.ts";
import type { PveClient } from "../pve/client.ts";
import * as f from "../pve/formats.ts";
import { propertyString } from "../pve/property-string.ts";
import { listGuests, listResources } from "../pve/resources.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool, type ToolContext } from "./types.ts";
import { approveAndSend, checkNodePolicy, checkVmidPolicy, describeGuest, finishTask, guestTarget, planTarget, resolveWriteTarget, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

// PVE's dns-name format: what a hostname or VM name may be.
const DNS_NAME_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV4_CIDR_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const BRIDGE_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/;

const dnsName = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.maxLength(253, `${what} is at most 253 characters`), v.regex(DNS_NAME_RE, `${what} must be a DNS name: letters, digits and '-', dot-separated, e.g. web-02`));

const int = wholeNumber;

const bridge = v.optional(v.pipe(v.string(), v.regex(BRIDGE_RE, "bridge must be a Linux bridge name such as vmbr0"), v.description("Network bridge (default vmbr0).")), "vmbr0");

const newVmid = v.optional(v.pipe(f.vmid, v.description("Id for the new guest; the next free id when omitted.")));

const CreatedOutput = v.object({ ...TaskOutput.entries, newid: v.number() });

/** The keys a person approves adding: how many, of which type, ending how (never the whole key). */
function sshKeySummary(keys: string | undefined): string | undefined {
  const lines = (keys ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.length) return undefined;
  const shown = lines.slice(0, 5).map((line) => {
    const [type, body = "", ...comment] = line.split(/\s+/);
    return `${type} …${body.slice(-8)}${comment.length ? ` ${comment.join(" ").slice(0, 40)}` : ""}`;
  });
  return `${lines.length} (${shown.join("; ")}${lines.length > 5 ? "; …" : ""})`;
}

/** A free vmid: the one asked for (refused if taken) or PVE's next free one. */
async function pickNewVmid(ctx: ToolContext, wanted: number | undefined): Promise<number> {
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
async function checkNodeOnline(pve: PveClient, node: string, signal: AbortSignal): Promise<void> {
  const nodes = await listResources(pve, "node", signal);
  const found = nodes.find((n) => n.node === node);
  if (!found) throw new InputError(`Node ${node} is not in the cluster.`, `Nodes: ${nodes.map((n) => n.node).join(", ")}.`);
  if (found.status !== "online") throw new RefusedError(`Node ${node} is ${found.status ?? "not online"}; nothing can be created there now.`, "Pick an online node (see proxmox_status).");
}

export const createContainer = defineTool({
  name: "proxmox_create_container",
  title: "Create a container",
  description: "Create an LXC container from a template (ostemplate: see proxmox_list_templates). Unprivileged by default; DHCP on vmbr0 unless ip is given. Returns the new vmid and the task.",
  tier: 2,
  toolset: "provision",
  inDefault: true,
  annotations: WRITE_HINTS,
  input: v.strictObject({
    node: f.node,
    vmid: newVmid,
    ostemplate: v.pipe(f.volid, v.description("Template volume, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst.")),
    hostname: v.pipe(dnsName("hostname"), v.description("The container's hostname.")),
    storage: v.optional(v.pipe(f.storage, v.description("Storage for the root disk (default local-lvm).")), "local-lvm"),
    disk_gb: v.optional(int("disk_gb", 1, 65536, "Root disk size in GiB (default 8)."), 8),
    cores: v.optional(int("cores", 1, 8192, "CPU cores (default 1)."), 1),
    memory_mb: v.optional(int("memory_mb", 16, 4_194_304, "Memory in MiB (default 512)."), 512),
    swap_mb: v.optional(int("swap_mb", 0, 4_194_304, "Swap in MiB (default 512)."), 512),
    bridge,
    ip: v.optional(
      v.pipe(v.string(), v.check((s) => s === "dhcp" || IPV4_CIDR_RE.test(s), "ip must be dhcp or an IPv4 address with prefix, e.g. 192.168.1.50/24"), v.description("dhcp (default) or IPv4/prefix, e.g. 192.168.1.50/24.")),
      "dhcp",
    ),
    gateway: v.optional(v.pipe(v.string(), v.regex(IPV4_RE, "gateway must be an IPv4 address, e.g. 192.168.1.1"), v.description("IPv4 gateway, with a static ip."))),
    password: v.optional(v.pipe(v.string("password must be a string"), v.minLength(5, "password must be at least 5 characters"), v.maxLength(256, "password is at most 256 characters"), v.description("Root password (or give ssh_public_keys)."))),
    ssh_public_keys: v.optional(v.pipe(v.string(), v.maxLength(16384, "ssh_public_keys is at most 16 KiB"), v.regex(/^(ssh-|ecdsa-|sk-)/, "ssh_public_keys must be OpenSSH public keys, one per line (ssh-ed25519 AAAA…)"), v.description("OpenSSH public keys for root, one per line."))),
    unprivileged: v.optional(v.pipe(v.boolean(), v.description("Unprivileged container (default true; safer).")), true),
    start: v.optional(v.pipe(v.boolean(), v.description("Start it once created (default false).")), false),
    ...waitFields(false),
  }),
  output: CreatedOutput,
  async handler(args, ctx) {
    if (args.gateway && args.ip === "dhcp") throw new InputError("gateway goes with a static ip; with dhcp the gateway comes from DHCP.", "Give ip as e.g. 192.168.1.50/24, or leave gateway out.");
    if (!args.password && !args.ssh_public_keys) throw new InputError("A container needs a way in: give password or ssh_public_keys.");
    checkNodePolicy(ctx, args.node);
    await checkNodeOnline(ctx.pve, args.node, ctx.signal);
    const vmid = await pickNewVmid(ctx, args.vmid);
    // Security: each value is checked for the property string's separators before it joins one.
    const net0 = propertyString([["name", "eth0"], ["bridge", args.bridge, "bridge"], ["ip", args.ip, "ip"], args.gateway !== undefined && ["gw", args.gateway, "gateway"]]);
    const keys = sshKeySummary(args.ssh_public_keys);
    const upid = await approveAndSend<string>(
      ctx,
      {
        action: `Create container ${vmid} (${args.hostname}) on ${args.node}`,
        target: { vmid, node: args.node, type: "lxc", name: args.hostname, state: `vmid ${vmid} is free` },
        details: [
          `new vmid ${vmid}, hostname ${args.hostname}, on node ${args.node}`,
          args.unprivileged ? "unprivileged container" : "PRIVILEGED container: root inside is root on the host",
          `template ${args.ostemplate}; root disk ${args.disk_gb} GiB on ${args.storage}; ${args.cores} cores, ${args.memory_mb} MiB`,
          `network: ${args.ip} on ${args.bridge}`,
          keys ? `SSH keys added for root: ${keys}` : "no SSH keys added",
          ...(args.password ? ["a root password is set"] : []),
          args.start ? "started once created" : "left stopped",
        ],
      },
      {
        method: "POST",
        segments: ["nodes", args.node, "lxc"],
        params: {
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
          start: args.start,
        },
      },
    );
    const result = await finishTask(ctx, `Create container ${vmid} (${args.hostname}) on ${args.node}`, upid, args.node, vmid, args);
    return { text: result.text, data: { ...result.data, newid: vmid } };
  },
});

export const createVm = defineTool({
  name: "proxmox_create_vm",
  title: "Create a VM",
  description: "Create a QEMU VM with one disk, one virtio NIC and optionally an installer ISO. Returns the new vmid and the create task.",
  tier: 2,
  toolset: "provision",
  inDefault: true,
  annotations: WRITE_HINTS,
  input: v.strictObject({
    node: f.node,
    vmid: newVmid,
    name: v.pipe(dnsName("name"), v.description("The VM's name.")),
    cores: v.optional(int("cores", 1, 512, "Cores per socket (default 2)."), 2),
    sockets: v.optional(int("sockets", 1, 16, "CPU sockets (default 1)."), 1),
    memory_mb: v.optional(int("memory_mb", 16, 4_194_304, "Memory in MiB (default 2048)."), 2048),
    storage: v.optional(v.pipe(f.storage, v.description("Storage for the disk (default local-lvm).")), "local-lvm"),
    disk_gb: v.optional(int("disk_gb", 1, 131072, "Disk size in GiB (default 32)."), 32),
    iso: v.optional(v.pipe(f.isoVolid, v.description("Installer ISO volume, e.g. local:iso/debian-12.iso; omit for none."))),
    bridge,
    ostype: v.optional(
      v.pipe(v.picklist(["other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris"], "ostype must be a PVE ostype such as l26 (Linux) or win11"), v.description("Guest OS type (default l26 = Linux).")),
      "l26",
    ),
    start: v.optional(v.pipe(v.boolean(), v.description("Start it once created (default false).")), false),
    ...waitFields(false),
  }),
  output: CreatedOutput,
  async handler(args, ctx) {
    checkNodePolicy(ctx, args.node);
    await checkNodeOnline(ctx.pve, args.node, ctx.signal);
    const vmid = await pickNewVmid(ctx, args.vmid);
    const upid = await approveAndSend<string>(
      ctx,
      {
        action: `Create VM ${vmid} (${args.name}) on ${args.node}`,
        target: { vmid, node: args.node, type: "qemu", name: args.name, state: `vmid ${vmid} is free` },
        details: [
          `new vmid ${vmid}, name ${args.name}, on node ${args.node}`,
          `${args.sockets}×${args.cores} cores, ${args.memory_mb} MiB, disk ${args.disk_gb} GiB on ${args.storage}, NIC on ${args.bridge}`,
          args.iso ? `installer ISO attached: ${args.iso}` : "no ISO attached",
          args.start ? "started once created" : "left stopped",
        ],
      },
      {
        method: "POST",
        segments: ["nodes", args.node, "qemu"],
        params: {
          vmid,
          name: args.name,
          cores: args.cores,
          sockets: args.sockets,
          memory: String(args.memory_mb),
          scsihw: "virtio-scsi-single",
          // Security: an iso holding ',' or '=' would add drive options (media=disk, a second file).
          scsi0: propertyString([[null, `${args.storage}:${args.disk_gb}`, "storage"]]),
          ide2: args.iso ? propertyString([[null, args.iso, "iso"], ["media", "cdrom"]]) : undefined,
          boot: args.iso ? "order=scsi0;ide2;net0" : "order=scsi0;net0",
          net0: propertyString([[null, "virtio"], ["bridge", args.bridge, "bridge"]]),
          ostype: args.ostype,
          start: args.start,
        },
      },
    );
    const result = await finishTask(ctx, `Create VM ${vmid} (${args.name}) on ${args.node}`, upid, args.node, vmid, args);
    return { text: result.text, data: { ...result.data, newid: vmid } };
  },
});

export const cloneResource = defineTool({
  name: "proxmox_clone_resource",
  title: "Clone a guest",
  description: "Clone a VM or container (typically a template) to a new vmid. Linked clones (full: false) need a template source and share its disks; full clones copy them and may go to another storage.",
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
  description: "Permanently delete a stopped VM or container and its disks. Cannot be undone. Refused for a running guest (stop it first) and for a guest with protection set.",
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
