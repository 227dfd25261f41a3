// The simulated cluster's state: nodes, guests, storages with volumes, tasks. The demo
// cluster is a small homelab; a ClusterSpec generates a large one deterministically.

export interface SimSnapshot {
  name: string;
  description: string;
  snaptime: number;
  parent?: string;
  vmstate?: boolean;
}

export interface SimGuest {
  vmid: number;
  type: "qemu" | "lxc";
  node: string;
  name: string;
  status: "running" | "stopped";
  /** What QMP says of a running VM when it is not plainly running (paused, io-error, prelaunch, suspended…). */
  qmpstatus?: string;
  /** Managed by the HA stack: power and migrate requests are queued to the HA manager. */
  ha?: { state: "started" | "stopped"; group?: string };
  /** How the guest agent fails: PVE 6 passed QGA's error through in `result`; later PVE answers 500. */
  agentError?: "result-error" | "http-500";
  template: boolean;
  tags: string[];
  cpu: number;
  cpus: number;
  mem: number;
  maxmem: number;
  disk: number;
  maxdisk: number;
  /** Epoch seconds when it was started (uptime is derived). */
  startedAt: number;
  netin: number;
  netout: number;
  config: Record<string, string | number>;
  snapshots: SimSnapshot[];
  /** QEMU guest agent running inside (VMs only). */
  agent: boolean;
  /** Date.now() from which the agent answers after a start (it needs the guest booted). */
  agentReadyAt?: number;
  ip: string;
  /** PVE's [PENDING] section: changes a running guest takes at its next start. */
  pending?: Record<string, string | number>;
  /** Keys the pending section deletes. */
  pendingDelete?: string[];
}

export interface SimNode {
  name: string;
  online: boolean;
  cpus: number;
  maxmem: number;
  load: number;
  ip: string;
  bootedAt: number;
  /** Root filesystem use (default 9 of 94 GiB). */
  rootUsed?: number;
  rootTotal?: number;
}

export interface SimVolume {
  volid: string;
  content: "backup" | "iso" | "vztmpl" | "images" | "rootdir" | "import";
  size: number;
  ctime: number;
  format: string;
  vmid?: number;
  notes?: string;
  protected?: boolean;
  /** A backup's guest config, as vzdump stores it in the archive (restore and extractconfig read it). */
  config?: Record<string, string | number>;
}

export interface SimStorage {
  id: string;
  type: string;
  content: string[];
  shared: boolean;
  /** Nodes it exists on. A local storage has its own volumes per node. */
  nodes: string[];
  total: number;
  volumes: Map<string, SimVolume[]>;
}

export interface ClusterSpec {
  nodes: number;
  guests: number;
  seed?: number;
}

export const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** A small deterministic PRNG, so a seed always builds the same cluster. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function digest(seed: string): string {
  return new Bun.CryptoHasher("sha1").update(seed).digest("hex");
}

/** How far the simulated cluster behaves like the real ones of issue 10 (all off: the tidy homelab). */
export interface RealWorld {
  /** Proxied calls to an offline node answer 595 only after this delay (pveproxy waits about 30 s). */
  offlineDelayMs: number;
  /** Storage lists come in a different order each time (PVE builds them from a Perl hash). */
  shuffleStorage: boolean;
  /** PVE ≤ 8.3: an error's text travels only in the HTTP reason phrase, and guest-agent reads ask VM.Monitor. */
  legacyErrors: boolean;
  /** HA-managed guests take this long to reach the state the HA manager was asked for. */
  haDelayMs: number;
}

export class SimCluster {
  name = "homelab";
  /** No cluster configured: one node, /cluster/status without a cluster entry, corosync not running. */
  standalone = false;
  /** Pools and their members (PVE: /etc/pve/user.cfg); an ACL on /pool/<name> reaches its members. */
  pools: Record<string, { vms: number[]; storage: string[] }> = {};
  real: RealWorld = { offlineDelayMs: 0, shuffleStorage: false, legacyErrors: false, haDelayMs: 0 };
  version = { version: "9.1.2", release: "9.1", repoid: "5f1e2d3c" };
  nodes: SimNode[] = [];
  guests = new Map<number, SimGuest>();
  storages: SimStorage[] = [];
  /** Effective privileges per ACL path, as GET /access/permissions returns them. */
  permissions: Record<string, Record<string, number>> = fullPermissions();
  now = () => Math.floor(Date.now() / 1000);

  node(name: string): SimNode | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  storage(id: string): SimStorage | undefined {
    return this.storages.find((s) => s.id === id);
  }

  /** Volumes of a storage as seen from a node (a shared storage has one list for all). */
  volumes(storage: SimStorage, node: string): SimVolume[] {
    const key = storage.shared ? "*" : node;
    let list = storage.volumes.get(key);
    if (!list) storage.volumes.set(key, (list = []));
    return list;
  }

  nextFreeVmid(from = 100): number {
    let id = from;
    while (this.guests.has(id)) id++;
    return id;
  }
}

export function fullPermissions(): Record<string, Record<string, number>> {
  const privs = ["Sys.Audit", "Sys.Modify", "Sys.PowerMgmt", "VM.Audit", "VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback", "VM.Backup", "VM.Allocate", "VM.Clone", "VM.Migrate", "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Monitor", "VM.GuestAgent.Audit", "Datastore.Audit", "Datastore.AllocateSpace", "Datastore.Allocate"];
  return { "/": Object.fromEntries(privs.map((p) => [p, 1])) };
}

interface GuestSeed {
  vmid: number;
  type: "qemu" | "lxc";
  node: string;
  name: string;
  running: boolean;
  template?: boolean;
  tags?: string[];
  cpus: number;
  memGiB: number;
  diskGiB: number;
  protection?: boolean;
  agent?: boolean;
}

const DEMO_GUESTS: GuestSeed[] = [
  { vmid: 100, type: "qemu", node: "pve1", name: "web-01", running: true, tags: ["prod", "web"], cpus: 2, memGiB: 4, diskGiB: 32, agent: true },
  { vmid: 101, type: "qemu", node: "pve1", name: "db-01", running: true, tags: ["prod", "db"], cpus: 4, memGiB: 16, diskGiB: 128, protection: true, agent: true },
  { vmid: 102, type: "qemu", node: "pve2", name: "home-assistant", running: true, tags: ["iot"], cpus: 2, memGiB: 4, diskGiB: 32, agent: false },
  { vmid: 103, type: "qemu", node: "pve2", name: "jellyfin", running: true, tags: ["media"], cpus: 4, memGiB: 8, diskGiB: 64, agent: true },
  { vmid: 104, type: "qemu", node: "pve1", name: "win11-lab", running: false, tags: ["lab"], cpus: 4, memGiB: 8, diskGiB: 80 },
  { vmid: 105, type: "qemu", node: "pve2", name: "k3s-node-1", running: false, tags: ["lab", "k8s"], cpus: 2, memGiB: 4, diskGiB: 32 },
  { vmid: 106, type: "qemu", node: "pve3", name: "backup-proxy", running: true, cpus: 2, memGiB: 2, diskGiB: 32 },
  { vmid: 9000, type: "qemu", node: "pve1", name: "ubuntu-2404-template", running: false, template: true, cpus: 2, memGiB: 2, diskGiB: 16 },
  { vmid: 200, type: "lxc", node: "pve1", name: "pihole", running: true, tags: ["dns", "prod"], cpus: 1, memGiB: 0.5, diskGiB: 8 },
  { vmid: 201, type: "lxc", node: "pve2", name: "nextcloud", running: true, tags: ["prod"], cpus: 2, memGiB: 4, diskGiB: 64 },
  { vmid: 202, type: "lxc", node: "pve1", name: "nginx-proxy", running: true, tags: ["web"], cpus: 1, memGiB: 1, diskGiB: 8 },
  { vmid: 203, type: "lxc", node: "pve2", name: "grafana", running: false, tags: ["monitoring"], cpus: 1, memGiB: 1, diskGiB: 8 },
  { vmid: 204, type: "lxc", node: "pve3", name: "unifi", running: true, cpus: 1, memGiB: 2, diskGiB: 16 },
  { vmid: 9001, type: "lxc", node: "pve2", name: "debian-12-ct-template", running: false, template: true, cpus: 1, memGiB: 0.5, diskGiB: 4 },
];

function mac(rand: () => number): string {
  const bytes = [0xbc, 0x24, 0x11, Math.floor(rand() * 256), Math.floor(rand() * 256), Math.floor(rand() * 256)];
  return bytes.map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

function makeGuest(seed: GuestSeed, rand: () => number, now: number): SimGuest {
  const maxmem = Math.round(seed.memGiB * 1024) * MIB;
  const maxdisk = seed.diskGiB * GIB;
  const hwaddr = mac(rand);
  const ip = `192.168.1.${(seed.vmid % 200) + 20}`;
  const tags = seed.tags ?? [];
  const config: Record<string, string | number> =
    seed.type === "qemu"
      ? {
          name: seed.name,
          cores: seed.cpus,
          sockets: 1,
          memory: String(Math.round(seed.memGiB * 1024)),
          scsihw: "virtio-scsi-single",
          scsi0: `local-lvm:vm-${seed.vmid}-disk-0,iothread=1,size=${seed.diskGiB}G`,
          net0: `virtio=${hwaddr},bridge=vmbr0`,
          ostype: seed.name.startsWith("win") ? "win11" : "l26",
          boot: "order=scsi0;net0",
          agent: seed.agent ? "1" : "0",
          smbios1: `uuid=${digest(`uuid${seed.vmid}`).slice(0, 8)}-1111-2222-3333-${digest(`u${seed.vmid}`).slice(0, 12)}`,
          vmgenid: `${digest(`gen${seed.vmid}`).slice(0, 8)}-aaaa-bbbb-cccc-${digest(`g${seed.vmid}`).slice(0, 12)}`,
          meta: "creation-qemu=9.2.0,ctime=1730000000",
          onboot: seed.running ? 1 : 0,
        }
      : {
          hostname: seed.name,
          arch: "amd64",
          cores: seed.cpus,
          memory: Math.round(seed.memGiB * 1024),
          swap: 512,
          rootfs: `local-lvm:vm-${seed.vmid}-disk-0,size=${seed.diskGiB}G`,
          net0: `name=eth0,bridge=vmbr0,hwaddr=${hwaddr},ip=dhcp,type=veth`,
          ostype: "debian",
          unprivileged: 1,
          features: "nesting=1",
          onboot: seed.running ? 1 : 0,
        };
  if (tags.length) config.tags = tags.join(";");
  if (seed.template) config.template = 1;
  if (seed.protection) config.protection = 1;
  return {
    vmid: seed.vmid,
    type: seed.type,
    node: seed.node,
    name: seed.name,
    status: seed.running ? "running" : "stopped",
    template: seed.template ?? false,
    tags,
    cpu: seed.running ? Math.round(rand() * 300) / 1000 : 0,
    cpus: seed.cpus,
    mem: seed.running ? Math.round(maxmem * (0.3 + rand() * 0.55)) : 0,
    maxmem,
    // PVE cannot see inside a VM's disks: it reports disk 0 for every VM (only containers have a figure).
    disk: seed.type === "lxc" ? Math.round(maxdisk * (0.2 + rand() * 0.5)) : 0,
    maxdisk,
    startedAt: seed.running ? now - Math.floor(3600 + rand() * 30 * 86400) : 0,
    netin: seed.running ? Math.floor(rand() * 50 * GIB) : 0,
    netout: seed.running ? Math.floor(rand() * 20 * GIB) : 0,
    config,
    snapshots: [],
    agent: seed.agent ?? false,
    ip,
  };
}

function backupVolume(storage: string, g: SimGuest, ctime: number, rand: () => number, notes?: string): SimVolume {
  const d = new Date(ctime * 1000);
  const stamp = `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, "0")}_${String(d.getUTCDate()).padStart(2, "0")}-${String(d.getUTCHours()).padStart(2, "0")}_${String(d.getUTCMinutes()).padStart(2, "0")}_${String(d.getUTCSeconds()).padStart(2, "0")}`;
  const qemu = g.type === "qemu";
  return {
    volid: `${storage}:backup/vzdump-${qemu ? "qemu" : "lxc"}-${g.vmid}-${stamp}.${qemu ? "vma.zst" : "tar.zst"}`,
    content: "backup",
    size: Math.round(Math.max(g.disk, g.maxdisk * 0.1) * (0.3 + rand() * 0.2)),
    ctime,
    format: qemu ? "vma.zst" : "tar.zst",
    vmid: g.vmid,
    notes: notes ?? `${g.name}`,
    config: { ...g.config },
  };
}

function baseStorages(nodeNames: string[]): SimStorage[] {
  return [
    { id: "local", type: "dir", content: ["iso", "vztmpl", "backup", "import"], shared: false, nodes: nodeNames, total: 100 * GIB, volumes: new Map() },
    { id: "local-lvm", type: "lvmthin", content: ["images", "rootdir"], shared: false, nodes: nodeNames, total: 800 * GIB, volumes: new Map() },
    { id: "nas-backup", type: "nfs", content: ["backup"], shared: true, nodes: nodeNames, total: 4096 * GIB, volumes: new Map() },
  ];
}

/** The demo homelab: 3 nodes (pve3 offline), VMs, containers, templates, backups. */
export function demoCluster(now = Math.floor(Date.now() / 1000)): SimCluster {
  const rand = prng(42);
  const cluster = new SimCluster();
  cluster.nodes = [
    { name: "pve1", online: true, cpus: 16, maxmem: 64 * GIB, load: 0.18, ip: "192.168.1.11", bootedAt: now - 41 * 86400 },
    { name: "pve2", online: true, cpus: 12, maxmem: 32 * GIB, load: 0.31, ip: "192.168.1.12", bootedAt: now - 12 * 86400 },
    { name: "pve3", online: false, cpus: 8, maxmem: 16 * GIB, load: 0, ip: "192.168.1.13", bootedAt: now - 90 * 86400 },
  ];
  for (const seed of DEMO_GUESTS) cluster.guests.set(seed.vmid, makeGuest(seed, rand, now));
  cluster.storages = baseStorages(cluster.nodes.map((n) => n.name));
  const web = cluster.guests.get(100) as SimGuest;
  web.snapshots.push({ name: "before-php84", description: "before the PHP 8.4 upgrade", snaptime: now - 9 * 86400 });
  const local1 = cluster.volumes(cluster.storage("local") as SimStorage, "pve1");
  local1.push(
    { volid: "local:iso/debian-13.1.0-amd64-netinst.iso", content: "iso", size: 754 * MIB, ctime: now - 60 * 86400, format: "iso" },
    { volid: "local:iso/ubuntu-24.04.3-live-server-amd64.iso", content: "iso", size: 3 * GIB, ctime: now - 80 * 86400, format: "iso" },
    { volid: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", content: "vztmpl", size: 120 * MIB, ctime: now - 100 * 86400, format: "tzst" },
    { volid: "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz", content: "vztmpl", size: 3 * MIB, ctime: now - 30 * 86400, format: "txz" },
    { volid: "local:import/debian-13-genericcloud-amd64.qcow2", content: "import", size: 3 * GIB, ctime: now - 20 * 86400, format: "qcow2" },
  );
  cluster.volumes(cluster.storage("local") as SimStorage, "pve2").push({ volid: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", content: "vztmpl", size: 120 * MIB, ctime: now - 100 * 86400, format: "tzst" });
  // Nightly backups of the production guests; nextcloud's last two runs are missing.
  const nas = cluster.volumes(cluster.storage("nas-backup") as SimStorage, "*");
  for (let day = 1; day <= 3; day++) {
    for (const vmid of [100, 101, 200, 201, 102]) {
      if (vmid === 201 && day < 3) continue;
      nas.push(backupVolume("nas-backup", cluster.guests.get(vmid) as SimGuest, now - day * 86400 - 3600 + vmid, rand, `{{guestname}} nightly`.replace("{{guestname}}", cluster.guests.get(vmid)?.name ?? "")));
    }
  }
  cluster.pools = { prod: { vms: [100, 101, 200, 201], storage: ["nas-backup"] } };
  (cluster.guests.get(101) as SimGuest).ha = { state: "started", group: "prod" };
  const weekly = backupVolume("local", cluster.guests.get(103) as SimGuest, now - 6 * 86400, rand, "before codec change");
  weekly.protected = true;
  cluster.volumes(cluster.storage("local") as SimStorage, "pve2").push(weekly);
  return cluster;
}

/**
 * A standalone node as the K3s checklist capture shows one (PVE 8.4, no cluster, root
 * filesystem 95 % used): the demo's guests moved onto it, no shared storage.
 */
export function standaloneCluster(now = Math.floor(Date.now() / 1000)): SimCluster {
  const cluster = demoCluster(now);
  cluster.name = "";
  cluster.standalone = true;
  cluster.version = { version: "8.4.14", release: "8.4", repoid: "b502d23c55afcba1" };
  cluster.nodes = [{ name: "proxmox", online: true, cpus: 8, maxmem: 33537990656, load: 0.003, ip: "192.168.1.10", bootedAt: now - 22924, rootUsed: 12836352000, rootTotal: 13471539200 }];
  for (const g of cluster.guests.values()) {
    g.node = "proxmox";
    g.ha = undefined;
  }
  cluster.pools = {};
  // The nightly backups went to the node's own "local" storage: no NAS on a single node.
  const nightly = (cluster.storage("nas-backup")?.volumes.get("*") ?? []).map((v) => ({ ...v, volid: v.volid.replace(/^nas-backup:/, "local:") }));
  cluster.storages = cluster.storages
    .filter((s) => !s.shared)
    .map((s) => ({ ...s, nodes: ["proxmox"], volumes: new Map([["proxmox", [...(s.volumes.get("pve1") ?? []), ...(s.volumes.get("pve2") ?? []), ...(s.id === "local" ? nightly : [])].map((v) => ({ ...v }))]]) }));
  return cluster;
}

/** A large cluster for scale tests: deterministic from the seed, all nodes online. */
export function generatedCluster(spec: ClusterSpec, now = Math.floor(Date.now() / 1000)): SimCluster {
  const rand = prng(spec.seed ?? 7);
  const cluster = new SimCluster();
  cluster.name = `scale-${spec.nodes}`;
  for (let i = 1; i <= spec.nodes; i++) {
    cluster.nodes.push({ name: `pve${i}`, online: true, cpus: 32, maxmem: 256 * GIB, load: rand() * 0.6, ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, bootedAt: now - Math.floor(rand() * 100 * 86400) });
  }
  const words = ["web", "db", "cache", "api", "worker", "queue", "auth", "mail", "build", "media"];
  for (let i = 0; i < spec.guests; i++) {
    const vmid = 100 + i;
    const qemu = rand() < 0.6;
    const seed: GuestSeed = {
      vmid,
      type: qemu ? "qemu" : "lxc",
      node: `pve${(i % spec.nodes) + 1}`,
      name: `${words[i % words.length]}-${String(i).padStart(5, "0")}`,
      running: rand() < 0.75,
      tags: rand() < 0.5 ? [words[(i * 7) % words.length] as string] : [],
      cpus: 1 + Math.floor(rand() * 8),
      memGiB: 1 + Math.floor(rand() * 16),
      diskGiB: 8 + Math.floor(rand() * 120),
      agent: qemu && rand() < 0.5,
    };
    cluster.guests.set(vmid, makeGuest(seed, rand, now));
  }
  cluster.storages = baseStorages(cluster.nodes.map((n) => n.name));
  const nas = cluster.volumes(cluster.storage("nas-backup") as SimStorage, "*");
  let n = 0;
  for (const g of cluster.guests.values()) {
    if (n++ >= 2000) break;
    nas.push(backupVolume("nas-backup", g, now - 86400 - (n % 3600), rand));
  }
  cluster.volumes(cluster.storage("local") as SimStorage, "pve1").push({ volid: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", content: "vztmpl", size: 120 * MIB, ctime: now - 100 * 86400, format: "tzst" });
  return cluster;
}
