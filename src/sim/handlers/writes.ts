// Write endpoints: each starts a worker task (returns its UPID) and changes the state
// when the task succeeds, refusing first what PVE refuses.
import { GIB, type SimGuest, type SimStorage } from "../cluster.ts";
import { bool, can, demand, type Handler, type HandlerContext, num, onlineNode, pathGuest, SimError, str } from "./common.ts";
import { AGENT_BOOT_MS, applyPending, restore } from "./day2.ts";

const kind = (type: "qemu" | "lxc") => (type === "qemu" ? "VM" : "CT");
const prefix = (type: "qemu" | "lxc") => (type === "qemu" ? "qm" : "vz");

function run(ctx: HandlerContext, g: Pick<SimGuest, "node" | "vmid">, type: string, log: string[], apply: () => void): string {
  return ctx.tasks.start({ node: g.node, type, id: String(g.vmid), user: ctx.user, log, apply });
}

/**
 * qemu-server API2/Qemu.pm (and pve-container): for an HA-managed guest the API does not act
 * itself; it runs `ha-manager set vm:<id> --state …` (or `crm-command migrate`) in a worker of
 * type hastart/hastop/hamigrate that ends OK at once. The HA manager acts later (haDelayMs).
 */
function haRequest(ctx: HandlerContext, g: SimGuest, kindOf: "hastart" | "hastop" | "hamigrate", line: string, apply: () => void): string {
  const upid = ctx.tasks.start({ node: g.node, type: kindOf, id: String(g.vmid), user: ctx.user, log: [line], durationMs: 50 });
  const timer = setTimeout(apply, Math.max(0, ctx.cluster.real.haDelayMs));
  ctx.tasks.track(timer);
  return upid;
}

const start =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    if (g.ha) {
      return haRequest(ctx, g, "hastart", `Requesting HA start for ${kind(type)} ${g.vmid}`, () => {
        if (g.ha) g.ha.state = "started";
        g.status = "running";
        g.startedAt = ctx.cluster.now();
        g.mem = Math.round(g.maxmem * 0.4);
      });
    }
    if (g.template) throw new SimError(500, type === "qemu" ? "you can't start a vm if it's a template" : "cannot start container template");
    if (g.status === "running") throw new SimError(500, `${kind(type)} ${g.vmid} already running`);
    return run(ctx, g, `${prefix(type)}start`, [`starting ${kind(type)} ${g.vmid}`], () => {
      applyPending(g);
      if (g.agent) g.agentReadyAt = Date.now() + AGENT_BOOT_MS;
      g.status = "running";
      g.startedAt = ctx.cluster.now();
      g.mem = Math.round(g.maxmem * 0.4);
      g.cpu = 0.05;
    });
  };

const halt =
  (type: "qemu" | "lxc", how: "shutdown" | "stop"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    if (g.ha) {
      return haRequest(ctx, g, "hastop", `Requesting HA stop for ${kind(type)} ${g.vmid}`, () => {
        if (g.ha) g.ha.state = "stopped";
        g.status = "stopped";
        g.mem = 0;
        g.cpu = 0;
      });
    }
    if (g.status !== "running") throw new SimError(500, `${kind(type)} ${g.vmid} not running`);
    // qemu-server API2/Qemu.pm vm_shutdown: a paused VM cannot shut down (only be stopped).
    if (how === "shutdown" && g.qmpstatus === "paused") throw new SimError(500, "VM is paused - cannot shutdown");
    return run(ctx, g, `${prefix(type)}${how}`, [how === "stop" ? `stopping ${kind(type)} ${g.vmid} (hard)` : `shutting down ${kind(type)} ${g.vmid}${str(ctx, "timeout") ? ` (timeout ${str(ctx, "timeout")}s)` : ""}`], () => {
      g.status = "stopped";
      g.mem = 0;
      g.cpu = 0;
    });
  };

const reboot =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    if (g.status !== "running") throw new SimError(500, `${kind(type)} ${g.vmid} not running`);
    return run(ctx, g, `${prefix(type)}reboot`, [`rebooting ${kind(type)} ${g.vmid}`], () => {
      applyPending(g);
      g.startedAt = ctx.cluster.now();
    });
  };

const snapshot =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const name = str(ctx, "snapname") as string;
    if (g.snapshots.some((s) => s.name === name)) throw new SimError(500, `snapshot name '${name}' already used`);
    return run(ctx, g, `${prefix(type)}snapshot`, [`snapshotting '${name}'`, bool(ctx, "vmstate") ? "saving VM state and RAM" : "creating snapshot"], () => {
      g.snapshots.push({ name, description: str(ctx, "description") ?? "", snaptime: ctx.cluster.now(), parent: g.snapshots[g.snapshots.length - 1]?.name, vmstate: bool(ctx, "vmstate") });
    });
  };

function existingSnapshot(ctx: HandlerContext, g: SimGuest): string {
  const name = str(ctx, "snapname") as string;
  if (!g.snapshots.some((s) => s.name === name)) throw new SimError(500, `snapshot '${name}' does not exist`);
  return name;
}

const deleteSnapshot =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const name = existingSnapshot(ctx, g);
    return run(ctx, g, `${prefix(type)}delsnapshot`, [`removing snapshot '${name}'`], () => {
      g.snapshots = g.snapshots.filter((s) => s.name !== name);
    });
  };

const rollback =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const name = existingSnapshot(ctx, g);
    return run(ctx, g, `${prefix(type)}rollback`, [`rolling back to '${name}'`], () => {
      const index = g.snapshots.findIndex((s) => s.name === name);
      g.snapshots = g.snapshots.slice(0, index + 1);
      if (bool(ctx, "start")) {
        g.status = "running";
        g.startedAt = ctx.cluster.now();
      } else if (!g.snapshots[index]?.vmstate) g.status = "stopped";
    });
  };

const vzdump: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const ids = (str(ctx, "vmid") ?? "").split(/[,;\s]+/).filter(Boolean).map(Number);
  // pve-manager API2/VZDump.pm: VM.Backup on every guest, Datastore.AllocateSpace on the storage.
  for (const id of ids) demand(ctx, `/vms/${id}`, "VM.Backup");
  if (str(ctx, "storage")) demand(ctx, `/storage/${str(ctx, "storage")}`, "Datastore.AllocateSpace");
  const guests = ids.map((id) => {
    const g = ctx.cluster.guests.get(id);
    if (!g || g.node !== n.name) throw new SimError(500, `guest ${id} is not on node '${n.name}'`);
    return g;
  });
  const storageId = str(ctx, "storage") ?? "local";
  const storage = ctx.cluster.storage(storageId);
  if (!storage || !storage.nodes.includes(n.name)) throw new SimError(500, `storage '${storageId}' does not exist`);
  if (!storage.content.includes("backup")) throw new SimError(500, `storage '${storageId}' does not support backups`);
  const mode = str(ctx, "mode") ?? "snapshot";
  const template = str(ctx, "notes-template") ?? "{{guestname}}";
  const log = [`INFO: starting new backup job: vzdump ${ids.join(" ")} --mode ${mode} --storage ${storageId}`, ...guests.flatMap((g) => [`INFO: Starting Backup of VM ${g.vmid} (${g.type})`, `INFO: backup mode: ${mode}`, "INFO:  45% (7.2 GiB of 16.0 GiB)", "INFO: 100% (16.0 GiB of 16.0 GiB)", `INFO: Finished Backup of VM ${g.vmid} (00:00:42)`])];
  return ctx.tasks.start({
    node: n.name,
    type: "vzdump",
    id: ids.length === 1 ? String(ids[0]) : "",
    user: ctx.user,
    log,
    apply: () => addBackups(ctx, storage, n.name, guests, template),
  });
};

function addBackups(ctx: HandlerContext, storage: SimStorage, node: string, guests: SimGuest[], template: string): void {
  const now = ctx.cluster.now();
  const d = new Date(now * 1000);
  const pad = (x: number) => String(x).padStart(2, "0");
  const stamp = `${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}-${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}`;
  for (const g of guests) {
    const qemu = g.type === "qemu";
    const notes = template.replaceAll("{{guestname}}", g.name).replaceAll("{{vmid}}", String(g.vmid)).replaceAll("{{node}}", node).replaceAll("{{cluster}}", ctx.cluster.name);
    ctx.cluster.volumes(storage, node).push({ volid: `${storage.id}:backup/vzdump-${qemu ? "qemu" : "lxc"}-${g.vmid}-${stamp}.${qemu ? "vma.zst" : "tar.zst"}`, content: "backup", size: Math.round(g.maxdisk * 0.35), ctime: now, format: qemu ? "vma.zst" : "tar.zst", vmid: g.vmid, notes, config: { ...g.config } });
  }
}

/** qemu-server/pve-container create: VM.Allocate on the new guest; tags ask more (pve-guest-common assert_tag_permissions). */
function createChecks(ctx: HandlerContext, vmid: number): void {
  demand(ctx, `/vms/${vmid}`, "VM.Allocate");
  const tags = str(ctx, "tags");
  if (tags) {
    demand(ctx, `/vms/${vmid}`, "VM.Config.Options");
    // PVE 9.2: a tag outside the datacenter's user-allowed list needs Sys.Modify on /.
    if (!can(ctx, "/", "Sys.Modify")) {
      const tag = tags.split(/[;, ]+/).filter(Boolean)[0];
      throw new SimError(403, `Permission check failed (/, Sys.Modify for modifying tag '${tag}')`);
    }
  }
}

function requireFreeVmid(ctx: HandlerContext, vmid: number, type: "qemu" | "lxc"): void {
  const existing = ctx.cluster.guests.get(vmid);
  if (existing) {
    throw new SimError(500, type === "qemu" ? `unable to create VM ${vmid} - VM ${vmid} already exists on node '${existing.node}'` : `CT ${vmid} already exists on node '${existing.node}'`);
  }
}

/** "local-lvm:8" (allocate 8 GiB) → size in bytes; an existing volume keeps its size=. */
function diskSize(spec: string | undefined): number {
  const m = /^[^:,]+:(\d+)(?:,|$)/.exec(spec ?? "");
  if (m) return Number(m[1]) * GIB;
  const size = /size=(\d+)G/.exec(spec ?? "");
  return size ? Number(size[1]) * GIB : 8 * GIB;
}

const createLxc: Handler = (ctx) => {
  if (bool(ctx, "restore")) return restore(ctx, "lxc", (vmid, config, running, maxdisk) => newGuest(vmid, "lxc", str(ctx, "node") as string, String(config.hostname ?? `CT${vmid}`), config, running, maxdisk, ctx.cluster.now()));
  const n = onlineNode(ctx);
  const vmid = num(ctx, "vmid") as number;
  createChecks(ctx, vmid);
  requireFreeVmid(ctx, vmid, "lxc");
  const hostname = str(ctx, "hostname") ?? `CT${vmid}`;
  const template = ctx.cluster.storage((str(ctx, "ostemplate") ?? "").split(":")[0] as string);
  if (!template || !ctx.cluster.volumes(template, n.name).some((v) => v.volid === str(ctx, "ostemplate"))) throw new SimError(500, `unable to create CT ${vmid} - volume '${str(ctx, "ostemplate")}' does not exist`);
  // pve-container: unprivileged defaults to 1 for a new container.
  const config: Record<string, string | number> = { hostname, arch: "amd64", cores: num(ctx, "cores") ?? 1, memory: num(ctx, "memory") ?? 512, swap: num(ctx, "swap") ?? 512, ostype: "debian", unprivileged: str(ctx, "unprivileged") === "0" ? 0 : 1 };
  for (const key of Object.keys(ctx.p)) if (/^net\d+$/.test(key) || ["features", "onboot", "tags", "description", "nameserver", "searchdomain", "startup", "cpulimit"].includes(key)) config[key] = /^\d+$/.test(str(ctx, key) as string) ? Number(str(ctx, key)) : (str(ctx, key) as string);
  const rootfs = str(ctx, "rootfs") ?? "local-lvm:8";
  config.rootfs = `${rootfs.split(":")[0]}:vm-${vmid}-disk-0,size=${diskSize(rootfs) / GIB}G`;
  const startAfter = bool(ctx, "start");
  return ctx.tasks.start({
    node: n.name,
    type: "vzcreate",
    id: String(vmid),
    user: ctx.user,
    log: [`extracting archive '${str(ctx, "ostemplate")}'`, "Total bytes read: 520314880 (497MiB, 161MiB/s)", "Detected container architecture: amd64", `Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...`],
    apply: () => {
      const g = newGuest(vmid, "lxc", n.name, hostname, config, startAfter, diskSize(rootfs), ctx.cluster.now());
      const staticIp = /(?:^|,)ip=(\d+\.\d+\.\d+\.\d+)\//.exec(String(config.net0 ?? ""));
      if (staticIp) g.ip = staticIp[1] as string;
      ctx.cluster.guests.set(vmid, g);
    },
  });
};

const createQemu: Handler = (ctx) => {
  if (str(ctx, "archive") !== undefined) return restore(ctx, "qemu", (vmid, config, running, maxdisk) => newGuest(vmid, "qemu", str(ctx, "node") as string, String(config.name ?? `VM${vmid}`), config, running, maxdisk, ctx.cluster.now()));
  const n = onlineNode(ctx);
  const vmid = num(ctx, "vmid") as number;
  createChecks(ctx, vmid);
  requireFreeVmid(ctx, vmid, "qemu");
  const name = str(ctx, "name") ?? `VM${vmid}`;
  const config: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(ctx.p)) if (!["node", "vmid", "start"].includes(key)) config[key] = Array.isArray(value) ? value.join(",") : value;
  config.name = name;
  let size = 0;
  let index = 0;
  const log: string[] = [];
  for (const disk of Object.keys(ctx.p).filter((k) => /^(scsi|virtio|sata|ide|efidisk|tpmstate)\d+$/.test(k))) {
    const spec = str(ctx, disk) as string;
    if (spec.includes("media=cdrom") || !spec.includes(":")) continue;
    const [storage, rest = ""] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
    if (rest === "cloudinit" || rest.startsWith("cloudinit,")) {
      // qemu-server allocates the cloud-init drive as vm-<vmid>-cloudinit and marks it a CD-ROM.
      config[disk] = `${storage}:vm-${vmid}-cloudinit,media=cdrom`;
      log.push(`  Logical volume "vm-${vmid}-cloudinit" created.`);
      continue;
    }
    const importFrom = /(?:^|,)import-from=([^,]+)/.exec(rest)?.[1];
    let bytes = diskSize(spec);
    if (importFrom) {
      const source = ctx.cluster.storage(importFrom.split(":")[0] as string);
      const volume = source ? ctx.cluster.volumes(source, n.name).find((v) => v.volid === importFrom) : undefined;
      if (!volume) throw new SimError(500, `unable to create VM ${vmid} - volume '${importFrom}' does not exist`);
      if (!["import", "images", "iso"].includes(volume.content)) throw new SimError(500, `unable to create VM ${vmid} - '${importFrom}' is not an importable image`);
      bytes = Math.ceil(volume.size / GIB) * GIB;
      log.push(`importing disk '${importFrom}' to VM ${vmid} ...`, "transferred 1.0 GiB of 3.5 GiB (28.57%)", "transferred 3.5 GiB of 3.5 GiB (100.00%)", `Successfully imported disk as '${disk}:${storage}:vm-${vmid}-disk-${index}'`);
    } else if (/^\d+(\.\d+)?(,|$)/.test(rest)) {
      log.push(`  Logical volume "vm-${vmid}-disk-${index}" created.`);
    } else continue;
    const options = rest.split(",").slice(1).filter((o) => !o.startsWith("import-from=") && !o.startsWith("size="));
    config[disk] = [`${storage}:vm-${vmid}-disk-${index++}`, ...options, `size=${bytes / GIB}G`].join(",");
    if (size === 0) size = bytes;
  }
  const startAfter = bool(ctx, "start");
  return ctx.tasks.start({
    node: n.name,
    type: "qmcreate",
    id: String(vmid),
    user: ctx.user,
    log,
    apply: () => {
      const g = newGuest(vmid, "qemu", n.name, name, config, startAfter, size, ctx.cluster.now());
      applyPending(g);
      if (startAfter && g.agent) g.agentReadyAt = Date.now() + AGENT_BOOT_MS;
      ctx.cluster.guests.set(vmid, g);
    },
  });
};

function newGuest(vmid: number, type: "qemu" | "lxc", node: string, name: string, config: Record<string, string | number>, running: boolean, maxdisk: number, now: number): SimGuest {
  const mem = Number(String(config.memory ?? 512).split(",")[0]) || 512;
  return {
    vmid,
    type,
    node,
    name,
    status: running ? "running" : "stopped",
    template: false,
    tags: config.tags === undefined ? [] : String(config.tags).split(/[;, ]+/).filter(Boolean),
    cpu: 0,
    cpus: Number(config.cores ?? 1) * Number(config.sockets ?? 1),
    mem: running ? mem * 1024 * 1024 * 0.3 : 0,
    maxmem: mem * 1024 * 1024,
    disk: 0,
    maxdisk,
    startedAt: running ? now : 0,
    netin: 0,
    netout: 0,
    config,
    snapshots: [],
    agent: false,
    ip: `192.168.1.${(vmid % 200) + 20}`,
  };
}

const clone =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const source = pathGuest(ctx, type);
    const newid = num(ctx, "newid") as number;
    requireFreeVmid(ctx, newid, type);
    const full = str(ctx, "full") === undefined ? !source.template : bool(ctx, "full");
    if (!full && !source.template) throw new SimError(500, "linked clone feature is not supported for drive 'scsi0'");
    if (!full && str(ctx, "storage")) throw new SimError(400, "storage only allowed for full clones");
    const target = str(ctx, "target") ?? source.node;
    const targetNode = ctx.cluster.node(target);
    if (!targetNode?.online) throw new SimError(500, `target node '${target}' is not online`);
    const name = str(ctx, type === "qemu" ? "name" : "hostname") ?? `Copy-of-${source.name}`;
    return ctx.tasks.start({
      node: source.node,
      type: `${prefix(type)}clone`,
      id: String(source.vmid),
      user: ctx.user,
      log: [`create ${full ? "full" : "linked"} clone of drive scsi0 (local-lvm:vm-${source.vmid}-disk-0)`, "transferred 8.0 GiB of 32.0 GiB (25.00%)", "transferred 32.0 GiB of 32.0 GiB (100.00%)"],
      apply: () => {
        const config = { ...source.config, [type === "qemu" ? "name" : "hostname"]: name };
        delete config.template;
        delete config.protection;
        ctx.cluster.guests.set(newid, { ...newGuest(newid, type, target, name, config, false, source.maxdisk, ctx.cluster.now()), cpus: source.cpus, maxmem: source.maxmem, tags: [...source.tags] });
      },
    });
  };

const destroy =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    if (g.status === "running") throw new SimError(500, type === "qemu" ? `VM ${g.vmid} is running - destroy failed` : `CT ${g.vmid} is running - destroy failed`);
    if (g.config.protection === 1) throw new SimError(500, `can't remove ${kind(type)} ${g.vmid} - protection mode enabled`);
    return run(ctx, g, `${prefix(type)}destroy`, [`  Logical volume "vm-${g.vmid}-disk-0" successfully removed.`], () => {
      ctx.cluster.guests.delete(g.vmid);
    });
  };

const migrate =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const target = str(ctx, "target") as string;
    const node = ctx.cluster.node(target);
    if (!node) throw new SimError(500, `no such cluster node '${target}'`);
    if (!node.online) throw new SimError(500, `target node '${target}' is not online`);
    if (target === g.node) throw new SimError(400, "target is local node.");
    if (g.ha) {
      return haRequest(ctx, g, "hamigrate", `Requesting HA migration for ${kind(type)} ${g.vmid} to node ${target}`, () => {
        g.node = target;
      });
    }
    if (g.status === "running" && type === "qemu" && !bool(ctx, "online")) throw new SimError(500, "can't migrate running VM without --online");
    if (g.status === "running" && type === "lxc" && !bool(ctx, "restart") && !bool(ctx, "online")) throw new SimError(500, "CT is running - use online migration or restart mode");
    return run(ctx, g, type === "qemu" ? "qmigrate" : "vzmigrate", [`starting migration of ${kind(type)} ${g.vmid} to node '${target}' (${node.ip})`, "migration status: active (transferred 1.2 GiB of 4.0 GiB), 30%", "migration finished successfully"], () => {
      g.node = target;
    });
  };

export const WRITE_HANDLERS: Record<string, Handler> = {};
for (const type of ["qemu", "lxc"] as const) {
  const base = `/nodes/{node}/${type}/{vmid}`;
  Object.assign(WRITE_HANDLERS, {
    [`POST ${base}/status/start`]: start(type),
    [`POST ${base}/status/shutdown`]: halt(type, "shutdown"),
    [`POST ${base}/status/stop`]: halt(type, "stop"),
    [`POST ${base}/status/reboot`]: reboot(type),
    [`POST ${base}/snapshot`]: snapshot(type),
    [`DELETE ${base}/snapshot/{snapname}`]: deleteSnapshot(type),
    [`POST ${base}/snapshot/{snapname}/rollback`]: rollback(type),
    [`POST ${base}/clone`]: clone(type),
    [`POST ${base}/migrate`]: migrate(type),
    [`DELETE ${base}`]: destroy(type),
  });
}
WRITE_HANDLERS["POST /nodes/{node}/vzdump"] = vzdump;
// pve-manager PVE/API2/Tasks.pm stop_task: an unknown UPID is a parameter error; otherwise
// the worker is signalled (if still running) and the answer is null.
WRITE_HANDLERS["DELETE /nodes/{node}/tasks/{upid}"] = (ctx) => {
  const node = onlineNode(ctx);
  const upid = str(ctx, "upid") as string;
  const task = ctx.tasks.byUpid(upid);
  if (!task || task.node !== node.name) throw new SimError(400, "Parameter verification failed. upid: no such task");
  ctx.tasks.kill(upid);
  return null;
};
WRITE_HANDLERS["POST /nodes/{node}/lxc"] = createLxc;
WRITE_HANDLERS["POST /nodes/{node}/qemu"] = createQemu;
