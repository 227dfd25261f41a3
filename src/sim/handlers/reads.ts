// Read endpoints of the simulated PVE, each answering in the shape of its official
// `returns` schema and the captured samples.
import { digest, GIB, prng, type SimGuest, type SimStorage } from "../cluster.ts";
import { bool, can, type Handler, type HandlerContext, hashOrder, num, onlineNode, pathGuest, shownStatus, SimError, str, uptime, WithTotal } from "./common.ts";
import { agentGuest, configDigest, configView } from "./day2.ts";

function guestResource(g: SimGuest, ctx: HandlerContext, now: number) {
  const online = ctx.cluster.node(g.node)?.online ?? false;
  return {
    id: `${g.type}/${g.vmid}`,
    type: g.type,
    vmid: g.vmid,
    node: g.node,
    name: g.name,
    status: online ? shownStatus(g) : "unknown",
    template: g.template ? 1 : 0,
    ...(g.tags.length ? { tags: g.tags.join(";") } : {}),
    cpu: online ? g.cpu : 0,
    maxcpu: g.cpus,
    mem: online ? g.mem : 0,
    maxmem: g.maxmem,
    disk: g.disk,
    maxdisk: g.maxdisk,
    uptime: online ? uptime(g, now) : 0,
    netin: g.netin,
    netout: g.netout,
    diskread: Math.floor(g.netin / 3),
    diskwrite: Math.floor(g.netout / 2),
    ...(g.ha ? { hastate: g.ha.state } : {}),
    ...(g.type === "qemu" ? { memhost: online ? g.mem : 0 } : {}),
  };
}

function storageUsed(ctx: HandlerContext, s: SimStorage, node: string): number {
  const base = s.id === "local-lvm" ? [...ctx.cluster.guests.values()].filter((g) => g.node === node).reduce((sum, g) => sum + g.disk, 0) : 0;
  return Math.min(s.total, base + ctx.cluster.volumes(s, node).reduce((sum, v) => sum + v.size, 0) + (s.id === "local" ? 12 * GIB : 0));
}

function nodeMem(ctx: HandlerContext, node: string): number {
  return [...ctx.cluster.guests.values()].filter((g) => g.node === node && g.status === "running").reduce((sum, g) => sum + g.mem, 3 * GIB);
}

const resources: Handler = (ctx) => {
  const type = str(ctx, "type");
  const now = ctx.cluster.now();
  const out: unknown[] = [];
  // pve-manager PVE/API2/Cluster.pm: every node is listed, its figures only with Sys.Audit;
  // a guest only with VM.Audit on /vms/<vmid>; a storage only with Datastore.Audit on it.
  if (!type || type === "node") {
    for (const n of ctx.cluster.nodes) {
      const audit = can(ctx, `/nodes/${n.name}`, "Sys.Audit");
      out.push({ id: `node/${n.name}`, type: "node", node: n.name, status: n.online ? "online" : "offline", ...(audit ? { level: "", cpu: n.online ? n.load : 0, maxcpu: n.cpus, mem: n.online ? nodeMem(ctx, n.name) : 0, maxmem: n.maxmem, disk: n.online ? (n.rootUsed ?? 9 * GIB) : 0, maxdisk: n.rootTotal ?? 94 * GIB, uptime: n.online ? now - n.bootedAt : 0, "cgroup-mode": 2 } : {}) });
    }
  }
  if (!type || type === "vm") for (const g of ctx.cluster.guests.values()) if (can(ctx, `/vms/${g.vmid}`, "VM.Audit")) out.push(guestResource(g, ctx, now));
  if (!type || type === "storage") {
    for (const s of hashOrder(ctx, ctx.cluster.storages)) {
      if (!can(ctx, `/storage/${s.id}`, "Datastore.Audit")) continue;
      for (const node of s.nodes) {
        const online = ctx.cluster.node(node)?.online ?? false;
        out.push({ id: `storage/${node}/${s.id}`, type: "storage", storage: s.id, node, status: online ? "available" : "unknown", plugintype: s.type, content: s.content.join(","), shared: s.shared ? 1 : 0, disk: online ? storageUsed(ctx, s, node) : 0, maxdisk: online ? s.total : 0 });
      }
    }
  }
  return out;
};

const clusterStatus: Handler = (ctx) =>
  ctx.cluster.standalone
    ? // pve-manager PVE/API2/Cluster.pm status: without a cluster, one "fake entry for local node".
      ctx.cluster.nodes.slice(0, 1).map((n) => ({ type: "node", id: `node/${n.name}`, name: n.name, ip: n.ip, local: 1, nodeid: 0, online: 1, level: "" }))
    : clusterMembers(ctx);

const clusterMembers = (ctx: HandlerContext) => [
  { type: "cluster", id: "cluster", name: ctx.cluster.name, nodes: ctx.cluster.nodes.length, quorate: ctx.cluster.nodes.filter((n) => n.online).length * 2 > ctx.cluster.nodes.length ? 1 : 0, version: 7 },
  ...ctx.cluster.nodes.map((n, i) => ({ type: "node", id: `node/${n.name}`, name: n.name, nodeid: i + 1, ip: n.ip, online: n.online ? 1 : 0, local: i === 0 ? 1 : 0, level: "" })),
];

const nodesList: Handler = (ctx) =>
  ctx.cluster.nodes.map((n) => ({ node: n.name, status: n.online ? "online" : "offline", level: "", ...(n.online && can(ctx, `/nodes/${n.name}`, "Sys.Audit") ? { cpu: n.load, maxcpu: n.cpus, mem: nodeMem(ctx, n.name), maxmem: n.maxmem, uptime: ctx.cluster.now() - n.bootedAt } : {}) }));

const nodeStatus: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const used = nodeMem(ctx, n.name);
  return {
    cpu: n.load,
    cpuinfo: { cpus: n.cpus, cores: n.cpus / 2, sockets: 1, model: "AMD Ryzen 9 5950X 16-Core Processor", mhz: "3400.000", hvm: "1", flags: "fpu vme", user_hz: 100 },
    loadavg: [(n.load * n.cpus).toFixed(2), (n.load * n.cpus * 0.9).toFixed(2), (n.load * n.cpus * 0.8).toFixed(2)],
    memory: { total: n.maxmem, used, free: n.maxmem - used, available: n.maxmem - used },
    swap: { total: 8 * GIB, used: Math.floor(0.2 * GIB), free: 8 * GIB - Math.floor(0.2 * GIB) },
    rootfs: { total: n.rootTotal ?? 94 * GIB, used: n.rootUsed ?? 9 * GIB, free: (n.rootTotal ?? 94 * GIB) - (n.rootUsed ?? 9 * GIB), avail: Math.max(0, (n.rootTotal ?? 94 * GIB) - (n.rootUsed ?? 9 * GIB) - 5 * GIB) },
    uptime: ctx.cluster.now() - n.bootedAt,
    idle: 0,
    wait: 0.002,
    ksm: { shared: 0 },
    pveversion: `pve-manager/${ctx.cluster.version.version}/${ctx.cluster.version.repoid}`,
    kversion: "Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4",
    "current-kernel": { sysname: "Linux", release: "6.14.11-4-pve", version: "#1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4", machine: "x86_64" },
    "boot-info": { mode: "efi", secureboot: 0 },
  };
};

/** About 70 points per timeframe, like PVE's RRD, following a smooth deterministic curve. */
const STEP: Record<string, number> = { hour: 60, day: 1800, week: 10800, month: 43200, year: 604800, decade: 6048000 };

function rrdRows(seed: number, timeframe: string, now: number, row: (i: number, wave: number, rand: () => number) => Record<string, number>) {
  const step = STEP[timeframe] ?? 60;
  const rand = prng(seed);
  const end = Math.floor(now / step) * step;
  return Array.from({ length: 70 }, (_, i) => {
    const wave = 0.5 + 0.4 * Math.sin((i / 70) * Math.PI * 2 + seed);
    return { time: end - (69 - i) * step, ...row(i, wave, rand) };
  });
}

const nodeRrd: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const max = str(ctx, "cf") === "MAX" ? 1.3 : 1;
  return rrdRows(n.cpus, str(ctx, "timeframe") as string, ctx.cluster.now(), (_i, w, r) => ({
    cpu: Math.min(1, n.load * w * max + r() * 0.02),
    maxcpu: n.cpus,
    iowait: r() * 0.01,
    loadavg: n.load * n.cpus * w,
    memused: nodeMem(ctx, n.name) * (0.9 + 0.1 * w),
    memtotal: n.maxmem,
    swapused: 0.2 * GIB,
    swaptotal: 8 * GIB,
    rootused: 9 * GIB,
    roottotal: 94 * GIB,
    netin: 2e6 * w * max,
    netout: 8e5 * w * max,
  }));
};

const guestRrd =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const max = str(ctx, "cf") === "MAX" ? 1.4 : 1;
    return rrdRows(g.vmid, str(ctx, "timeframe") as string, ctx.cluster.now(), (_i, w, r): Record<string, number> =>
      g.status === "running"
        ? { cpu: Math.min(1, (g.cpu + 0.05) * w * max), maxcpu: g.cpus, mem: g.mem * (0.85 + 0.15 * w), maxmem: g.maxmem, disk: g.disk, maxdisk: g.maxdisk, netin: 1e5 * w * max + r() * 1e4, netout: 5e4 * w * max, diskread: 2e5 * w, diskwrite: 1e5 * w }
        : { maxcpu: g.cpus, maxmem: g.maxmem, disk: g.disk, maxdisk: g.maxdisk },
    );
  };

const guestList =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const n = onlineNode(ctx);
    const now = ctx.cluster.now();
    return [...ctx.cluster.guests.values()]
      .filter((g) => g.type === type && g.node === n.name && can(ctx, `/vms/${g.vmid}`, "VM.Audit"))
      .map((g) => ({ vmid: g.vmid, name: g.name, status: g.status, cpus: g.cpus, cpu: g.cpu, mem: g.mem, maxmem: g.maxmem, disk: g.disk, maxdisk: g.maxdisk, uptime: uptime(g, now), netin: g.netin, netout: g.netout, ...(type === "lxc" ? { type: "lxc" } : {}), ...(g.template ? { template: 1 } : {}), ...(g.tags.length ? { tags: g.tags.join(";") } : {}) }));
  };

const guestConfig =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    return { ...configView(g, bool(ctx, "current")), digest: configDigest(g) };
  };

const guestCurrent =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const running = g.status === "running";
    return {
      vmid: g.vmid,
      name: g.name,
      status: g.status,
      cpus: g.cpus,
      cpu: g.cpu,
      mem: g.mem,
      maxmem: g.maxmem,
      disk: g.disk,
      maxdisk: g.maxdisk,
      uptime: uptime(g, ctx.cluster.now()),
      netin: g.netin,
      netout: g.netout,
      diskread: Math.floor(g.netin / 3),
      diskwrite: Math.floor(g.netout / 2),
      ha: g.ha ? { managed: 1, state: g.ha.state, ...(g.ha.group ? { group: g.ha.group } : {}) } : { managed: 0 },
      ...(g.tags.length ? { tags: g.tags.join(";") } : {}),
      ...(g.template ? { template: 1 } : {}),
      ...(type === "qemu" ? { qmpstatus: running ? (g.qmpstatus ?? "running") : "stopped", ...(running ? { pid: 1000 + g.vmid, "running-qemu": "9.2.0", agent: g.agent ? 1 : 0 } : {}) } : { type: "lxc", maxswap: 512 * 1024 * 1024, swap: 0 }),
    };
  };

const snapshots =
  (type: "qemu" | "lxc"): Handler =>
  (ctx) => {
    const g = pathGuest(ctx, type);
    const last = g.snapshots[g.snapshots.length - 1];
    return [
      ...g.snapshots.map((s) => ({ name: s.name, description: s.description, snaptime: s.snaptime, ...(s.parent ? { parent: s.parent } : {}), ...(s.vmstate ? { vmstate: 1 } : {}) })),
      { name: "current", description: "You are here!", digest: configDigest(g), running: g.status === "running" ? 1 : 0, ...(last ? { parent: last.name } : {}) },
    ];
  };

/** pve-manager PVE/API2/Tasks.pm $convert_token_task: a token's tasks list user and tokenid apart. */
function taskUser(user: string): { user: string; tokenid?: string } {
  const bang = user.indexOf("!");
  return bang < 0 ? { user } : { user: user.slice(0, bang), tokenid: user.slice(bang + 1) };
}

/** Tasks a token may see: its own, or all of a node's with Sys.Audit on it (Tasks.pm $check_task_user). */
const visibleTask = (ctx: HandlerContext, t: import("../tasks.ts").SimTask) => t.user === ctx.user || can(ctx, `/nodes/${t.node}`, "Sys.Audit");

function taskListEntry(t: import("../tasks.ts").SimTask) {
  return { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, ...taskUser(t.user), ...(t.endtime !== undefined ? { endtime: t.endtime, status: t.exitstatus } : {}) };
}

const nodeTasks: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const vmid = str(ctx, "vmid");
  const type = str(ctx, "typefilter");
  const since = num(ctx, "since");
  const until = num(ctx, "until");
  const source = str(ctx, "source") ?? "archive";
  const matching = ctx.tasks.tasks
    .filter((t) => t.node === n.name && visibleTask(ctx, t))
    .filter((t) => (source === "active" ? t.endtime === undefined : source === "archive" ? t.endtime !== undefined : true))
    .filter((t) => !vmid || t.id === vmid)
    .filter((t) => !type || t.type === type)
    .filter((t) => !bool(ctx, "errors") || (t.endtime !== undefined && t.exitstatus !== "OK"))
    .filter((t) => since === undefined || t.starttime >= since)
    .filter((t) => until === undefined || t.starttime <= until)
    .sort((a, b) => b.starttime - a.starttime);
  const start = num(ctx, "start") ?? 0;
  const limit = num(ctx, "limit") ?? 50;
  return new WithTotal(matching.slice(start, start + limit).map(taskListEntry), matching.length);
};

const clusterTasks: Handler = (ctx) =>
  ctx.tasks.tasks
    .filter((t) => ctx.cluster.node(t.node)?.online && (t.user === ctx.user || can(ctx, "/", "Sys.Audit")))
    .sort((a, b) => b.starttime - a.starttime)
    .slice(0, 200)
    .map((t) => ({ ...taskListEntry(t), ...(t.endtime === undefined ? {} : { status: t.exitstatus }) }));

function task(ctx: HandlerContext) {
  const n = onlineNode(ctx);
  const t = ctx.tasks.byUpid(str(ctx, "upid") as string);
  if (!t || t.node !== n.name) throw new SimError(500, `unable to open file '/var/log/pve/tasks/active' - no such task`);
  return t;
}

const taskStatus: Handler = (ctx) => {
  const t = task(ctx);
  return { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, ...taskUser(t.user), status: t.endtime === undefined ? "running" : "stopped", ...(t.endtime === undefined ? {} : { exitstatus: t.exitstatus }) };
};

const taskLog: Handler = (ctx) => {
  const t = task(ctx);
  const start = num(ctx, "start") ?? 0;
  const limit = num(ctx, "limit") ?? 50;
  const lines = t.log.map((text, i) => ({ n: i + 1, t: text }));
  return new WithTotal(lines.slice(start, start + limit), lines.length);
};

function storageRow(ctx: HandlerContext, s: SimStorage, node: string) {
  const used = storageUsed(ctx, s, node);
  return { storage: s.id, type: s.type, content: s.content.join(","), shared: s.shared ? 1 : 0, active: 1, enabled: 1, total: s.total, used, avail: s.total - used, used_fraction: used / s.total };
}

const nodeStorage: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const content = str(ctx, "content")?.split(",");
  const only = str(ctx, "storage");
  // pve-storage API2/Storage/Status.pm index: a storage is listed with Datastore.Audit or AllocateSpace on it.
  return hashOrder(ctx, ctx.cluster.storages)
    .filter((s) => s.nodes.includes(n.name))
    .filter((s) => can(ctx, `/storage/${s.id}`, "Datastore.Audit") || can(ctx, `/storage/${s.id}`, "Datastore.AllocateSpace"))
    .filter((s) => !only || s.id === only)
    .filter((s) => !content || content.some((c) => s.content.includes(c)))
    .map((s) => storageRow(ctx, s, n.name));
};

function pathStorage(ctx: HandlerContext): { s: SimStorage; node: string } {
  const n = onlineNode(ctx);
  const s = ctx.cluster.storage(str(ctx, "storage") as string);
  if (!s || !s.nodes.includes(n.name)) throw new SimError(500, `storage '${str(ctx, "storage")}' does not exist`);
  return { s, node: n.name };
}

const storageStatus: Handler = (ctx) => {
  const { s, node } = pathStorage(ctx);
  const { storage: _id, used_fraction: _f, ...row } = storageRow(ctx, s, node);
  return row;
};

/**
 * pve-storage Storage.pm check_volume_access, as API2/Storage/Content.pm's index applies it:
 * a volume the token may not access is left out of the list, silently. A backup volume needs
 * Datastore.AllocateSpace on the storage and VM.Backup on its guest (or Datastore.Allocate).
 */
function volumeVisible(ctx: HandlerContext, s: SimStorage, v: import("../cluster.ts").SimVolume): boolean {
  const store = `/storage/${s.id}`;
  if (can(ctx, store, "Datastore.Allocate")) return true;
  if (v.content === "iso" || v.content === "vztmpl") return can(ctx, store, "Datastore.AllocateSpace") || can(ctx, store, "Datastore.Audit");
  if (v.content === "backup" && v.vmid !== undefined) return can(ctx, store, "Datastore.AllocateSpace") && can(ctx, `/vms/${v.vmid}`, "VM.Backup");
  if ((v.content === "images" || v.content === "rootdir") && v.vmid !== undefined) return can(ctx, store, "Datastore.Audit") && can(ctx, `/vms/${v.vmid}`, "VM.Config.Disk");
  return false;
}

const storageContent: Handler = (ctx) => {
  const { s, node } = pathStorage(ctx);
  const content = str(ctx, "content");
  const vmid = num(ctx, "vmid");
  return ctx.cluster
    .volumes(s, node)
    .filter((v) => !content || v.content === content)
    .filter((v) => vmid === undefined || v.vmid === vmid)
    .filter((v) => volumeVisible(ctx, s, v))
    .map((v) => ({ volid: v.volid, content: v.content, format: v.format, size: v.size, ctime: v.ctime, ...(v.vmid !== undefined ? { vmid: v.vmid } : {}), ...(v.notes !== undefined ? { notes: v.notes } : {}), ...(v.protected ? { protected: 1 } : {}) }));
};

// qemu-server QemuServer/Agent.pm assert_agent_available (day2.ts: agentGuest, which the agent ping shares).
const agentRunning = agentGuest;

/** PVE 6 handed QGA's own error back inside `result`, with HTTP 200 (the ansible pve62 capture). */
const QGA_ERROR = { result: { error: { desc: "this feature or command is not currently supported", class: "Unsupported" } } };

const agentOsinfo: Handler = (ctx) => {
  const g = agentRunning(ctx);
  if (g.agentError === "result-error") return QGA_ERROR;
  const windows = String(g.config.ostype).startsWith("win");
  return { result: windows ? { id: "mswindows", name: "Microsoft Windows", "pretty-name": "Windows 11 Pro", version: "11", "version-id": "11", "kernel-release": "26100", machine: "x86_64" } : { id: "debian", name: "Debian GNU/Linux", "pretty-name": "Debian GNU/Linux 13 (trixie)", version: "13 (trixie)", "version-id": "13", "kernel-release": "6.12.48+deb13-amd64", "kernel-version": "#1 SMP PREEMPT_DYNAMIC", machine: "x86_64" } };
};

const agentNet: Handler = (ctx) => {
  const g = agentRunning(ctx);
  if (g.agentError === "result-error") return QGA_ERROR;
  const hw = /=([0-9A-F:]{17})/i.exec(String(g.config.net0))?.[1]?.toLowerCase() ?? "bc:24:11:00:00:01";
  return {
    result: [
      { name: "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{ "ip-address": "127.0.0.1", "ip-address-type": "ipv4", prefix: 8 }, { "ip-address": "::1", "ip-address-type": "ipv6", prefix: 128 }] },
      { name: "ens18", "hardware-address": hw, "ip-addresses": [{ "ip-address": g.ip, "ip-address-type": "ipv4", prefix: 24 }, { "ip-address": `fe80::be24:11ff:fe00:${g.vmid.toString(16)}`, "ip-address-type": "ipv6", prefix: 64 }] },
    ],
  };
};

const lxcInterfaces: Handler = (ctx) => {
  const g = pathGuest(ctx, "lxc");
  if (g.status !== "running") throw new SimError(500, `CT ${g.vmid} not running`);
  const hw = /hwaddr=([0-9A-F:]{17})/i.exec(String(g.config.net0))?.[1]?.toLowerCase() ?? "";
  return [
    { name: "lo", hwaddr: "00:00:00:00:00:00", inet: "127.0.0.1/8", inet6: "::1/128" },
    { name: "eth0", hwaddr: hw, inet: `${g.ip}/24`, inet6: `fe80::be24:11ff:fe00:${g.vmid.toString(16)}/64` },
  ];
};

const haStatus: Handler = (ctx) => {
  const online = ctx.cluster.nodes.filter((n) => n.online);
  const ha = [...ctx.cluster.guests.values()].filter((g) => g.ha);
  return [
    { id: "quorum", type: "quorum", node: online[0]?.name ?? "", status: "OK", quorate: 1 },
    { id: "master", type: "master", node: online[0]?.name ?? "", status: `${online[0]?.name} (active, ${new Date().toUTCString()})`, timestamp: ctx.cluster.now() },
    ...ha.map((g) => ({ id: `service:vm:${g.vmid}`, type: "service", sid: `vm:${g.vmid}`, node: g.node, state: g.status === "running" ? "started" : "stopped", request_state: g.ha?.state ?? "started", status: g.status === "running" ? "started" : "stopped", max_restart: 1, max_relocate: 1 })),
  ];
};

const replication: Handler = (ctx) => (ctx.cluster.guests.has(201) ? [{ id: "201-0", type: "local", guest: 201, source: ctx.cluster.guests.get(201)?.node, target: "pve1", schedule: "*/15", jobnum: 0 }] : []);

const backupJobs: Handler = () => [{ id: "backup-5b1d3f2a-1c2e", type: "vzdump", schedule: "02:00", storage: "nas-backup", mode: "snapshot", compress: "zstd", enabled: 1, all: 1, "notes-template": "{{guestname}} nightly" }];

const nextid: Handler = (ctx) => {
  const wanted = num(ctx, "vmid");
  if (wanted !== undefined) {
    if (ctx.cluster.guests.has(wanted)) throw new SimError(400, `VM ${wanted} already exists`);
    return wanted;
  }
  return ctx.cluster.nextFreeVmid();
};

const services: Handler = (ctx) => {
  onlineNode(ctx);
  const names = ["pveproxy", "pvedaemon", "pvestatd", "pve-cluster", "corosync", "pve-ha-lrm", "pve-ha-crm", "pvescheduler", "pve-firewall", "chrony", "sshd"];
  // A node without a cluster has no corosync.conf: systemd skips corosync (ConditionPathExists).
  return names.map((name) => (ctx.cluster.standalone && name === "corosync" ? { service: name, name, desc: `${name} service`, state: "dead", "active-state": "inactive", "unit-state": "enabled" } : { service: name, name, desc: `${name} service`, state: "running", "active-state": "active", "unit-state": "enabled" }));
};

const subscription: Handler = (ctx) => {
  onlineNode(ctx);
  return { status: "notfound", message: "There is no subscription key", serverid: digest(str(ctx, "node") as string).slice(0, 32).toUpperCase(), url: "https://www.proxmox.com/en/proxmox-virtual-environment/pricing" };
};

const aptUpdates: Handler = (ctx) => {
  const n = onlineNode(ctx);
  const pkgs = n.name === "pve1" ? ["pve-manager", "proxmox-kernel-6.14", "libpve-common-perl"] : ["openssl"];
  return pkgs.map((p, i) => ({ Package: p, Title: `${p} update`, Version: `9.1.${3 + i}`, OldVersion: `9.1.${2 + i}`, Arch: "amd64", Origin: "Proxmox", Priority: "optional", Section: "admin", Description: `${p} package` }));
};

const disks: Handler = (ctx) => {
  const n = onlineNode(ctx);
  return [
    { devpath: "/dev/nvme0n1", model: "Samsung SSD 980 PRO 1TB", serial: `S5GX${n.name.toUpperCase()}01`, size: 1000204886016, health: "PASSED", type: "nvme", used: "LVM", gpt: 1, wwn: "eui.002538b111b2c3d4", vendor: "unknown", osdid: -1, "osdid-list": null },
    { devpath: "/dev/sda", model: "WDC WD40EFRX-68N32N0", serial: `WD-${n.name.toUpperCase()}42`, size: 4000787030016, health: n.name === "pve2" ? "FAILED" : "PASSED", type: "hdd", used: "ZFS", gpt: 1, wwn: "0x50014ee20ab12345", vendor: "ATA", osdid: -1, "osdid-list": null },
  ];
};

export const READ_HANDLERS: Record<string, Handler> = {
  "GET /version": (ctx) => ({ ...ctx.cluster.version }),
  "GET /cluster/status": clusterStatus,
  "GET /cluster/resources": resources,
  "GET /cluster/tasks": clusterTasks,
  "GET /cluster/nextid": nextid,
  "GET /cluster/backup": backupJobs,
  "GET /cluster/ha/status/current": haStatus,
  "GET /cluster/replication": replication,
  "GET /access/permissions": (ctx) => ctx.cluster.permissions,
  "GET /nodes": nodesList,
  "GET /nodes/{node}/status": nodeStatus,
  "GET /nodes/{node}/rrddata": nodeRrd,
  "GET /nodes/{node}/tasks": nodeTasks,
  "GET /nodes/{node}/tasks/{upid}/status": taskStatus,
  "GET /nodes/{node}/tasks/{upid}/log": taskLog,
  "GET /nodes/{node}/storage": nodeStorage,
  "GET /nodes/{node}/storage/{storage}/status": storageStatus,
  "GET /nodes/{node}/storage/{storage}/content": storageContent,
  "GET /nodes/{node}/services": services,
  "GET /nodes/{node}/subscription": subscription,
  "GET /nodes/{node}/apt/update": aptUpdates,
  "GET /nodes/{node}/disks/list": disks,
  "GET /nodes/{node}/qemu": guestList("qemu"),
  "GET /nodes/{node}/lxc": guestList("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/config": guestConfig("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/config": guestConfig("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/status/current": guestCurrent("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/status/current": guestCurrent("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/rrddata": guestRrd("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/rrddata": guestRrd("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/snapshot": snapshots("qemu"),
  "GET /nodes/{node}/lxc/{vmid}/snapshot": snapshots("lxc"),
  "GET /nodes/{node}/qemu/{vmid}/agent/get-osinfo": agentOsinfo,
  "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": agentNet,
  "GET /nodes/{node}/lxc/{vmid}/interfaces": lxcInterfaces,
};
