// Day-2 endpoints: config changes (with digest and PVE's pending section), disk resize,
// restore from a backup, downloads onto a storage, the appliance catalogue, stopping a
// task and the guest agent's ping. Each follows qemu-server / pve-container / pve-storage /
// pve-manager: what they refuse, which worker type they start, what lands in the config.
import { digest, GIB, type SimGuest, type SimStorage, type SimVolume } from "../cluster.ts";
import { type Handler, type HandlerContext, num, onlineNode, pathGuest, SimError, str } from "./common.ts";

const DISK_KEY = /^(scsi|virtio|sata|ide|efidisk|tpmstate)\d+$/;
const LXC_DISK_KEY = /^(rootfs|mp\d+)$/;
const CONTROL = new Set(["node", "vmid", "digest", "delete", "revert", "skiplock", "background_delay"]);

// qemu-server's $fast_plug_option plus every cloud-init option: written at once, even running.
const QEMU_FAST = /^(description|hookscript|lock|migrate_downtime|migrate_speed|name|onboot|protection|shares|startup|tags|vmstatestorage|citype|ciuser|cipassword|ciupgrade|cicustom|searchdomain|nameserver|sshkeys|ipconfig\d+)$/;
// Hot-plugged with the default hotplug=network,disk,usb (vmconfig_hotplug_pending).
const QEMU_HOTPLUG = /^(net\d+|scsi\d+|virtio\d+|balloon|cpulimit|cpuunits)$/;
// pve-container's $LXC_FASTPLUG_OPTIONS and what its vmconfig_hotplug_pending applies.
const LXC_FAST = /^(description|onboot|startup|protection|hostname|hookscript|cores|tags|lock)$/;
const LXC_HOTPLUG = /^(memory|swap|cpulimit|cpuunits|net\d+)$/;

/** The digest PVE computes over the whole config file (pending section included). */
export function configDigest(g: SimGuest): string {
  return digest(JSON.stringify({ config: g.config, pending: g.pending ?? {}, delete: g.pendingDelete ?? [] }));
}

/** GET config without current=1: the pending values applied, as PVE answers by default. */
export function configView(g: SimGuest, current: boolean): Record<string, string | number> {
  if (current) return { ...g.config };
  const view = { ...g.config, ...(g.pending ?? {}) };
  for (const key of g.pendingDelete ?? []) delete view[key];
  return view;
}

/** What a guest's fields derive from its config (names, tags, sizes shown in resources). */
function sync(g: SimGuest): void {
  const c = g.config;
  g.name = String(c[g.type === "qemu" ? "name" : "hostname"] ?? g.name);
  g.tags = c.tags === undefined ? [] : String(c.tags).split(/[;, ]+/).filter(Boolean);
  const memory = Number(String(c.memory ?? "").split(",")[0]?.replace("current=", ""));
  if (memory > 0) g.maxmem = memory * 1024 * 1024;
  g.cpus = Number(c.cores ?? 1) * Number(c.sockets ?? 1);
  g.agent = g.type === "qemu" && /^(1|enabled=1)/.test(String(c.agent ?? "0"));
  const staticIp = /(?:^|,)ip=(\d+\.\d+\.\d+\.\d+)\//.exec(String(c.ipconfig0 ?? c.net0 ?? ""));
  if (staticIp) g.ip = staticIp[1] as string;
}

/** A (re)start takes the pending section into the config. */
export function applyPending(g: SimGuest): void {
  Object.assign(g.config, g.pending ?? {});
  for (const key of g.pendingDelete ?? []) delete g.config[key];
  g.pending = undefined;
  g.pendingDelete = undefined;
  sync(g);
}

const updateConfig =
  (type: "qemu" | "lxc", async: boolean): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const wanted = str(ctx, "digest");
    // PVE::Tools::assert_if_modified
    if (wanted !== undefined && wanted !== configDigest(g)) throw new SimError(500, "detected modified configuration - file changed by other user? Try again.");
    const changes = Object.fromEntries(Object.entries(ctx.p).filter(([key]) => !CONTROL.has(key)).map(([key, value]) => [key, Array.isArray(value) ? value.join(",") : value] as const));
    const deletes = (str(ctx, "delete") ?? "").split(/[,;\s]+/).filter(Boolean);
    const reverts = (str(ctx, "revert") ?? "").split(/[,;\s]+/).filter(Boolean);
    if (Object.keys(changes).length === 0 && deletes.length === 0 && reverts.length === 0) throw new SimError(400, "no options specified");
    for (const key of deletes) if (key in changes) throw new SimError(400, `delete: you can't change and delete the same option '${key}' at the same time`);
    if (g.config.protection === 1 && deletes.includes("protection") === false && changes.protection === undefined && Object.keys(changes).some((k) => DISK_KEY.test(k) || LXC_DISK_KEY.test(k))) {
      throw new SimError(500, `can't change disks of ${type === "qemu" ? "VM" : "CT"} ${g.vmid} - protection mode enabled`);
    }
    const live = (key: string) => g.status !== "running" || (type === "qemu" ? QEMU_FAST.test(key) || QEMU_HOTPLUG.test(key) : LXC_FAST.test(key) || LXC_HOTPLUG.test(key));
    const apply = () => {
      for (const key of reverts) {
        if (g.pending) delete g.pending[key];
        g.pendingDelete = g.pendingDelete?.filter((k) => k !== key);
      }
      for (const [key, value] of Object.entries(changes)) {
        const stored = /^\d+$/.test(value) && type === "lxc" ? Number(value) : value;
        if (live(key)) {
          g.config[key] = stored;
          if (g.pending) delete g.pending[key];
        } else {
          g.pending = { ...(g.pending ?? {}), [key]: stored };
        }
      }
      for (const key of deletes) {
        if (live(key)) delete g.config[key];
        else g.pendingDelete = [...new Set([...(g.pendingDelete ?? []), key])];
      }
      if (g.pending && Object.keys(g.pending).length === 0) g.pending = undefined;
      if (g.pendingDelete?.length === 0) g.pendingDelete = undefined;
      sync(g);
    };
    if (!async) {
      apply();
      return null;
    }
    return ctx.tasks.start({ node: g.node, type: "qmconfig", id: String(g.vmid), user: ctx.user, log: ["update VM " + g.vmid + ": " + Object.keys(changes).join(", ")], apply });
  };

const pending =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const keys = new Set([...Object.keys(g.config), ...Object.keys(g.pending ?? {}), ...(g.pendingDelete ?? [])]);
    return [...keys].sort().map((key) => ({
      key,
      ...(g.config[key] !== undefined ? { value: String(g.config[key]) } : {}),
      ...(g.pending?.[key] !== undefined ? { pending: String(g.pending[key]) } : {}),
      ...(g.pendingDelete?.includes(key) ? { delete: 1 } : {}),
    }));
  };

const UNIT: Record<string, number> = { K: 1024, M: 1024 ** 2, G: GIB, T: 1024 ** 4 };

function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(text);
  return m ? Math.round(Number(m[1]) * (m[2] ? (UNIT[m[2]] as number) : 1)) : undefined;
}

/** PVE::JSONSchema::format_size: the largest unit the size is a whole number of. */
function formatSize(bytes: number): string {
  for (const unit of ["T", "G", "M", "K"]) if (bytes % (UNIT[unit] as number) === 0) return `${bytes / (UNIT[unit] as number)}${unit}`;
  return String(bytes);
}

const resize =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const disk = str(ctx, "disk") as string;
    const sizeText = str(ctx, "size") as string;
    const wanted = str(ctx, "digest");
    let error: string | undefined;
    let newSize = 0;
    const spec = g.config[disk] === undefined ? undefined : String(g.config[disk]);
    if (wanted !== undefined && wanted !== configDigest(g)) error = "checksum mismatch (file change by other user?)";
    else if (spec === undefined) error = `disk '${disk}' does not exist`;
    else if (spec.includes("media=cdrom")) error = "you can't resize a cdrom";
    else {
      const current = parseBytes(/(?:^|,)size=([^,]+)/.exec(spec)?.[1] ?? "") ?? 0;
      const m = /^(\+)?(.*)$/.exec(sizeText) as RegExpExecArray;
      const amount = parseBytes(m[2] as string) ?? 0;
      newSize = m[1] ? current + amount : amount;
      if (newSize < current) error = type === "qemu" ? "shrinking disks is not supported" : "unable to shrink disk size";
      else if (newSize === current && type === "lxc") error = "disk is already at specified size";
    }
    // Both check inside the worker: the task fails, the request does not.
    return ctx.tasks.start({
      node: g.node,
      type: "resize",
      id: String(g.vmid),
      user: ctx.user,
      log: error ? [] : [`  Size of logical volume pve/vm-${g.vmid}-disk-0 changed to ${formatSize(newSize)}.`, `  Logical volume pve/vm-${g.vmid}-disk-0 successfully resized.`],
      error,
      apply: () => {
        g.config[disk] = (spec as string).replace(/(^|,)size=[^,]+/, `$1size=${formatSize(newSize)}`);
        if (disk === "rootfs" || disk === "scsi0" || disk === "virtio0") g.maxdisk = newSize;
      },
    });
  };

/** A backup volume as the path's node sees it. */
function backupVolume(ctx: HandlerContext, node: string, volid: string): SimVolume {
  const storage = ctx.cluster.storage(volid.split(":")[0] as string);
  const volume = storage?.nodes.includes(node) ? ctx.cluster.volumes(storage, node).find((v) => v.volid === volid) : undefined;
  if (!volume) throw new SimError(500, `volume '${volid}' does not exist`);
  if (volume.content !== "backup") throw new SimError(500, `volume '${volid}' is not a backup archive`);
  return volume;
}

const extractConfig: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const volume = backupVolume(ctx, n.name, str(ctx, "volume") as string);
  return `${Object.entries(volume.config ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n")}\n`;
};

function randomMac(seed: string): string {
  const h = digest(seed);
  return `BC:24:11:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`.toUpperCase();
}

/**
 * POST /nodes/{node}/qemu with archive, POST /nodes/{node}/lxc with restore=1: the backed-up
 * config, overridden by the given options (override_conf / restore_configuration), disks
 * on `storage` when given, fresh MACs with unique.
 */
export function restore(ctx: HandlerContext, type: "qemu" | "lxc", newGuest: (vmid: number, config: Record<string, string | number>, running: boolean, maxdisk: number) => SimGuest): string {
  const n = onlineNode(ctx);
  const vmid = num(ctx, "vmid") as number;
  const volid = str(ctx, type === "qemu" ? "archive" : "ostemplate") as string;
  const existing = ctx.cluster.guests.get(vmid);
  if (existing) throw new SimError(500, type === "qemu" ? `unable to restore VM ${vmid} - config file already exists` : `CT ${vmid} already exists on node '${existing.node}'`);
  const skip = new Set(["node", "vmid", "archive", "ostemplate", "restore", "storage", "unique", "start", "force", "bwlimit", "pool", "live-restore", "ignore-unpack-errors"]);
  const overrides = Object.entries(ctx.p).filter(([key]) => !skip.has(key));
  if (type === "qemu") for (const [key] of overrides) if (DISK_KEY.test(key)) throw new SimError(400, `${key}: option conflicts with option 'archive'`);
  const volume = backupVolume(ctx, n.name, volid);
  if (!volid.includes(`vzdump-${type}-`)) throw new SimError(500, `unable to restore ${type === "qemu" ? "VM" : "CT"} ${vmid} - archive '${volid}' is not a ${type === "qemu" ? "QEMU" : "container"} backup`);
  const target = str(ctx, "storage");
  if (target) {
    const s = ctx.cluster.storage(target);
    if (!s || !s.nodes.includes(n.name)) throw new SimError(500, `storage '${target}' does not exist`);
    if (!s.content.includes(type === "qemu" ? "images" : "rootdir")) throw new SimError(500, `storage '${target}' does not support ${type === "qemu" ? "vm images" : "container directories"}`);
  }
  const config: Record<string, string | number> = { ...(volume.config ?? {}) };
  let disks = 0;
  for (const [key, value] of Object.entries(config)) {
    const text = String(value);
    if ((DISK_KEY.test(key) || LXC_DISK_KEY.test(key)) && !text.includes("media=cdrom") && !text.includes("cloudinit")) {
      const storage = target ?? text.split(":")[0];
      config[key] = text.replace(/^[^:]+:[^,]+/, `${storage}:vm-${vmid}-disk-${disks++}`);
    }
  }
  for (const [key, value] of overrides) config[key] = Array.isArray(value) ? value.join(",") : value;
  if (str(ctx, "unique") === "1") {
    for (const key of Object.keys(config)) {
      if (/^net\d+$/.test(key)) config[key] = String(config[key]).replace(/([0-9A-F]{2}:){5}[0-9A-F]{2}/i, randomMac(`${vmid}${key}${ctx.cluster.now()}`));
    }
  }
  const startAfter = str(ctx, "start") === "1";
  const log =
    type === "qemu"
      ? [`restore vma archive: zstd -q -d -c /mnt/pve/${volid.split(":")[0]}/dump/${volid.split("/").pop()} | vma extract -v -r /var/tmp/vzdumptmp${vmid}.fifo - /var/tmp/vzdumptmp${vmid}`, "progress 50% (read 8589934592 bytes, duration 12 sec)", "progress 100% (read 17179869184 bytes, duration 25 sec)", "rescan volumes...", ...(startAfter ? ["Execute autostart"] : [])]
      : [`recovering backed-up configuration from '${volid}'`, `restoring '${volid}' now..`, "Total bytes read: 1073741824 (1.0GiB, 180MiB/s)", "merging backed-up and given configuration.."];
  return ctx.tasks.start({
    node: n.name,
    type: type === "qemu" ? "qmrestore" : "vzrestore",
    id: String(vmid),
    user: ctx.user,
    log,
    apply: () => {
      const g = newGuest(vmid, config, startAfter, volume.size * 3);
      sync(g);
      if (startAfter && g.agent) g.agentReadyAt = Date.now() + AGENT_BOOT_MS;
      ctx.cluster.guests.set(vmid, g);
    },
  });
}

/** How long a started VM's guest agent takes to answer (it boots first). */
export const AGENT_BOOT_MS = 400;

const ISO_EXT = /\.(?:iso|img)$/i;
const VZTMPL_EXT = /\.(?:tar|tar\.(?:gz|xz|zst|bz2))$/i;
const IMPORT_NAME = /^[a-zA-Z0-9\-.+=_]+\.(ova|qcow2|raw|vmdk)$/;

function contentStorage(ctx: HandlerContext, node: string, id: string, content: string): SimStorage {
  const s = ctx.cluster.storage(id);
  if (!s || !s.nodes.includes(node)) throw new SimError(500, `storage '${id}' does not exist`);
  if (!s.content.includes(content)) throw new SimError(500, `storage '${id}' is not configured for content-type '${content}'`);
  return s;
}

/** pve-storage's download_url: content type, file extension, then a 'download' worker. */
const downloadUrl: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const content = str(ctx, "content") as string;
  const s = contentStorage(ctx, n.name, str(ctx, "storage") as string, content);
  const filename = str(ctx, "filename") as string;
  if (filename.includes("/")) throw new SimError(400, "filename: wrong file extension");
  if (content === "iso" && !ISO_EXT.test(filename)) throw new SimError(400, "filename: wrong file extension");
  if (content === "vztmpl" && !VZTMPL_EXT.test(filename)) throw new SimError(400, "filename: wrong file extension");
  if (content === "import" && !IMPORT_NAME.test(filename)) throw new SimError(400, "filename: invalid filename or wrong extension");
  const url = str(ctx, "url") as string;
  const volid = `${s.id}:${content}/${filename}`;
  const checksum = str(ctx, "checksum");
  const algorithm = str(ctx, "checksum-algorithm");
  const dir = content === "iso" ? "template/iso" : content === "vztmpl" ? "template/cache" : "import";
  return ctx.tasks.start({
    node: n.name,
    type: "download",
    id: filename,
    user: ctx.user,
    log: [`downloading ${url} to /var/lib/vz/${dir}/${filename}`, "--2026-12-01 20:00:00--  (verify certificates: " + (str(ctx, "verify-certificates") === "0" ? "no" : "yes") + ")", "523712K ........ ........ 100% 98.1M=5.3s", ...(checksum ? [`calculating checksum of '${filename}'...`, `checksum verified (${algorithm})`] : []), `download of '${url}' to '/var/lib/vz/${dir}/${filename}' finished`],
    apply: () => {
      const list = ctx.cluster.volumes(s, n.name);
      const size = content === "import" ? 3.5 * GIB : content === "iso" ? 700 * 1024 * 1024 : 150 * 1024 * 1024;
      const format = content === "iso" ? "iso" : content === "import" ? (filename.split(".").pop() as string) : "tzst";
      if (!list.some((v) => v.volid === volid)) list.push({ volid, content: content as SimVolume["content"], size: Math.round(size), ctime: ctx.cluster.now(), format });
    },
  });
};

/** The appliance index (pveam available), as GET /nodes/{node}/aplinfo lists it. */
export const APPLIANCES = [
  { template: "debian-13-standard_13.1-2_amd64.tar.zst", package: "debian-13-standard", version: "13.1-2", os: "debian-13", type: "lxc", section: "system", headline: "Debian 13 (standard)", description: "A small Debian Trixie system including all standard packages.", architecture: "amd64", location: "http://download.proxmox.com/images/system/debian-13-standard_13.1-2_amd64.tar.zst", maintainer: "Proxmox Support Team <support@proxmox.com>", source: "http://download.proxmox.com/images/system", infopage: "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions", sha512sum: "a".repeat(128) },
  { template: "debian-12-standard_12.12-1_amd64.tar.zst", package: "debian-12-standard", version: "12.12-1", os: "debian-12", type: "lxc", section: "system", headline: "Debian 12 Bookworm (standard)", description: "A small Debian Bookworm system including all standard packages.", architecture: "amd64", location: "http://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst", maintainer: "Proxmox Support Team <support@proxmox.com>", source: "http://download.proxmox.com/images/system", infopage: "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions", sha512sum: "b".repeat(128) },
  { template: "ubuntu-24.04-standard_24.04-2_amd64.tar.zst", package: "ubuntu-24.04-standard", version: "24.04-2", os: "ubuntu-24.04", type: "lxc", section: "system", headline: "Ubuntu 24.04 Noble (standard)", description: "A small Ubuntu 24.04 Noble Numbat system including all standard packages.", architecture: "amd64", location: "http://download.proxmox.com/images/system/ubuntu-24.04-standard_24.04-2_amd64.tar.zst", maintainer: "Proxmox Support Team <support@proxmox.com>", source: "http://download.proxmox.com/images/system", infopage: "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions", sha512sum: "c".repeat(128) },
  { template: "alpine-3.22-default_20250617_amd64.tar.xz", package: "alpine-3.22-default", version: "20250617", os: "alpine-3.22", type: "lxc", section: "system", headline: "Alpine Linux 3.22", description: "Alpine Linux 3.22 default image.", architecture: "amd64", location: "http://download.proxmox.com/images/system/alpine-3.22-default_20250617_amd64.tar.xz", maintainer: "Proxmox Support Team <support@proxmox.com>", source: "http://download.proxmox.com/images/system", infopage: "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions", sha512sum: "d".repeat(128) },
  { template: "turnkey-nextcloud_18.1-1_amd64.tar.gz", package: "turnkey-nextcloud", version: "18.1-1", os: "debian-12", type: "lxc", section: "turnkeylinux", headline: "TurnKey Nextcloud", description: "Nextcloud: store and share your files.", architecture: "amd64", location: "https://releases.turnkeylinux.org/pve/debian-12-turnkey-nextcloud_18.1-1_amd64.tar.gz", maintainer: "Anton Pyrogovskyi <anton@turnkeylinux.org>", source: "https://releases.turnkeylinux.org/pve", infopage: "https://www.turnkeylinux.org/nextcloud", sha512sum: "e".repeat(128) },
];

const aplinfo: Handler = (ctx) => {
  onlineNode(ctx);
  return APPLIANCES.map((a) => ({ ...a }));
};

/** pve-manager's apl_download: a template from the index onto a storage that holds templates. */
const aplDownload: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const template = str(ctx, "template") as string;
  const appliance = APPLIANCES.find((a) => a.template === template);
  if (!appliance) throw new SimError(400, "template: no such template");
  const s = ctx.cluster.storage(str(ctx, "storage") as string);
  if (!s || !s.nodes.includes(n.name)) throw new SimError(500, `storage '${str(ctx, "storage")}' does not exist`);
  if (!s.content.includes("vztmpl")) throw new SimError(500, `storage '${s.id}' does not support templates`);
  const volid = `${s.id}:vztmpl/${template}`;
  return ctx.tasks.start({
    node: n.name,
    type: "download",
    id: template,
    user: ctx.user,
    log: [`starting template download from: ${appliance.location}`, `target file: /var/lib/vz/template/cache/${template}`, "130.2 MiB downloaded", `download of '${appliance.location}' to '/var/lib/vz/template/cache/${template}' finished`],
    apply: () => {
      const list = ctx.cluster.volumes(s, n.name);
      if (!list.some((v) => v.volid === volid)) list.push({ volid, content: "vztmpl", size: 130 * 1024 * 1024, ctime: ctx.cluster.now(), format: template.endsWith(".xz") ? "txz" : template.endsWith(".gz") ? "tgz" : "tzst" });
    },
  });
};

/**
 * qemu-server QemuServer/Agent.pm assert_agent_available: these messages, in this order; a
 * VM just started answers only once it has booted far enough (agentReadyAt).
 */
export function agentGuest(ctx: HandlerContext): SimGuest {
  const g = pathGuest(ctx, "qemu");
  if (String(g.config.agent ?? "0").startsWith("0") && !g.agentError) throw new SimError(500, "No QEMU guest agent configured");
  if (g.status !== "running") throw new SimError(500, `VM ${g.vmid} is not running`);
  if (!g.agent || (g.agentReadyAt !== undefined && Date.now() < g.agentReadyAt)) throw new SimError(500, "QEMU guest agent is not running");
  if (g.agentError === "http-500") throw new SimError(500, "Agent error: this feature or command is not currently supported");
  return g;
}

const agentPing: Handler = (ctx) => {
  agentGuest(ctx);
  return { result: {} };
};

export const DAY2_HANDLERS: Record<string, Handler> = {
  "PUT /nodes/{node}/qemu/{vmid}/config": updateConfig("qemu", false),
  "POST /nodes/{node}/qemu/{vmid}/config": updateConfig("qemu", true),
  "PUT /nodes/{node}/lxc/{vmid}/config": updateConfig("lxc", false),
  "GET /nodes/{node}/qemu/{vmid}/pending": pending("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/pending": pending("lxc"),
  "PUT /nodes/{node}/qemu/{vmid}/resize": resize("qemu"),
  "PUT /nodes/{node}/lxc/{vmid}/resize": resize("lxc"),
  "GET /nodes/{node}/vzdump/extractconfig": extractConfig,
  "POST /nodes/{node}/storage/{storage}/download-url": downloadUrl,
  "GET /nodes/{node}/aplinfo": aplinfo,
  "POST /nodes/{node}/aplinfo": aplDownload,
  "POST /nodes/{node}/qemu/{vmid}/agent/ping": agentPing,
};
