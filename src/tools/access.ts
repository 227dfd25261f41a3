// Cluster-wide state beyond the inventory: HA and replication, and who this token is.
import * as v from "valibot";
import { judgeTiers, type Permissions } from "../pve/privileges.ts";
import { isoTime, table } from "../format/units.ts";
import { defineTool, READ_HINTS } from "./types.ts";

interface HaEntry {
  id: string;
  type: string;
  status?: string;
  sid?: string;
  node?: string;
  state?: string;
  request_state?: string;
  quorate?: number;
  crm_state?: string;
}

interface ReplicationJob {
  id: string;
  guest?: number;
  source?: string;
  target: string;
  schedule?: string;
  disable?: number;
}

export const haStatus = defineTool({
  name: "proxmox_ha_status",
  title: "HA and replication",
  description: "Cluster-wide high availability (HA manager quorum and master, each HA resource's state and node) and storage replication jobs (guest, source, target, schedule).",
  tier: 1,
  toolset: "inventory",
  annotations: READ_HINTS,
  input: v.strictObject({}),
  output: v.object({
    quorate: v.nullable(v.boolean()),
    manager: v.nullable(v.string()),
    resources: v.array(v.object({ sid: v.string(), state: v.string(), node: v.string(), requested: v.nullable(v.string()) })),
    replication: v.array(v.object({ id: v.string(), guest: v.nullable(v.number()), source: v.nullable(v.string()), target: v.string(), schedule: v.string(), enabled: v.boolean() })),
  }),
  async handler(_args, ctx) {
    const opts = { signal: ctx.signal };
    const [ha, jobs] = await Promise.all([
      ctx.pve.get<HaEntry[] | null>(["cluster", "ha", "status", "current"], {}, opts),
      ctx.pve.get<ReplicationJob[] | null>(["cluster", "replication"], {}, opts),
    ]);
    const entries = ha ?? [];
    const quorum = entries.find((e) => e.type === "quorum");
    const master = entries.find((e) => e.type === "master");
    const resources = entries
      .filter((e) => e.type === "service")
      .map((e) => ({ sid: e.sid ?? e.id, state: e.state ?? e.status ?? "unknown", node: e.node ?? "", requested: e.request_state ?? null }));
    const replication = (jobs ?? []).map((j) => ({ id: j.id, guest: j.guest ?? null, source: j.source ?? null, target: j.target, schedule: j.schedule ?? "*/15", enabled: j.disable !== 1 }));
    const data = { quorate: quorum ? quorum.quorate === 1 || /OK/i.test(quorum.status ?? "") : null, manager: master?.status ?? null, resources, replication };
    const text = [
      resources.length ? `HA: ${resources.length} resources; manager ${data.manager ?? "idle"}; quorum ${data.quorate === null ? "unknown" : data.quorate ? "OK" : "LOST"}.` : "HA: no HA resources configured.",
      resources.length ? table(["sid", "state", "node", "requested"], resources.map((r) => [r.sid, r.state, r.node, r.requested ?? "-"])) : "",
      replication.length ? `Replication: ${replication.length} jobs.\n${table(["id", "guest", "source", "target", "schedule", "enabled"], replication.map((j) => [j.id, j.guest ?? "-", j.source ?? "-", j.target, j.schedule, j.enabled ? "yes" : "no"]))}` : "Replication: no jobs.",
    ]
      .filter(Boolean)
      .join("\n");
    return { text, data };
  },
});

export const whoami = defineTool({
  name: "proxmox_whoami",
  title: "Token and privileges",
  description: "Which API token this server uses and its effective privileges, summarised as which tool tiers (read, write, destructive) will work and which privileges are missing.",
  tier: 1,
  toolset: "inventory",
  annotations: READ_HINTS,
  input: v.strictObject({}),
  output: v.object({
    token_id: v.string(),
    instance: v.string(),
    tiers: v.array(
      v.object({
        tier: v.string(),
        works: v.boolean(),
        missing: v.pipe(v.array(v.string()), v.description("Privileges the tier's requests need and the token lacks, with the tools that need them.")),
        partial: v.pipe(v.array(v.string()), v.description("Privileges held only on some objects (a pool, single guests): works there, refused elsewhere.")),
        hidden: v.pipe(v.array(v.string()), v.description("Privileges whose lack hides data without an error (e.g. backup volumes).")),
      }),
    ),
    no_privileges: v.pipe(v.boolean(), v.description("The token has no privilege anywhere (privilege separation without an ACL).")),
    destructive_enabled: v.boolean(),
    read_only: v.boolean(),
    checked_at: v.nullable(v.string()),
  }),
  async handler(_args, ctx) {
    const permissions = (await ctx.pve.get<Record<string, Record<string, number>> | null>(["access", "permissions"], {}, { signal: ctx.signal })) ?? {};
    const tiers = judgeTiers(permissions as Permissions);
    const none = Object.values(permissions).every((privs) => Object.keys(privs ?? {}).length === 0);
    const data = { token_id: ctx.config.tokenId, instance: ctx.instance, tiers, no_privileges: none, destructive_enabled: ctx.config.destructiveEnabled, read_only: ctx.config.readOnly, checked_at: isoTime(Date.now() / 1000) };
    const text = [
      `Token ${ctx.config.tokenId}${ctx.instance !== "default" ? ` on ${ctx.instance}` : ""}.`,
      none ? `This token has no privileges: every list will be empty. A token with privilege separation (the PVE default) needs its own ACL: pveum acl modify / --tokens '${ctx.config.tokenId}' --roles PVEAuditor` : "",
      ...tiers.map((t) =>
        [
          `${t.tier}: ${t.works ? "privileges present" : [t.missing.length ? `missing ${t.missing.join("; ")}` : "", t.partial.length ? `only on some objects: ${t.partial.join("; ")}` : ""].filter(Boolean).join(". ")}`,
          ...t.hidden.map((h) => `  ${t.tier} tools see less (hidden without error): ${h}`),
        ].join("\n"),
      ),
      `Server gates: ${ctx.config.readOnly ? "read-only" : "writes allowed with confirm: true"}; destructive tools ${ctx.config.destructiveEnabled ? "enabled (still need confirm and destructive)" : "off (PROXMOX_ENABLE_DESTRUCTIVE is not 1)"}.`,
    ]
      .filter(Boolean)
      .join("\n");
    return { text, data };
  },
});
