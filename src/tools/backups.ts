// proxmox_list_backups: "when was the last backup?" across every backup storage.
import * as v from "valibot";
import { clipText } from "../format/text.ts";
import { bytes, isoTime, moreLine, table } from "../format/units.ts";
import * as f from "../pve/formats.ts";
import { type ClusterResource, listResources } from "../pve/resources.ts";
import { mapBounded, readableStorages } from "../pve/storage.ts";
import { backupsHiddenOn, readPermissions } from "../pve/visibility.ts";
import { RefusedError } from "../errors.ts";
import { listEnvelope } from "./schemas.ts";
import { defineTool, READ_HINTS } from "./types.ts";
import { approveAndSend, describeGuest, finishTask, guestTarget, planTarget, resolveWriteTarget, TaskOutput, waitFields, WRITE_HINTS } from "./writes.ts";

interface ContentEntry {
  volid: string;
  vmid?: number | string;
  size?: number;
  ctime?: number;
  format?: string;
  notes?: string;
  protected?: number | boolean;
  verification?: { state?: string };
}

const NOTES_MAX = 120;

export const listBackups = defineTool({
  name: "proxmox_list_backups",
  title: "List backups",
  description:
    "Backup volumes on every backup storage, newest first: volid, vmid, size, time, format, notes. Filter by vmid for a guest's last backup. Says when PVE hides backups from this token (it needs Datastore.AllocateSpace, VM.Backup) and which offline nodes' storages were skipped.",
  tier: 1,
  toolset: "backup",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({ vmid: v.optional(f.vmid), storage: v.optional(f.storage), node: v.optional(f.node), limit: f.limit(30, 500) }),
  output: v.object({
    ...listEnvelope(
      v.object({
        volid: v.string(),
        storage: v.string(),
        vmid: v.nullable(v.number()),
        size_bytes: v.number(),
        time: v.nullable(v.string()),
        format: v.string(),
        notes: v.string(),
        protected: v.boolean(),
        verified: v.nullable(v.string()),
      }),
    ).entries,
    storages_read: v.array(v.string()),
    unreachable: v.pipe(v.array(v.string()), v.description("Backup storages that could not be read, or were skipped because their node is offline, with the reason.")),
    hidden: v.pipe(
      v.array(v.object({ storage: v.string(), needs: v.string() })),
      v.description("Storages where PVE hides backup volumes from this token, and the privileges that would show them (pve-storage check_volume_access)."),
    ),
  }),
  async handler(args, ctx) {
    const [resources, nodes, permissions] = await Promise.all([listResources(ctx.pve, "storage", ctx.signal), listResources(ctx.pve, "node", ctx.signal), readPermissions(ctx.pve, ctx.signal)]);
    const { targets: storages, skipped } = readableStorages(resources, nodes, "backup", args);
    const unreachable: string[] = skipped.map((s) => `${s.storage}@${s.node} (skipped: ${s.reason})`);
    const hidden = permissions
      ? [...new Set(storages.map((s) => s.storage))].flatMap((storage) => {
          const needs = backupsHiddenOn(permissions, storage, args.vmid);
          return needs ? [{ storage, needs }] : [];
        })
      : [];
    const perStorage = await mapBounded(storages, 4, async (s) => {
      try {
        const content = await ctx.pve.get<ContentEntry[] | null>(["nodes", s.node, "storage", s.storage, "content"], { content: "backup", vmid: args.vmid }, { signal: ctx.signal });
        return (content ?? []).map((c) => ({ ...c, storage: s.storage }));
      } catch (error) {
        ctx.log.debug(`cannot read backups on ${s.storage}@${s.node}: ${String(error)}`);
        unreachable.push(`${s.storage}@${s.node} (${error instanceof Error ? error.message.slice(0, 120) : "unreadable"})`);
        return [];
      }
    });
    const all = perStorage
      .flat()
      .map((c) => {
        const vmid = Number(c.vmid);
        // Cut after the client masked secrets; clipText says how much was cut.
        const notes = clipText(c.notes ?? "", NOTES_MAX);
        return {
          volid: c.volid,
          storage: c.storage,
          vmid: Number.isInteger(vmid) && vmid > 0 ? vmid : null,
          size_bytes: c.size ?? 0,
          ctime: c.ctime ?? 0,
          format: c.format ?? "",
          notes,
          protected: c.protected === 1 || c.protected === true,
          verified: c.verification?.state ?? null,
        };
      })
      .filter((b) => !args.vmid || b.vmid === args.vmid)
      .sort((a, b) => b.ctime - a.ctime);
    const items = all.slice(0, args.limit).map(({ ctime, ...rest }) => ({ ...rest, time: isoTime(ctime) }));
    const more = all.length - items.length;
    const head = all.length
      ? `${all.length} backups${args.vmid ? ` of guest ${args.vmid}` : ""} on ${storages.length} storage(s); newest ${items[0]?.time}.`
      : hidden.length
        ? `No backups visible${args.vmid ? ` for guest ${args.vmid}` : ""} to this token on ${storages.length} backup storage(s) — which does NOT mean there are none.`
        : `No backups found${args.vmid ? ` for guest ${args.vmid}` : ""} on ${storages.length} backup storage(s).`;
    const text = [
      head,
      ...hidden.map((h) => `PVE hides backup volumes on ${h.storage} from this token: seeing them needs ${h.needs} (grant e.g. pveum acl modify /storage/${h.storage} --tokens '${ctx.config.tokenId}' --roles PVEDatastoreUser, and VM.Backup on the guests).`),
      items.length ? table(["time", "vmid", "size", "storage", "volid", "notes"], items.map((b) => [b.time ?? "-", b.vmid ?? "-", bytes(b.size_bytes), b.storage, b.volid, b.notes + (b.protected ? " [protected]" : "")])) : "",
      unreachable.length ? `Not read: ${unreachable.join(", ")}.` : "",
    ]
      .filter(Boolean)
      .join("\n");
    return {
      text: text + moreLine(more, "vmid or storage"),
      data: { total: all.length, returned: items.length, more, items, storages_read: storages.map((s) => s.storage), unreachable, hidden },
    };
  },
});

export const runBackup = defineTool({
  name: "proxmox_run_backup",
  title: "Back up a guest",
  description: "Start a vzdump backup of one guest; returns its task UPID at once (backups take minutes: follow it with proxmox_get_task_status) unless wait: true.",
  tier: 2,
  toolset: "backup",
  inDefault: true,
  annotations: WRITE_HINTS,
  input: v.strictObject({
    ...guestTarget,
    storage: v.optional(v.pipe(f.storage, v.description("Backup storage. Default: an active one on the guest's node that takes backups, shared first (the answer says which and why)."))),
    mode: v.optional(v.pipe(v.picklist(["snapshot", "suspend", "stop"], "mode must be snapshot, suspend or stop"), v.description("snapshot (default, no downtime), suspend, or stop.")), "snapshot"),
    compress: v.optional(v.pipe(v.picklist(["zstd", "gzip", "lzo", "0"], "compress must be zstd, gzip, lzo or 0 (none)"), v.description("Compression; 0 for none (default zstd).")), "zstd"),
    notes: v.optional(
      v.pipe(v.string(), v.maxLength(1024, "notes is at most 1024 characters"), v.regex(/^[^\u0000-\u001f]*$/, "notes must be one line; PVE fills {{guestname}}, {{vmid}}, {{node}}, {{cluster}}"), v.description("Notes for the backup; {{guestname}} etc. are filled in.")),
    ),
    protected: v.optional(v.pipe(v.boolean(), v.description("Protect the backup from pruning."))),
    ...waitFields(false),
  }),
  output: v.object({ ...TaskOutput.entries, storage: v.string(), storage_choice: v.optional(v.pipe(v.string(), v.description("Why this storage was chosen when none was given."))) }),
  async handler(args, ctx) {
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.template && args.mode !== "snapshot") throw new RefusedError("A template can only be backed up in snapshot mode.");
    const choice = chooseBackupStorage(await listResources(ctx.pve, "storage", ctx.signal), guest.node, args.storage);
    const storage = choice.storage;
    const modeEffect = { snapshot: "no downtime (snapshot mode)", suspend: "the guest is suspended while the backup runs (suspend mode)", stop: "the guest is STOPPED for the backup and started again afterwards (stop mode)" }[args.mode];
    const upid = await approveAndSend<string>(
      ctx,
      { action: `Back up ${describeGuest(guest)} to ${storage}`, target: planTarget(guest), details: [`storage ${storage}: ${choice.why}`, modeEffect, `compression: ${args.compress}`, ...(args.protected ? ["the backup is protected from pruning"] : [])] },
      { method: "POST", segments: ["nodes", guest.node, "vzdump"], params: { vmid: String(guest.vmid), storage, mode: args.mode, compress: args.compress, "notes-template": args.notes, protected: args.protected } },
    );
    const result = await finishTask(ctx, `Backup of ${describeGuest(guest)} to ${storage}`, upid, guest.node, guest.vmid, args);
    return { text: args.storage ? result.text : `${result.text}\nStorage ${storage} was chosen: ${choice.why}.`, data: { ...result.data, storage, storage_choice: choice.why } };
  },
});

/**
 * The storage a backup goes to. PVE lists storages in hash order (it changes between
 * requests), and a storage may exist on some nodes only, so "the first one" is neither
 * stable nor always usable. Candidates: storages on the guest's node that accept backup
 * content and are available there (enabled and active). Shared ones first (the backup
 * survives the node), then by name; the reason is said. None: refuse and name what exists.
 */
export function chooseBackupStorage(resources: readonly ClusterResource[], node: string, wanted: string | undefined): { storage: string; why: string } {
  const backup = resources.filter((r) => r.type === "storage" && r.storage && (r.content ?? "").split(",").includes("backup"));
  const here = backup.filter((r) => r.node === node);
  if (wanted) {
    const entry = here.find((r) => r.storage === wanted);
    if (!entry) {
      const elsewhere = [...new Set(backup.filter((r) => r.storage === wanted).map((r) => r.node as string))];
      throw new RefusedError(
        elsewhere.length ? `Storage '${wanted}' holds backups but is not available on ${node}, where the guest is (it is on ${elsewhere.join(", ")}). Nothing was sent.` : `Storage '${wanted}' does not exist or does not hold backups (content 'backup'). Nothing was sent.`,
        `Backup storages on ${node}: ${here.map((r) => r.storage).join(", ") || "none"}.`,
      );
    }
    if (entry.status !== "available") throw new RefusedError(`Storage '${wanted}' is ${entry.status ?? "not available"} on ${node}. Nothing was sent.`, "Check the storage (mounted? enabled?) with proxmox_list_storage.");
    return { storage: wanted, why: "as asked" };
  }
  const usable = here.filter((r) => r.status === "available").sort((a, b) => Number(isShared(b)) - Number(isShared(a)) || String(a.storage).localeCompare(String(b.storage)));
  const best = usable[0];
  if (!best) {
    throw new RefusedError(
      `No storage on ${node} (where the guest is) accepts backups and is available${here.length ? ` (${here.map((r) => `${r.storage}: ${r.status ?? "unknown"}`).join(", ")})` : ""}. Nothing was sent.`,
      backup.length ? `Backup storages elsewhere: ${[...new Set(backup.map((r) => `${r.storage}@${r.node}`))].slice(0, 10).join(", ")}. Make one available on ${node}, or enable 'VZDump backup file' content on a storage there.` : "Enable 'VZDump backup file' content on a storage.",
    );
  }
  const others = usable.slice(1).map((r) => r.storage);
  const why = `${isShared(best) ? "shared (the backup survives the node)" : "local to the node (no shared backup storage is available there)"}, active on ${node}, accepts backups${others.length ? `; also possible: ${others.join(", ")} — pass storage to pick one` : ""}`;
  return { storage: best.storage as string, why };
}

const isShared = (r: ClusterResource) => r.shared === 1 || r.shared === true;
