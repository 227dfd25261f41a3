// Prompts: the workflows an experienced admin follows, as instructions naming the tools.
import type { McpServer } from "@modelcontextprotocol/server";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";

const text = (body: string) => ({ messages: [{ role: "user" as const, content: { type: "text" as const, text: body } }] });

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    "proxmox_health_check",
    { title: "Cluster health check", description: "Check a Proxmox cluster's health in a sensible order and report what needs attention." },
    () =>
      text(
        [
          "Check the health of my Proxmox VE cluster. Read only; change nothing. In this order:",
          "1. proxmox_status: quorum and which nodes are offline.",
          "2. proxmox_node_status for each online node: load vs. CPUs, memory, root disk, services not active, SMART problems, pending updates.",
          "3. proxmox_list_storage: storage at 85% or fuller, and storage not available.",
          "4. proxmox_recent_tasks with errors_only: failed backups and other failed tasks; read the log tail of any failure with proxmox_get_task_log.",
          "5. proxmox_ha_status (toolset inventory): HA resources not started, replication jobs.",
          "6. proxmox_list_vms and proxmox_list_containers sorted by mem: the biggest consumers.",
          "Finish with a short report: problems first (most urgent on top, each with the evidence), then what looks fine.",
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "proxmox_safe_maintenance",
    {
      title: "Safe maintenance on a guest",
      description: "Snapshot, change, verify, clean up: the safe way to change one guest.",
      argsSchema: toStandardJsonSchema(v.object({ vmid: v.pipe(v.string(), v.description("The guest's vmid.")), change: v.pipe(v.string(), v.description("What will be changed, e.g. 'apt full-upgrade'.")) })),
    },
    ({ vmid, change }) =>
      text(
        [
          `I want to make this change on guest ${vmid}: ${change}. Do it safely:`,
          `1. proxmox_get_resource for vmid ${vmid}: confirm which guest it is (name, node, status) and tell me before going on.`,
          "2. proxmox_list_snapshots: note existing snapshots.",
          `3. Ask me, then proxmox_snapshot_resource with a name like pre-${new Date().toISOString().slice(0, 10)} (confirm: true). Do not continue unless the task finished OK.`,
          "4. Make the change (or tell me exactly what to run if it happens inside the guest).",
          "5. Verify: proxmox_get_resource (running?), proxmox_guest_info (addresses back?), proxmox_recent_tasks for errors.",
          "6. If verification fails, propose proxmox_rollback_snapshot (toolset snapshots) and wait for my explicit yes. If it passes, ask whether to delete the snapshot with proxmox_delete_snapshot.",
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "proxmox_backup_audit",
    {
      title: "Backup audit",
      description: "Find guests without a recent backup and failed backup jobs.",
      argsSchema: toStandardJsonSchema(
        v.object({
          max_age_days: v.optional(v.pipe(v.string(), v.description("A backup older than this many days counts as missing (default 7)."))),
          storage: v.optional(v.pipe(v.string(), v.description("Only count backups on this storage (default: every backup storage)."))),
        }),
      ),
    },
    ({ max_age_days, storage }) =>
      text(
        [
          `Audit my backups. A guest whose newest backup is older than ${max_age_days || "7"} days, or has none, needs attention.`,
          "1. proxmox_list_vms and proxmox_list_containers (include_templates: false): every guest.",
          `2. proxmox_list_backups with a high limit${storage ? ` and storage ${JSON.stringify(storage)}` : ""}: the newest backup time per vmid.`,
          "3. proxmox_recent_tasks with type vzdump and errors_only: failed backup runs; read their log tails with proxmox_get_task_log.",
          "Report a table: vmid, name, node, newest backup (or none), age in days, status. Then list the failed runs with the reason.",
          "Offer proxmox_run_backup for each guest that needs one, but run nothing without my yes.",
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "proxmox_snapshot_rollback",
    {
      title: "Roll a guest back to a snapshot",
      description: "Check what a rollback loses, then roll back only with the person's yes.",
      argsSchema: toStandardJsonSchema(
        v.object({ vmid: v.pipe(v.string(), v.description("The guest's vmid.")), snapshot: v.pipe(v.string(), v.description("The snapshot to go back to.")) }),
      ),
    },
    ({ vmid, snapshot }) =>
      text(
        [
          `I want guest ${vmid} back at snapshot ${JSON.stringify(snapshot)}. Do it safely:`,
          `1. proxmox_get_resource for vmid ${vmid}: which guest it is, its node and status; tell me.`,
          `2. proxmox_list_snapshots for vmid ${vmid}: confirm the snapshot exists, when it was taken, whether RAM was saved, and which snapshots are newer (a rollback keeps them, but the guest's current state since the snapshot is lost).`,
          "3. Show me what will be lost (run the rollback with dry_run: true for its plan) and wait for my explicit yes.",
          "4. Only then proxmox_rollback_snapshot (confirm: true, destructive: true), and follow the task to its end.",
          "5. Verify: proxmox_get_resource (running as expected?) and proxmox_recent_tasks for errors. Report what happened.",
        ].join("\n"),
      ),
  );
}
