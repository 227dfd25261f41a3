// proxmox_list_storage: "am I running out of disk?" across every node, in one request.
import * as v from "valibot";
import { bytes, moreLine, percent, round, table } from "../format/units.ts";
import * as f from "../pve/formats.ts";
import { listResources } from "../pve/resources.ts";
import { listEnvelope } from "./schemas.ts";
import { defineTool, READ_HINTS } from "./types.ts";

const CONTENT_TYPES = ["images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"] as const;

export const listStorage = defineTool({
  name: "proxmox_list_storage",
  title: "List storage",
  description: "Storage on every node: type, content types, shared, status, used/total (fullest first). Filter by node, storage or content (e.g. backup, iso, images).",
  tier: 1,
  toolset: "inventory",
  inDefault: true,
  annotations: READ_HINTS,
  input: v.strictObject({
    node: v.optional(f.node),
    storage: v.optional(f.storage),
    content: v.optional(v.pipe(v.picklist(CONTENT_TYPES, `content must be one of ${CONTENT_TYPES.join(", ")}`), v.description("Only storage holding this content."))),
    limit: f.limit(50, 500),
  }),
  output: listEnvelope(
    v.object({
      storage: v.string(),
      node: v.string(),
      type: v.string(),
      content: v.array(v.string()),
      shared: v.boolean(),
      status: v.string(),
      used_bytes: v.number(),
      total_bytes: v.number(),
      used_fraction: v.number(),
    }),
  ),
  async handler(args, ctx) {
    const rows = (await listResources(ctx.pve, "storage", ctx.signal))
      .filter((r) => r.type === "storage" && r.storage && r.node)
      .filter((r) => !args.node || r.node === args.node)
      .filter((r) => !args.storage || r.storage === args.storage)
      .map((r) => {
        const total = r.maxdisk ?? 0;
        const used = r.disk ?? 0;
        return {
          storage: r.storage as string,
          node: r.node as string,
          type: r.plugintype ?? "",
          content: (r.content ?? "").split(",").filter(Boolean),
          shared: r.shared === 1 || r.shared === true,
          status: r.status ?? "unknown",
          used_bytes: used,
          total_bytes: total,
          used_fraction: total > 0 ? round(used / total) : 0,
        };
      })
      .filter((r) => !args.content || r.content.includes(args.content))
      .sort((a, b) => b.used_fraction - a.used_fraction || a.storage.localeCompare(b.storage));
    const items = rows.slice(0, args.limit);
    const more = rows.length - items.length;
    const full = rows.filter((r) => r.used_fraction >= 0.85);
    const text = [
      `${rows.length} storage entries${full.length ? `; ${full.length} at 85% or more: ${full.map((r) => `${r.storage}@${r.node}`).join(", ")}` : ""}.`,
      table(
        ["storage", "node", "type", "status", "used", "content", "shared"],
        items.map((r) => [r.storage, r.node, r.type, r.status, r.total_bytes ? `${bytes(r.used_bytes)}/${bytes(r.total_bytes)} (${percent(r.used_fraction)})` : "-", r.content.join(","), r.shared ? "yes" : "no"]),
      ),
    ].join("\n");
    return { text: text + moreLine(more, "node, storage or content"), data: { total: rows.length, returned: items.length, more, items } };
  },
});
