// Which privileges, on which ACL paths, each tool's requests need: read from the permission
// checks of the official API schema (permissions.json, made by scripts/derive-pve-schema.ts),
// plus the few checks PVE makes in handler code that the schema states only in prose.
// doctor and proxmox_whoami judge a token by these, and a test holds SECURITY.md to them.
import derived from "./permissions.json" with { type: "json" };

type Method = "GET" | "POST" | "PUT" | "DELETE";
/** PVE's check expression: ["perm", path, privs, "any", 1], ["and", …], ["or", …], … */
export type CheckExpr = readonly unknown[];

interface PermissionFacts {
  check?: CheckExpr;
  user?: string;
}

const operations = (derived as unknown as { operations: Record<string, Partial<Record<Method, PermissionFacts>>> }).operations;

export function permissionFacts(method: Method, template: string): PermissionFacts | undefined {
  return operations[template]?.[method];
}

/** Privileges needed on one ACL path (a template such as /vms/{vmid}): all of them, or any one. */
export interface Need {
  path: string;
  privs: readonly string[];
  any: boolean;
  /** The request (or handler check) that asks for it. */
  why: string;
  /** Set when lacking it does not fail the call but hides data from it: what goes unseen. */
  hides?: string;
}

/**
 * The needs of a check expression. "and" needs every part; "or" is met by its first
 * unconditional alternative (the one that works without optional parameters).
 */
export function needsOf(check: CheckExpr | undefined, why: string): Need[] {
  if (!check || check.length === 0) return [];
  const [kind, ...rest] = check;
  if (kind === "perm") {
    const [path, privs, ...flags] = rest as [string, string[], ...unknown[]];
    if (flags.includes("require_param")) return [];
    return [{ path, privs, any: flags[0] === "any" && !!flags[1], why }];
  }
  if (kind === "and") return rest.flatMap((part) => needsOf(part as CheckExpr, why));
  if (kind === "or") {
    // Met by any alternative: take the narrowest unconditional one (a node's own path over /).
    const options = rest.filter((part) => !(part as unknown[]).includes("require_param")) as CheckExpr[];
    const narrowest = options.sort((a, b) => String(b[1] ?? "").length - String(a[1] ?? "").length)[0];
    return narrowest ? needsOf(narrowest, why) : [];
  }
  return [];
}

type Request = readonly [Method, string];

const guest = (suffix: string, method: Method = "GET"): Request[] => [
  [method, `/nodes/{node}/qemu/{vmid}${suffix}`],
  [method, `/nodes/{node}/lxc/{vmid}${suffix}`],
];
const inventory: Request = ["GET", "/cluster/resources"];

/**
 * Checks PVE makes in the handler (the schema says `user: all` and explains in prose). Each
 * names its source, so the list can be re-checked against Proxmox's code.
 */
const IN_HANDLER: Record<string, Need[]> = {
  // pve-manager PVE/API2/Cluster.pm resources: a guest is listed only with VM.Audit on /vms/<vmid>.
  inventory: [{ path: "/vms/{vmid}", privs: ["VM.Audit"], any: false, why: "GET /cluster/resources lists a guest only with VM.Audit on it", hides: "guests" }],
  // pve-storage Storage.pm check_volume_access: backup volumes of a guest are hidden without both.
  backups: [
    { path: "/storage/{storage}", privs: ["Datastore.AllocateSpace"], any: false, why: "backup volumes are listed only with Datastore.AllocateSpace on the storage (pve-storage check_volume_access)", hides: "backup volumes" },
    { path: "/vms/{vmid}", privs: ["VM.Backup"], any: false, why: "backup volumes are listed only with VM.Backup on their guest (pve-storage check_volume_access)", hides: "backup volumes" },
  ],
  // pve-manager PVE/API2/Tasks.pm: other users' tasks need Sys.Audit on the node.
  tasks: [{ path: "/nodes/{node}", privs: ["Sys.Audit"], any: false, why: "tasks of other users are listed only with Sys.Audit on their node", hides: "other users' tasks" }],
  // pve-manager PVE/API2/VZDump.pm (permissions description): VM.Backup on the guest, AllocateSpace on the storage.
  vzdump: [
    { path: "/vms/{vmid}", privs: ["VM.Backup"], any: false, why: "POST /nodes/{node}/vzdump needs VM.Backup on the guest" },
    { path: "/storage/{storage}", privs: ["Datastore.AllocateSpace"], any: false, why: "POST /nodes/{node}/vzdump needs Datastore.AllocateSpace on the backup storage" },
  ],
  // qemu-server / pve-container create (permissions description): VM.Allocate, space on the storage.
  create: [
    { path: "/vms/{vmid}", privs: ["VM.Allocate"], any: false, why: "creating a guest needs VM.Allocate on /vms/<vmid> (or its pool)" },
    { path: "/storage/{storage}", privs: ["Datastore.AllocateSpace"], any: false, why: "creating disks needs Datastore.AllocateSpace on the storage" },
    { path: "/sdn/zones/{zone}/{bridge}", privs: ["SDN.Use"], any: false, why: "attaching a network needs SDN.Use on the bridge" },
  ],
  clone: [{ path: "/storage/{storage}", privs: ["Datastore.AllocateSpace"], any: false, why: "a full clone needs Datastore.AllocateSpace on the target storage" }],
};

interface ToolRequests {
  requests: Request[];
  inHandler?: (keyof typeof IN_HANDLER)[];
}

/** Every request each tool may make, as method + schema template. A test checks this covers every tool. */
export const TOOL_REQUESTS: Record<string, ToolRequests> = {
  proxmox_status: { requests: [["GET", "/cluster/status"], inventory, ["GET", "/version"]] },
  proxmox_list_vms: { requests: [inventory], inHandler: ["inventory"] },
  proxmox_list_containers: { requests: [inventory], inHandler: ["inventory"] },
  proxmox_get_resource: { requests: [inventory, ...guest("/config"), ...guest("/status/current")], inHandler: ["inventory"] },
  proxmox_recent_tasks: { requests: [["GET", "/cluster/tasks"], ["GET", "/nodes/{node}/tasks"]], inHandler: ["tasks"] },
  proxmox_list_backups: { requests: [inventory, ["GET", "/nodes/{node}/storage/{storage}/content"], ["GET", "/access/permissions"]], inHandler: ["backups"] },
  proxmox_resource_usage: { requests: [inventory, ["GET", "/nodes/{node}/rrddata"], ...guest("/rrddata")] },
  proxmox_list_templates: { requests: [inventory, ["GET", "/nodes/{node}/storage/{storage}/content"], ["GET", "/nodes/{node}/aplinfo"]] },
  proxmox_get_task_status: { requests: [["GET", "/nodes/{node}/tasks/{upid}/status"], ["GET", "/nodes/{node}/tasks"]] },
  proxmox_get_task_log: { requests: [["GET", "/nodes/{node}/tasks/{upid}/log"]] },
  proxmox_list_storage: { requests: [inventory] },
  proxmox_node_status: {
    requests: [
      ["GET", "/nodes/{node}/status"],
      ["GET", "/nodes/{node}/disks/list"],
      ["GET", "/nodes/{node}/services"],
      ["GET", "/nodes/{node}/subscription"],
      ["GET", "/cluster/status"],
    ],
  },
  proxmox_guest_info: {
    requests: [inventory, ["GET", "/nodes/{node}/qemu/{vmid}/agent/get-osinfo"], ["GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"], ["GET", "/nodes/{node}/lxc/{vmid}/interfaces"]],
  },
  proxmox_list_snapshots: { requests: [inventory, ...guest("/snapshot")] },
  proxmox_ha_status: { requests: [["GET", "/cluster/ha/status/current"], ["GET", "/cluster/replication"]] },
  proxmox_whoami: { requests: [["GET", "/access/permissions"]] },
  proxmox_wait_task: { requests: [["GET", "/nodes/{node}/tasks/{upid}/status"], ["GET", "/nodes/{node}/tasks/{upid}/log"]] },
  proxmox_start_resource: { requests: [inventory, ...guest("/status/start", "POST")] },
  proxmox_stop_resource: { requests: [inventory, ...guest("/status/shutdown", "POST")] },
  proxmox_reboot_resource: { requests: [inventory, ...guest("/status/reboot", "POST")] },
  proxmox_force_stop_resource: { requests: [inventory, ...guest("/status/stop", "POST")] },
  proxmox_snapshot_resource: { requests: [inventory, ...guest("/snapshot"), ...guest("/snapshot", "POST")] },
  proxmox_delete_snapshot: { requests: [inventory, ...guest("/snapshot"), ...guest("/snapshot/{snapname}", "DELETE")] },
  proxmox_rollback_snapshot: { requests: [inventory, ...guest("/snapshot"), ...guest("/snapshot/{snapname}/rollback", "POST")] },
  proxmox_run_backup: { requests: [inventory, ["POST", "/nodes/{node}/vzdump"]], inHandler: ["vzdump"] },
  proxmox_create_container: { requests: [["GET", "/cluster/nextid"], ["POST", "/nodes/{node}/lxc"]], inHandler: ["create"] },
  proxmox_create_vm: { requests: [["GET", "/cluster/nextid"], ["POST", "/nodes/{node}/qemu"]], inHandler: ["create"] },
  proxmox_clone_resource: { requests: [inventory, ["GET", "/cluster/nextid"], ...guest("/clone", "POST")], inHandler: ["clone"] },
  proxmox_migrate_resource: { requests: [inventory, ...guest("/migrate", "POST")] },
  proxmox_destroy_resource: { requests: [inventory, ...guest("/config"), ...guest("", "DELETE")] },
  proxmox_find: { requests: [inventory, ["GET", "/nodes/{node}/lxc/{vmid}/interfaces"], ["GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"], ...guest("/config")] },
  // Its look-ups only. agent/exec needs VM.GuestAgent.Unrestricted on PVE 9 but VM.Monitor
  // before, and containers go over SSH, outside PVE's ACLs: an opt-in tool (toolset guest)
  // that the tier verdicts do not judge; PVE's 403 names the privilege when it is missing.
  proxmox_guest_exec: { requests: [inventory, ["GET", "/cluster/status"]] },
  proxmox_update_config: { requests: [inventory, ...guest("/config"), ...guest("/pending"), ...guest("/config", "PUT")] },
  proxmox_resize_disk: { requests: [inventory, ...guest("/config"), ...guest("/resize", "PUT")] },
  proxmox_restore_backup: {
    requests: [inventory, ["GET", "/nodes/{node}/storage/{storage}/content"], ["GET", "/nodes/{node}/vzdump/extractconfig"], ["GET", "/cluster/nextid"], ["POST", "/nodes/{node}/qemu"], ["POST", "/nodes/{node}/lxc"]],
    inHandler: ["create", "backups"],
  },
  proxmox_verify_backup: {
    requests: [
      inventory,
      ["GET", "/nodes/{node}/storage/{storage}/content"],
      ["GET", "/nodes/{node}/vzdump/extractconfig"],
      ["GET", "/cluster/nextid"],
      ["POST", "/nodes/{node}/qemu"],
      ["POST", "/nodes/{node}/lxc"],
      ...guest("/status/start", "POST"),
      ...guest("/status/current"),
      ["POST", "/nodes/{node}/qemu/{vmid}/agent/ping"],
      ...guest("/status/stop", "POST"),
      ...guest("/config"),
      ...guest("", "DELETE"),
    ],
    inHandler: ["create", "backups"],
  },
  proxmox_download_to_storage: { requests: [inventory, ["GET", "/nodes/{node}/aplinfo"], ["GET", "/nodes/{node}/storage/{storage}/content"], ["POST", "/nodes/{node}/aplinfo"], ["POST", "/nodes/{node}/storage/{storage}/download-url"]] },
  proxmox_cancel_task: { requests: [inventory, ["GET", "/nodes/{node}/tasks/{upid}/status"], ["DELETE", "/nodes/{node}/tasks/{upid}"]] },
  // Any operation: each call needs what the schema's check for that operation says, which
  // proxmox_api checks per call; nothing can be judged for it ahead of the call.
  proxmox_api: { requests: [] },
};

/** Every need of one tool, merged per path and privilege set. */
export function toolNeeds(tool: string): Need[] {
  const entry = TOOL_REQUESTS[tool];
  if (!entry) return [];
  const all = [
    ...entry.requests.flatMap(([method, template]) => needsOf(permissionFacts(method, template)?.check, `${method} ${template}`)),
    ...(entry.inHandler ?? []).flatMap((k) => IN_HANDLER[k] ?? []),
  ];
  const seen = new Map<string, Need>();
  for (const raw of all) {
    // PVE ≤ 8.4 guarded guest-agent calls with VM.Monitor; 9.0 split it into VM.GuestAgent.*
    // (qemu-server). A PVE 8 token with VM.Monitor is as good as a PVE 9 one with the new ones.
    // pve-storage 8.1 (fix #5254): download-url takes Sys.AccessNetwork on the node, or, as before it, Sys.Modify.
    const need =
      raw.any && raw.privs.some((p) => p.startsWith("VM.GuestAgent.")) ? { ...raw, privs: [...raw.privs, "VM.Monitor"] } : raw.privs.length === 1 && raw.privs[0] === "Sys.AccessNetwork" ? { ...raw, privs: [...raw.privs, "Sys.Modify"], any: true } : raw;
    const key = `${need.path} ${need.any ? "any" : "all"} ${need.privs.join(",")}`;
    if (!seen.has(key)) seen.set(key, need);
  }
  return [...seen.values()];
}

export type Permissions = Record<string, Record<string, number | boolean>>;

/** Where a privilege is held: on the whole tree of a path, on some objects below it, or nowhere. */
export type Reach = { scope: "all" } | { scope: "some"; paths: string[] } | { scope: "none" };

/** The tree a path template covers: /vms/{vmid} → /vms, /nodes/{node} → /nodes, / → /. */
function treeOf(template: string): string {
  const i = template.indexOf("/{");
  return i < 0 ? template : template.slice(0, i) || "/";
}

const held = (entry: Record<string, number | boolean> | undefined, priv: string) => entry?.[priv] === 1 || entry?.[priv] === true;

/**
 * Whether `priv` is held for every object of a template's tree. GET /access/permissions
 * reports effective privileges (propagation applied) on /, /vms, /nodes, /storage… and on
 * every ACL or pool member path, so a pool-scoped grant shows as /pool/<name> and /vms/<id>.
 */
export function reach(permissions: Permissions, priv: string, template: string): Reach {
  const tree = treeOf(template);
  const ancestors = tree === "/" ? ["/"] : tree.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/") || "/");
  if (ancestors.some((p) => held(permissions[p], priv))) return { scope: "all" };
  if (tree === "/") return { scope: "none" };
  const below = Object.keys(permissions)
    .filter((p) => (p.startsWith(`${tree}/`) || (tree === "/vms" && p.startsWith("/pool/"))) && held(permissions[p], priv))
    .sort();
  return below.length ? { scope: "some", paths: below } : { scope: "none" };
}

export interface NeedVerdict {
  need: Need;
  reach: Reach;
}

/** One need judged: met everywhere, on some objects only, or not at all. */
export function judgeNeed(permissions: Permissions, need: Need): NeedVerdict {
  const reaches = need.privs.map((priv) => reach(permissions, priv, need.path));
  if (need.any) {
    if (reaches.some((r) => r.scope === "all")) return { need, reach: { scope: "all" } };
    const some = reaches.flatMap((r) => (r.scope === "some" ? r.paths : []));
    return { need, reach: some.length ? { scope: "some", paths: [...new Set(some)].sort() } : { scope: "none" } };
  }
  if (reaches.some((r) => r.scope === "none")) return { need, reach: { scope: "none" } };
  if (reaches.every((r) => r.scope === "all")) return { need, reach: { scope: "all" } };
  const some = reaches.flatMap((r) => (r.scope === "some" ? r.paths : []));
  return { need, reach: { scope: "some", paths: [...new Set(some)].sort() } };
}

/** "VM.Audit on /vms" or "VM.GuestAgent.Audit or VM.GuestAgent.Unrestricted on /vms". */
export function describeNeed(need: Need): string {
  return `${need.privs.join(need.any ? " or " : " and ")} on ${treeOf(need.path)}`;
}

/** A `pveum acl modify` line that grants a need to this token (a role must hold the privilege). */
export function grantLine(tokenId: string, need: Need): string {
  return `pveum acl modify ${treeOf(need.path)} --tokens '${tokenId}' --roles <a role with ${need.privs[0]}>`;
}

export { treeOf as aclTree };

export type TierName = "read" | "write" | "destructive";

export interface TierVerdict {
  tier: TierName;
  /** Every tool of the tier can make its requests on every object. */
  works: boolean;
  /** "VM.Migrate on /vms (proxmox_migrate_resource)": calls that PVE will refuse. */
  missing: string[];
  /** Privileges held on some objects only (a pool or per-guest ACL): works there, 403 elsewhere. */
  partial: string[];
  /** Privileges whose lack hides data without an error: "backup volumes: Datastore.AllocateSpace on /storage (proxmox_list_backups)". */
  hidden: string[];
}

const TIER_OF: Record<number, TierName> = { 1: "read", 2: "write", 3: "destructive" };

const DESTRUCTIVE = new Set(["proxmox_destroy_resource", "proxmox_delete_snapshot", "proxmox_force_stop_resource", "proxmox_rollback_snapshot", "proxmox_guest_exec"]);

/** Each tool's tier, as its definition declares it (a test holds the two together). */
export function toolTier(name: string): number {
  if (DESTRUCTIVE.has(name) || name === "proxmox_api") return 3;
  const writes = (TOOL_REQUESTS[name]?.requests ?? []).some(([method]) => method !== "GET");
  return writes ? 2 : 1;
}

/** Judges a token's effective permissions against every tool's needs, grouped by tier. */
export function judgeTiers(permissions: Permissions, tools: readonly { name: string; tier: number }[] = Object.keys(TOOL_REQUESTS).map((name) => ({ name, tier: toolTier(name) }))): TierVerdict[] {
  return (["read", "write", "destructive"] as const).map((tier) => {
    const missing = new Map<string, Set<string>>();
    const partial = new Map<string, Set<string>>();
    const hidden = new Map<string, Set<string>>();
    const add = (map: Map<string, Set<string>>, key: string, tool: string) => {
      let set = map.get(key);
      if (!set) map.set(key, (set = new Set()));
      set.add(tool);
    };
    for (const tool of tools.filter((t) => TIER_OF[t.tier] === tier)) {
      for (const need of toolNeeds(tool.name)) {
        const verdict = judgeNeed(permissions, need);
        if (verdict.reach.scope === "all") continue;
        const what = describeNeed(need);
        if (need.hides) add(hidden, `${need.hides}: ${what}${verdict.reach.scope === "some" ? ` (held only on ${verdict.reach.paths.join(", ")})` : ""}`, tool.name);
        else if (verdict.reach.scope === "some") add(partial, `${what} held only on ${verdict.reach.paths.join(", ")}`, tool.name);
        else add(missing, what, tool.name);
      }
    }
    const render = (map: Map<string, Set<string>>) => [...map].map(([k, set]) => `${k} (${[...set].join(", ")})`);
    return { tier, works: missing.size === 0 && partial.size === 0, missing: render(missing), partial: render(partial), hidden: render(hidden) };
  });
}
