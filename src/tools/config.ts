// Changing a guest: its settings (proxmox_update_config) and the size of a disk
// (proxmox_resize_disk). Both read the config first and send PVE's digest with the change,
// so an edit made meanwhile by someone else is refused by PVE, never overwritten.
import * as v from "valibot";
import { pveText } from "../format/text.ts";
import { InputError, RefusedError } from "../errors.ts";
import { PveError } from "../pve/errors.ts";
import * as f from "../pve/formats.ts";
import { BRIDGE_RE, CIUSER_RE, DNS_NAME_RE, IPV4_CIDR_RE, IPV4_RE, IPV6_RE } from "../pve/formats.ts";
import { propertyString } from "../pve/property-string.ts";
import type { Guest } from "../pve/resources.ts";
import type { PlannedRequest } from "./plan.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool, type ToolContext } from "./types.ts";
import { describeGuest, finishTask, guestTarget, notNeeded, planTarget, resolveWriteTarget, send, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

// Security: every value that goes into a PVE property string (net0, ipconfig0) is checked
// by the schemas below and again by propertyString (src/pve/property-string.ts) as it joins.
const IPV6_CIDR_RE = /^[0-9a-fA-F:]{2,39}\/(\d|[1-9]\d|1[01]\d|12[0-8])$/;
const STARTUP_RE = /^(order=\d{1,4})?(,?up=\d{1,5})?(,?down=\d{1,5})?$/;
const SSH_KEY_LINE_RE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\r\n]*)?$/;

const QEMU_MODELS = ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"] as const;
const DISK_KEY_RE = /^(scsi|virtio|sata|ide|efidisk|tpmstate|unused|rootfs|mp)\d*$/;

const opt = <T extends v.GenericSchema>(schema: T, description: string) => v.optional(v.pipe(schema, v.description(description)));

const tagsInput = v.union(
  [
    v.pipe(v.array(f.tag, "tags must be a list of PVE tags"), v.maxLength(32, "at most 32 tags")),
    v.pipe(v.string(), v.maxLength(1024), v.check((s) => /^[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*(;[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*)*$/.test(s), "tags as a string must be PVE's ';'-separated list, e.g. web;prod")),
  ],
  "tags must be a list such as [\"web\", \"prod\"] or PVE's string \"web;prod\"",
);

/** ["web","prod"] or "web;prod" → "web;prod" (PVE's own form). */
export function tagString(tags: readonly string[] | string): string {
  return (typeof tags === "string" ? tags.split(";") : [...tags]).map((t) => t.trim()).filter(Boolean).join(";");
}

const NetChange = v.strictObject({
  index: wholeNumber("index", 0, 31, "0 for net0."),
  bridge: opt(v.pipe(v.string(), v.regex(BRIDGE_RE, "bridge must be a Linux bridge name such as vmbr0")), "Bridge, e.g. vmbr0."),
  model: opt(v.picklist(QEMU_MODELS, `model must be one of ${QEMU_MODELS.join(", ")}`), "VM only: NIC model (MAC kept)."),
  tag: v.optional(v.pipe(v.nullable(wholeNumber("tag", 1, 4094, "")), v.description("VLAN tag; null removes it."))),
  firewall: opt(v.boolean("firewall must be true or false"), "PVE firewall on it."),
  rate: v.optional(v.pipe(v.nullable(v.pipe(v.number("rate must be a number"), v.minValue(0, "rate must be at least 0"), v.maxValue(100000, "rate is at most 100000"))), v.description("MB/s; null removes it."))),
  ip: opt(v.pipe(v.string(), v.check((s) => s === "dhcp" || s === "manual" || IPV4_CIDR_RE.test(s), "ip must be dhcp, manual or IPv4/prefix, e.g. 192.168.1.50/24")), "CT only: dhcp or IPv4/prefix."),
  gw: opt(v.pipe(v.string(), v.check((s) => IPV4_RE.test(s), "gw must be an IPv4 address, e.g. 192.168.1.1")), "CT only: IPv4 gateway."),
});

const IpConfig = v.strictObject({
  index: wholeNumber("index", 0, 31, "0 for ipconfig0."),
  ip: opt(v.pipe(v.string(), v.check((s) => s === "dhcp" || IPV4_CIDR_RE.test(s), "ip must be dhcp or IPv4/prefix, e.g. 192.168.1.50/24")), "dhcp or IPv4/prefix."),
  gw: opt(v.pipe(v.string(), v.check((s) => IPV4_RE.test(s), "gw must be an IPv4 address")), "IPv4 gateway."),
  ip6: opt(v.pipe(v.string(), v.check((s) => s === "dhcp" || s === "auto" || IPV6_CIDR_RE.test(s), "ip6 must be dhcp, auto or IPv6/prefix")), "dhcp, auto or IPv6/prefix."),
  gw6: opt(v.pipe(v.string(), v.check((s) => IPV6_RE.test(s), "gw6 must be an IPv6 address")), "IPv6 gateway."),
});

/** The entries of a list PVE keeps space-separated; commas and semicolons are taken too. */
export function listEntries(value: string): string[] {
  return value.split(/[ ,;]+/).filter(Boolean);
}

/** "1.1.1.1, 8.8.8.8" → "1.1.1.1 8.8.8.8", as PVE stores nameserver and searchdomain. */
export function spaceList(value: string | undefined): string | undefined {
  return value === undefined ? undefined : listEntries(value).join(" ");
}

const dnsList = (what: string) =>
  v.pipe(
    v.string(),
    v.maxLength(512),
    v.check((s) => listEntries(s).every((x) => IPV4_RE.test(x) || IPV6_RE.test(x) || (what === "searchdomain" && DNS_NAME_RE.test(x))), what === "searchdomain" ? "searchdomain must be DNS names separated by spaces" : "nameserver must be IP addresses separated by spaces"),
  );

export const sshKeysInput = v.pipe(
  v.string("sshkeys must be a string"),
  v.maxLength(16384, "sshkeys is at most 16 KiB"),
  v.check((s) => s.split("\n").map((l) => l.trim()).filter(Boolean).length > 0 && s.split("\n").map((l) => l.trim()).filter(Boolean).every((l) => SSH_KEY_LINE_RE.test(l)), "sshkeys must be OpenSSH public keys, one per line (ssh-ed25519 AAAA… comment)"),
);

/** PVE's urlencoded format: what encodeURIComponent leaves, minus nothing PVE rejects. */
export function urlencodeKeys(keys: string): string {
  return encodeURIComponent(keys.split("\n").map((l) => l.trim()).filter(Boolean).join("\n"));
}

/** The keys a person approves adding: how many, of which type, ending how (never the whole key). */
export function sshKeySummary(keys: string | undefined): string | undefined {
  const lines = (keys ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.length) return undefined;
  const shown = lines.slice(0, 5).map((line) => {
    const [type, body = "", ...comment] = line.split(/\s+/);
    return `${type} …${body.slice(-8)}${comment.length ? ` ${comment.join(" ").slice(0, 40)}` : ""}`;
  });
  return `${lines.length} (${shown.join("; ")}${lines.length > 5 ? "; …" : ""})`;
}

const ChangeRow = v.object({
  key: v.string(),
  before: v.nullable(v.string()),
  after: v.nullable(v.string()),
  applied: v.pipe(v.picklist(["live", "pending"]), v.description("live: in effect now; pending: PVE keeps it until the guest restarts.")),
});

interface PendingRow {
  key: string;
  value?: string | number;
  pending?: string | number;
  delete?: number;
}

const DELETABLE = /^(balloon|swap|cpulimit|onboot|startup|description|tags|net\d+|ciuser|cipassword|sshkeys|ipconfig\d+|nameserver|searchdomain)$/;

/** "virtio=BC:24:…,bridge=vmbr0,tag=10" → ordered pairs; a bare first value keeps key "". */
function parsePropertyString(text: string): [string, string][] {
  return text
    .split(",")
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf("=");
      return eq < 0 ? (["", part] as [string, string]) : ([part.slice(0, eq), part.slice(eq + 1)] as [string, string]);
    });
}

/** A value the tool puts into a property string: refused if it holds a separator. */
function safe(value: string, from: string): string {
  propertyString([[null, value, from]]);
  return value;
}

function setPair(pairs: [string, string][], key: string, value: string | undefined): void {
  if (value !== undefined) safe(value, `net.${key}`);
  const index = pairs.findIndex(([k]) => k === key);
  if (value === undefined) {
    if (index >= 0) pairs.splice(index, 1);
  } else if (index >= 0) pairs[index] = [key, value];
  else pairs.push([key, value]);
}

function netValue(guest: Guest, current: string | undefined, change: v.InferOutput<typeof NetChange>): string {
  const pairs = current ? parsePropertyString(current) : [];
  if (guest.type === "qemu") {
    const modelIndex = pairs.findIndex(([k]) => (QEMU_MODELS as readonly string[]).includes(k) || k === "model");
    if (change.model) {
      if (modelIndex >= 0) {
        const [k, val] = pairs[modelIndex] as [string, string];
        pairs[modelIndex] = k === "model" ? ["model", change.model] : [change.model, val];
      } else pairs.unshift(["model", change.model]);
    } else if (modelIndex < 0) pairs.unshift(["model", "virtio"]);
  } else if (!pairs.some(([k]) => k === "name")) pairs.unshift(["name", `eth${change.index}`]);
  if (change.bridge !== undefined) setPair(pairs, "bridge", change.bridge);
  else if (!pairs.some(([k]) => k === "bridge")) setPair(pairs, "bridge", "vmbr0");
  if (change.tag !== undefined) setPair(pairs, "tag", change.tag === null ? undefined : String(change.tag));
  if (change.firewall !== undefined) setPair(pairs, "firewall", change.firewall ? "1" : "0");
  if (change.rate !== undefined) setPair(pairs, "rate", change.rate === null ? undefined : String(change.rate));
  if (change.ip !== undefined) setPair(pairs, "ip", change.ip);
  if (change.gw !== undefined) setPair(pairs, "gw", change.gw);
  if (guest.type === "lxc" && !pairs.some(([k]) => k === "ip" || k === "ip6")) setPair(pairs, "ip", "dhcp");
  // Kept pairs are PVE's own (trunks may hold ';'); the changed values were checked by safe() as they went in.
  return pairs.map(([k, val]) => (k ? `${k}=${val}` : val)).join(",");
}

async function readPending(ctx: ToolContext, guest: Guest): Promise<Map<string, PendingRow>> {
  const rows = (await ctx.pve.get<PendingRow[] | null>(["nodes", guest.node, guest.type, guest.vmid, "pending"], {}, { signal: ctx.signal })) ?? [];
  return new Map(rows.map((r) => [r.key, r]));
}

/** The value PVE shows for a key: what is pending if anything is, else what is in effect. */
function shown(row: PendingRow | undefined): string | null {
  if (!row || row.delete) return null;
  const value = row.pending ?? row.value;
  return value === undefined ? null : String(value);
}

/** A PVE "changed underneath" refusal, in words that say nothing was written. */
function concurrentEdit(error: unknown, what: string): never {
  if (error instanceof PveError && /detected modified configuration|checksum mismatch|file change by other user/i.test(error.message)) {
    throw new RefusedError(`${what}: the guest's config changed after it was read (someone else edited it), so Proxmox refused the change; nothing was changed.`, "Read the config again (proxmox_get_resource) and decide whether the change still fits; it is not retried automatically.");
  }
  throw error;
}

export const updateConfig = defineTool({
  name: "proxmox_update_config",
  title: "Change guest settings",
  description:
    "Change a guest's settings (CPU, memory, name, tags, onboot, NICs, cloud-init). A concurrent edit is refused (PVE digest). Answers before → after per key, live or pending until restart. Not for disks or protection off.",
  tier: 2,
  toolset: "config",
  annotations: { ...WRITE_HINTS, idempotentHint: true },
  input: v.strictObject({
    ...guestTarget,
    cores: v.optional(wholeNumber("cores", 1, 8192, "CPU cores (per socket for a VM).")),
    sockets: v.optional(wholeNumber("sockets", 1, 16, "VM only: CPU sockets.")),
    memory: v.optional(wholeNumber("memory", 16, 4_194_304, "Memory in MiB.")),
    balloon: v.optional(wholeNumber("balloon", 0, 4_194_304, "VM only: balloon minimum, MiB (0 = off).")),
    swap: v.optional(wholeNumber("swap", 0, 4_194_304, "Container only: swap in MiB.")),
    cpulimit: opt(v.pipe(v.number("cpulimit must be a number"), v.minValue(0, "cpulimit must be at least 0"), v.maxValue(8192, "cpulimit is at most 8192")), "CPU time limit in cores (0 = none)."),
    onboot: opt(v.boolean("onboot must be true or false"), "Start when the node boots."),
    startup: opt(v.pipe(v.string(), v.maxLength(64), v.check((s) => STARTUP_RE.test(s), "startup must be PVE's startup order, e.g. order=2,up=30,down=60")), "Boot order, e.g. order=2,up=30."),
    name: opt(v.pipe(v.string(), v.check((s) => DNS_NAME_RE.test(s), "name must be a DNS name such as web-02")), "VM only: its name."),
    hostname: opt(v.pipe(v.string(), v.check((s) => DNS_NAME_RE.test(s), "hostname must be a DNS name such as web-02")), "CT only: its hostname."),
    description: opt(v.pipe(v.string(), v.maxLength(8192, "description is at most 8192 characters")), "Notes shown in the PVE GUI."),
    tags: v.optional(v.pipe(tagsInput, v.description('Tags, replacing the current ones: ["web","prod"] or "web;prod".'))),
    protection: opt(v.literal(true, "protection can only be turned on here (true); turning it off is for a person in Proxmox"), "true turns protection on."),
    net: v.optional(v.pipe(v.array(NetChange), v.maxLength(8), v.description("NICs to change or add; unset keys keep their value."))),
    ciuser: opt(v.pipe(v.string(), v.regex(CIUSER_RE, "ciuser must be a Linux user name such as debian")), "VM cloud-init: user name."),
    sshkeys: opt(sshKeysInput, "VM cloud-init: public keys, one per line (replaces)."),
    ipconfig: v.optional(v.pipe(v.array(IpConfig), v.maxLength(8), v.description("VM cloud-init: ipconfigN per interface."))),
    nameserver: opt(dnsList("nameserver"), "DNS servers, space-separated IPs."),
    searchdomain: opt(dnsList("searchdomain"), "DNS search domains, space-separated."),
    delete: opt(v.pipe(v.array(v.pipe(v.string(), v.check((s) => /^[a-z][a-z0-9_]{1,31}$/.test(s), "delete takes config keys such as description or net1"))), v.maxLength(16)), "Config keys to remove, e.g. [\"net1\"]."),
  }),
  output: v.object({
    vmid: v.number(),
    node: v.string(),
    type: v.string(),
    state: v.picklist(["ok", "not_needed"]),
    changes: v.array(ChangeRow),
    pending_restart: v.pipe(v.boolean(), v.description("Some change waits for the guest's next restart.")),
  }),
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    const vmOnly = ["sockets", "balloon", "name", "ciuser", "sshkeys", "ipconfig"] as const;
    const ctOnly = ["swap", "hostname"] as const;
    for (const key of guest.type === "lxc" ? vmOnly : ctOnly) {
      if (args[key] !== undefined) throw new InputError(`${key} applies to ${guest.type === "lxc" ? "VMs" : "containers"}; ${describeGuest(guest)} is a ${guest.type === "lxc" ? "container" : "VM"}.`, guest.type === "lxc" ? "Containers take hostname, swap and net (with ip/gw)." : "VMs take name, sockets, balloon and cloud-init settings (ciuser, sshkeys, ipconfig).");
    }
    // qemu-server caps a VM's cpulimit at 128 (cores); pve-container allows 8192.
    if (guest.type === "qemu" && args.cpulimit !== undefined && args.cpulimit > 128) throw new InputError(`cpulimit for a VM is at most 128 (cores); got ${args.cpulimit}.`, "Give a value from 0 (no limit) to 128.");
    for (const n of args.net ?? []) {
      if (guest.type === "lxc" && n.model) throw new InputError("net.model applies to VMs; a container's interface is always veth.");
      if (guest.type === "qemu" && (n.ip || n.gw)) throw new InputError("net.ip/net.gw apply to containers; a VM's addresses are set with ipconfig (cloud-init).", 'e.g. "ipconfig": [{"index": 0, "ip": "192.168.1.50/24", "gw": "192.168.1.1"}]');
    }
    for (const key of args.delete ?? []) {
      if (key === "protection") throw new RefusedError("Turning protection off is not this tool's job.", "A person turns it off in Proxmox (Options → Protection).");
      if (DISK_KEY_RE.test(key)) throw new RefusedError(`Removing or changing disks (${key}) is not this tool's job.`, "Detach or move disks in Proxmox; grow one with proxmox_resize_disk.");
      if (!DELETABLE.test(key)) throw new InputError(`delete: '${key}' is not a key this tool removes.`, "It removes balloon, swap, cpulimit, onboot, startup, description, tags, netN, ciuser, cipassword, sshkeys, ipconfigN, nameserver, searchdomain.");
    }
    const segments = ["nodes", guest.node, guest.type, guest.vmid] as const;
    const config = await ctx.pve.getObject<Record<string, unknown>>([...segments, "config"], {}, { signal: ctx.signal });
    const digest = typeof config.digest === "string" ? config.digest : undefined;
    const before = await readPending(ctx, guest);

    const wanted = new Map<string, string>();
    const put = (key: string, value: string | number | boolean | undefined) => {
      if (value !== undefined) wanted.set(key, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
    };
    put("cores", args.cores);
    put("sockets", args.sockets);
    put("memory", args.memory);
    put("balloon", args.balloon);
    put("swap", args.swap);
    put("cpulimit", args.cpulimit);
    put("onboot", args.onboot);
    put("startup", args.startup);
    put(guest.type === "qemu" ? "name" : "hostname", guest.type === "qemu" ? args.name : args.hostname);
    put("description", args.description);
    put("tags", args.tags === undefined ? undefined : tagString(args.tags));
    put("protection", args.protection);
    put("ciuser", args.ciuser);
    put("nameserver", spaceList(args.nameserver));
    put("searchdomain", spaceList(args.searchdomain));
    for (const n of args.net ?? []) put(`net${n.index}`, netValue(guest, shown(before.get(`net${n.index}`)) ?? undefined, n));
    for (const c of args.ipconfig ?? []) {
      const parts = ([["ip", c.ip], ["gw", c.gw], ["ip6", c.ip6], ["gw6", c.gw6]] as const).filter(([, val]) => val !== undefined).map(([k, val]) => [k, val as string, `ipconfig[${c.index}].${k}`] as const);
      if (parts.length === 0) throw new InputError(`ipconfig[${c.index}] sets nothing; give ip (and gw), or ip6.`);
      if (c.gw && (!c.ip || c.ip === "dhcp")) throw new InputError(`ipconfig[${c.index}].gw goes with a static ip.`);
      put(`ipconfig${c.index}`, propertyString(parts));
    }
    // sshkeys: PVE stores them URL-encoded; compare decoded, send encoded.
    let sshkeysNote: string | undefined;
    if (args.sshkeys !== undefined) {
      const current = shown(before.get("sshkeys"));
      const normalised = args.sshkeys.split("\n").map((l) => l.trim()).filter(Boolean).join("\n");
      if (current === null || safeDecode(current).trim() !== normalised) {
        wanted.set("sshkeys", urlencodeKeys(args.sshkeys));
        sshkeysNote = `SSH keys set: ${sshKeySummary(args.sshkeys)}`;
      }
    }

    const changes: { key: string; before: string | null; after: string | null }[] = [];
    for (const [key, value] of wanted) {
      const was = shown(before.get(key));
      if (key === "sshkeys" ? false : was === value) continue;
      changes.push({ key, before: was, after: value });
    }
    const deletes = (args.delete ?? []).filter((key) => shown(before.get(key)) !== null);
    for (const key of deletes) changes.push({ key, before: shown(before.get(key)), after: null });

    if (changes.length === 0) {
      return { text: `${describeGuest(guest)}: every setting given already has that value; nothing was sent.`, data: { vmid: guest.vmid, node: guest.node, type: guest.type, state: "not_needed" as const, changes: [], pending_restart: false } };
    }
    const params: Record<string, string> = Object.fromEntries(changes.filter((c) => c.after !== null).map((c) => [c.key, c.after as string]));
    if (deletes.length) params.delete = deletes.join(",");
    if (digest) params.digest = digest;
    const shownValue = (c: { key: string; before: string | null; after: string | null }) => (c.key === "sshkeys" ? (sshkeysNote ?? "") : `${c.key}: ${c.before === null ? "(unset)" : pveText(c.before, 120)} → ${c.after === null ? "(removed)" : pveText(c.after, 120)}`);
    const request: PlannedRequest = { method: "PUT", segments: [...segments, "config"], params };
    await ctx.approve({
      action: `Change ${changes.length} setting${changes.length === 1 ? "" : "s"} of ${describeGuest(guest)}`,
      target: planTarget(guest),
      details: [...changes.map(shownValue), guest.status === "running" ? "the guest is running: changes PVE cannot apply live stay pending until it restarts" : "the guest is stopped: changes apply at once"],
      requests: [request],
    });
    try {
      await send<null>(ctx, request);
    } catch (error) {
      concurrentEdit(error, `Changing ${describeGuest(guest)}`);
    }
    const after = await readPending(ctx, guest);
    const rows = changes.map((c) => {
      const row = after.get(c.key);
      const pending = row !== undefined && (row.pending !== undefined || row.delete === 1);
      return { key: c.key, before: c.key === "sshkeys" ? c.before && "(set)" : c.before, after: c.key === "sshkeys" ? "(set)" : c.after, applied: pending ? ("pending" as const) : ("live" as const) };
    });
    const pendingRows = rows.filter((r) => r.applied === "pending");
    const text = [
      `Changed ${describeGuest(guest)}:`,
      ...rows.map((r) => `  ${r.key}: ${r.before === null ? "(unset)" : pveText(r.before, 120)} → ${r.after === null ? "(removed)" : pveText(r.after, 120)}${r.applied === "pending" ? "  [pending: takes effect at the next restart]" : "  [live]"}`),
      pendingRows.length ? `${pendingRows.length} change(s) wait for a restart (reboot the guest, e.g. proxmox_reboot_resource, to apply them).` : "Every change is in effect now.",
    ].join("\n");
    return { text, data: { vmid: guest.vmid, node: guest.node, type: guest.type, state: "ok" as const, changes: rows, pending_restart: pendingRows.length > 0 } };
  },
});

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const UNIT: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const SIZE_RE = /^(\+)?(\d{1,9}(?:\.\d{1,3})?)([KMGT])$/;

function toBytes(amount: string, unit: string): number {
  return Math.round(Number(amount) * (UNIT[unit] as number));
}

/** 34359738368 → "32G": the largest unit the size is a whole number of. */
export function formatSize(bytes: number): string {
  for (const unit of ["T", "G", "M", "K"]) if (bytes % (UNIT[unit] as number) === 0) return `${bytes / (UNIT[unit] as number)}${unit}`;
  return `${bytes}`;
}

/** Disks of a config, as PVE names them, with their size= in bytes (cdroms and cloud-init drives left out). */
export function configDisks(type: f.GuestType, config: Record<string, unknown>): { key: string; volume: string; bytes: number }[] {
  const keyRe = type === "qemu" ? /^(scsi|virtio|sata|ide)\d+$|^(efidisk|tpmstate)0$/ : /^(rootfs|mp\d+)$/;
  return Object.entries(config)
    .filter(([key, value]) => keyRe.test(key) && typeof value === "string" && !value.includes("media=cdrom") && !/cloudinit/.test(value))
    .map(([key, value]) => {
      const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT])?(?:,|$)/.exec(value as string);
      // PVE's parse_size: no unit means bytes.
      return { key, volume: (value as string).split(",")[0] as string, bytes: m ? (m[2] ? toBytes(m[1] as string, m[2]) : Math.round(Number(m[1]))) : 0 };
    });
}

export const resizeDisk = defineTool({
  name: "proxmox_resize_disk",
  title: "Grow a disk",
  description: "Grow a VM or container disk: disk as PVE names it (scsi0, virtio0, rootfs, mp0…), size as +10G (grow by) or 40G (new total, larger than now). Shrinking is refused. The filesystem inside must be grown by the guest.",
  tier: 2,
  toolset: "config",
  annotations: WRITE_HINTS,
  input: v.strictObject({
    ...guestTarget,
    disk: v.pipe(v.string("disk must be a string"), v.regex(/^((scsi|virtio|sata|ide)\d{1,2}|efidisk0|tpmstate0|rootfs|mp\d{1,3})$/, "disk must be a PVE disk name such as scsi0, virtio0, sata1, rootfs or mp0"), v.description("Disk as PVE names it, e.g. scsi0 or rootfs.")),
    size: v.pipe(v.string("size must be a string"), v.regex(SIZE_RE, "size must be +<n><unit> to grow by, or <n><unit> for the new total, unit K, M, G or T, e.g. +10G or 40G"), v.description("+10G grows by 10 GiB; 40G makes it 40 GiB in total.")),
    ...waitFields(true),
  }),
  output: v.object({ ...TaskOutput.entries, disk: v.string(), size_before: v.string(), size_after: v.string() }),
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    const segments = ["nodes", guest.node, guest.type, guest.vmid] as const;
    const config = await ctx.pve.getObject<Record<string, unknown>>([...segments, "config"], {}, { signal: ctx.signal });
    const disks = configDisks(guest.type, config);
    const disk = disks.find((d) => d.key === args.disk);
    const listed = disks.map((d) => `${d.key} (${formatSize(d.bytes)})`).join(", ") || "none";
    if (!disk) {
      const what = typeof config[args.disk] === "string" && /media=cdrom|cloudinit/.test(config[args.disk] as string) ? `${args.disk} is a CD-ROM or cloud-init drive, which cannot be resized` : `${describeGuest(guest)} has no disk ${args.disk}`;
      throw new InputError(`${what}.`, `Its disks: ${listed}.`);
    }
    const m = SIZE_RE.exec(args.size) as RegExpExecArray;
    const amount = toBytes(m[2] as string, m[3] as string);
    const target = m[1] ? disk.bytes + amount : amount;
    const data = { disk: args.disk, size_before: formatSize(disk.bytes), size_after: formatSize(target) };
    if (target < disk.bytes) {
      throw new InputError(`size ${args.size} would shrink ${args.disk} from ${formatSize(disk.bytes)}; Proxmox cannot shrink disks.`, `Give a size larger than ${formatSize(disk.bytes)}, e.g. +10G or ${formatSize(disk.bytes + 10 * UNIT.G!)}.`);
    }
    if (target === disk.bytes) {
      const skip = notNeeded(guest.node, guest.vmid, `${args.disk} of ${describeGuest(guest)} is already ${formatSize(disk.bytes)}; nothing was sent.`);
      return { text: skip.text, data: { ...skip.data, ...data } };
    }
    const params = { disk: args.disk, size: m[1] ? args.size : formatSize(target), digest: typeof config.digest === "string" ? config.digest : undefined };
    const request: PlannedRequest = { method: "PUT", segments: [...segments, "resize"], params };
    await ctx.approve({
      action: `Grow ${args.disk} of ${describeGuest(guest)} from ${data.size_before} to ${data.size_after}`,
      target: planTarget(guest),
      details: [`volume ${disk.volume}`, "the partition and filesystem inside are not grown: the guest (or cloud-init's growpart) must do that"],
      irreversible: "a disk cannot be shrunk back",
      requests: [request],
    });
    let upid: string;
    try {
      upid = await send<string>(ctx, request);
    } catch (error) {
      concurrentEdit(error, `Resizing ${args.disk} of ${describeGuest(guest)}`);
    }
    const result = await finishTask(ctx, `Grow ${args.disk} of ${describeGuest(guest)} to ${data.size_after}`, upid, guest.node, guest.vmid, args);
    return { text: result.text, data: { ...result.data, ...data } };
  },
});
