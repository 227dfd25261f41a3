// Who may do what in the simulated cluster, as pve-access-control decides it: API tokens
// with ACLs on paths (propagating down), pools that carry their members' paths, root@pam
// above every check; the official schema's `check` expressions evaluated per request, and
// 403 "Permission check failed (<path>, <privilege>)" worded as RPCEnvironment.pm words it.
import type { CheckExpr } from "../pve/privileges.ts";
import { permissionFacts } from "../pve/privileges.ts";
import type { SimCluster } from "./cluster.ts";

/** The privilege sets a simulated token can have (see SIM_TOKENS). */
export type TokenProfile = "root" | "auditor" | "privsep-no-acl" | "pool" | "operator";

// pve-access-control src/PVE/AccessControl.pm $privgroups: PVEAuditor holds every "audit" privilege.
export const AUDITOR_PRIVS = ["VM.Audit", "VM.GuestAgent.Audit", "Sys.Audit", "Datastore.Audit", "SDN.Audit", "Pool.Audit", "Mapping.Audit"];
// PVEVMUser plus what the pool's operators need to snapshot and back up.
const POOL_PRIVS = ["VM.Audit", "VM.GuestAgent.Audit", "VM.PowerMgmt", "VM.Backup", "VM.Snapshot", "VM.Console", "Datastore.Audit", "Datastore.AllocateSpace"];
export const ALL_PRIVS = [
  ...AUDITOR_PRIVS,
  "Sys.Modify",
  "Sys.PowerMgmt",
  "Sys.Console",
  "Sys.Syslog",
  "Sys.Incoming",
  "Sys.AccessNetwork",
  "VM.PowerMgmt",
  "VM.Snapshot",
  "VM.Snapshot.Rollback",
  "VM.Backup",
  "VM.Allocate",
  "VM.Clone",
  "VM.Migrate",
  "VM.Replicate",
  "VM.Console",
  "VM.Config.Disk",
  "VM.Config.CDROM",
  "VM.Config.CPU",
  "VM.Config.Memory",
  "VM.Config.Network",
  "VM.Config.HWType",
  "VM.Config.Options",
  "VM.Config.Cloudinit",
  "VM.Monitor",
  "VM.GuestAgent.Unrestricted",
  "Datastore.AllocateSpace",
  "Datastore.Allocate",
  "Datastore.AllocateTemplate",
  "SDN.Use",
  "SDN.Allocate",
  "Pool.Allocate",
];

export interface AclEntry {
  path: string;
  privs: readonly string[];
}

export interface SimToken {
  id: string;
  secret: string;
  profile: TokenProfile;
  /** The token's own ACL (privilege separation: the user's ACLs do not apply). */
  acl: AclEntry[];
}

/** Every token the simulator accepts; `root` is the default one a test or the demo uses. */
export const SIM_TOKENS: Record<TokenProfile, Omit<SimToken, "profile">> = {
  root: { id: "root@pam!mcp", secret: "5f3c1a2e-8b7d-4c6e-9a1f-0d2b4e6c8a10", acl: [] },
  // The README's read-only token: PVEAuditor on /.
  auditor: { id: "mcp@pve!reader", secret: "a1b2c3d4-0000-4000-8000-00000000a0d1", acl: [{ path: "/", privs: AUDITOR_PRIVS }] },
  // The PVE GUI's default: privilege separation on, and nobody granted the token anything.
  "privsep-no-acl": { id: "mcp@pve!privsep", secret: "a1b2c3d4-0000-4000-8000-00000000b5e9", acl: [] },
  // Rights on one pool only (SECURITY.md's blast-radius advice), audit on the nodes.
  pool: {
    id: "mcp@pve!pool",
    secret: "a1b2c3d4-0000-4000-8000-0000000090a1",
    acl: [
      { path: "/pool/prod", privs: POOL_PRIVS },
      { path: "/nodes", privs: ["Sys.Audit"] },
    ],
  },
  // SECURITY.md's operator recipe, on /.
  operator: { id: "mcp@pve!operator", secret: "a1b2c3d4-0000-4000-8000-0000000e7a70", acl: [] },
};

export function simToken(profile: TokenProfile, operatorPrivs: readonly string[] = []): SimToken {
  const base = SIM_TOKENS[profile];
  return { ...base, profile, acl: profile === "operator" ? [{ path: "/", privs: operatorPrivs }] : base.acl };
}

/** The parent paths of a path, itself first: /vms/100 → /vms/100, /vms, /. */
function lineage(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  const out = [];
  for (let i = parts.length; i > 0; i--) out.push(`/${parts.slice(0, i).join("/")}`);
  out.push("/");
  return out;
}

export class SimAccess {
  constructor(private readonly cluster: SimCluster) {}

  /** Effective privileges on a path (PVE: permissions($user, $path)). */
  privileges(token: SimToken, path: string): Set<string> {
    if (token.profile === "root") return new Set(ALL_PRIVS);
    const paths = new Set(lineage(path));
    // A pool member inherits the ACLs of its pool (AccessControl.pm roles(): /pool/<name>).
    const vm = /^\/vms\/(\d+)$/.exec(path);
    const storage = /^\/storage\/([^/]+)$/.exec(path);
    for (const [pool, members] of Object.entries(this.cluster.pools)) {
      if ((vm && members.vms.includes(Number(vm[1]))) || (storage && members.storage.includes(storage[1] as string))) {
        for (const p of lineage(`/pool/${pool}`)) paths.add(p);
      }
    }
    const out = new Set<string>();
    for (const entry of token.acl) if (paths.has(entry.path)) for (const p of entry.privs) out.add(p);
    return out;
  }

  can(token: SimToken, path: string, priv: string): boolean {
    return this.privileges(token, path).has(priv);
  }

  /** GET /access/permissions: the top-level paths, every ACL path and every pool member path. */
  effective(token: SimToken): Record<string, Record<string, number>> {
    const paths = new Set(["/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms"]);
    for (const entry of token.acl) paths.add(entry.path);
    for (const members of Object.values(this.cluster.pools)) {
      for (const vmid of members.vms) paths.add(`/vms/${vmid}`);
      for (const s of members.storage) paths.add(`/storage/${s}`);
    }
    const out: Record<string, Record<string, number>> = {};
    for (const path of [...paths].sort()) {
      const privs = this.privileges(token, path);
      if (privs.size) out[path] = Object.fromEntries([...privs].sort().map((p) => [p, 1]));
    }
    return out;
  }

  /**
   * The schema's check for an operation, evaluated for a request. Undefined when allowed;
   * otherwise PVE's message. `user: all` operations check in their handler instead.
   */
  denied(token: SimToken, method: string, template: string, params: Record<string, string | string[]>, rename?: (privs: string[]) => string[]): string | undefined {
    if (token.profile === "root") return undefined;
    const facts = permissionFacts(method as "GET", template);
    if (!facts?.check) return undefined;
    return this.evaluate(token, facts.check, params, rename);
  }

  private evaluate(token: SimToken, check: CheckExpr, params: Record<string, string | string[]>, rename?: (privs: string[]) => string[]): string | undefined {
    const [kind, ...rest] = check;
    if (kind === "perm") {
      const [rawPath, rawPrivs, ...flags] = rest as [string, string[], ...unknown[]];
      if (flags.includes("require_param") && params[String(flags[flags.indexOf("require_param") + 1])] === undefined) return "Permission check failed";
      const path = rawPath.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ""));
      const privs = rename ? rename(rawPrivs) : rawPrivs;
      const held = this.privileges(token, path);
      const any = flags[0] === "any" && !!flags[1];
      if (any) return privs.some((p) => held.has(p)) ? undefined : `Permission check failed (${path}, ${privs.join("|")})`;
      const lacking = privs.find((p) => !held.has(p));
      return lacking ? `Permission check failed (${path}, ${lacking})` : undefined;
    }
    if (kind === "and") {
      for (const part of rest) {
        const failed = this.evaluate(token, part as CheckExpr, params, rename);
        if (failed) return failed;
      }
      return undefined;
    }
    if (kind === "or") {
      let first: string | undefined;
      for (const part of rest) {
        const failed = this.evaluate(token, part as CheckExpr, params, rename);
        if (!failed) return undefined;
        first ??= failed;
      }
      return first;
    }
    // userid-param, userid-group, perm-modify: not needed by what the tools call.
    return undefined;
  }
}
