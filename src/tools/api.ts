// proxmox_api: one gated door to the rest of the PVE API (firewall, pools, SDN, users, HA
// rules, …), so the long tail needs no tool of its own. Before any request the call must
// name an operation of the official schema with parameters that schema accepts (checked by
// the simulator's own validator), must not be a shell, console or credential endpoint, and
// passes the tier of what it does — GET 1, POST/PUT 2, DELETE and named destructive
// operations 3 — through the registry's gates (tierFor), then the vmid and node policies.
import * as v from "valibot";
import { InputError, RefusedError } from "../errors.ts";
import { pveText } from "../format/text.ts";
import { buildPath, encodeParams, type Method, type Params } from "../pve/client.ts";
import { listGuests } from "../pve/resources.ts";
import type { Tier, ToolContext } from "./types.ts";
import { defineTool } from "./types.ts";
import { checkNodePolicy, checkVmidPolicy } from "./writes.ts";

const METHODS = ["GET", "POST", "PUT", "DELETE"] as const;

/** The most JSON one answer carries, in its text and in its structured data. */
export const MAX_API_ANSWER_BYTES = 32 * 1024;

/** The path as PVE reads it: segments split on "/", empty ones skipped, /api2/json dropped. */
export function apiSegments(path: string): string[] {
  const segments = path.split("/").filter((s) => s.length > 0);
  if (segments[0] === "api2" && segments[1] === "json") segments.splice(0, 2);
  return segments;
}

/** An endpoint refused outright, whatever the gates: what it is and what to use instead. */
interface Refusal {
  /** Matched against the schema template, e.g. /nodes/{node}/qemu/{vmid}/termproxy. */
  template: RegExp;
  /** Only these methods; all when absent. */
  methods?: readonly Method[];
  why: string;
}

// Security: endpoints that open a shell or console, run commands, or create or reveal a
// credential. A model must not reach them through a generic door, with any gate given.
const REFUSED: readonly Refusal[] = [
  { template: /\/(termproxy|vncproxy|spiceproxy|vncwebsocket|vncshell|spiceshell|mtunnel|mtunnelwebsocket)$/, why: "it opens a shell, console or tunnel" },
  { template: /^\/nodes\/\{node\}\/execute$/, why: "it runs a batch of API calls on the node, past this door's checks" },
  { template: /^\/nodes\/\{node\}\/qemu\/\{vmid\}\/monitor$/, why: "it runs QEMU monitor commands" },
  { template: /^\/nodes\/\{node\}\/qemu\/\{vmid\}\/sendkey$/, why: "it types into the guest's console" },
  { template: /^\/nodes\/\{node\}\/qemu\/\{vmid\}\/agent\/(exec|exec-status)$/, why: "it runs commands inside the guest; use proxmox_guest_exec, which caps and labels the output" },
  { template: /^\/nodes\/\{node\}\/qemu\/\{vmid\}\/agent\/(file-read|file-write|set-user-password)$/, why: "it reads or writes files or passwords inside the guest" },
  { template: /^\/access\/(ticket|vncticket|password)$/, why: "it creates a login ticket or sets a password" },
  { template: /^\/access\/(openid|tfa)(\/|$)/, why: "it handles logins or second factors" },
  { template: /^\/access\/users\/\{userid\}\/(tfa|unlock-tfa)$/, why: "it handles second factors" },
  { template: /^\/access\/users\/\{userid\}\/token\/\{tokenid\}$/, methods: ["POST", "PUT", "DELETE"], why: "it creates, changes or deletes an API token (a new token's secret would be handed to the model)" },
  { template: /^\/cluster\/acme\/account(\/|$)/, methods: ["POST", "PUT", "DELETE"], why: "it registers or changes an ACME account key" },
  { template: /^\/nodes\/\{node\}\/certificates\/custom$/, why: "it uploads or removes a certificate's private key" },
  { template: /^\/nodes\/\{node\}\/storage\/\{storage\}\/(download-url|upload|oci-registry-pull)$/, why: "it makes the node fetch or store arbitrary files; use proxmox_download_to_storage, which refuses private addresses" },
];

/** Operations that cannot be undone or cut a guest or node off: tier 3 whatever their method. */
const DESTRUCTIVE: readonly { path: RegExp; methods: readonly Method[] }[] = [
  { path: /^nodes\/[^/]+\/(qemu|lxc)\/[^/]+\/status\/(stop|reset)$/, methods: ["POST"] },
  { path: /^nodes\/[^/]+\/(qemu|lxc)\/[^/]+\/snapshot\/[^/]+\/rollback$/, methods: ["POST"] },
  { path: /^nodes\/[^/]+\/qemu\/[^/]+\/unlink$/, methods: ["PUT"] },
  { path: /^nodes\/[^/]+\/status$/, methods: ["POST"] },
  { path: /^nodes\/[^/]+\/(stopall|suspendall|migrateall)$/, methods: ["POST"] },
  { path: /^nodes\/[^/]+\/network$/, methods: ["PUT"] },
  { path: /^nodes\/[^/]+\/disks\/(wipedisk|initgpt|lvm|lvmthin|zfs|directory)$/, methods: ["POST", "PUT"] },
];

/**
 * The tier of one call, from its raw arguments (the registry gates on it before parsing).
 * Security: anything that is not plainly a GET is at least a write, and an unreadable
 * method is treated as destructive, so a malformed call can only be refused.
 */
export function apiTier(args: Record<string, unknown>): Tier {
  const method = args.method === undefined ? "GET" : args.method;
  if (method === "GET") return 1;
  if (method !== "POST" && method !== "PUT") return 3;
  const rel = typeof args.path === "string" ? apiSegments(args.path).join("/") : "";
  return DESTRUCTIVE.some((d) => d.methods.includes(method) && d.path.test(rel)) ? 3 : 2;
}

function refusalFor(method: Method, template: string): Refusal | undefined {
  return REFUSED.find((r) => r.template.test(template) && (!r.methods || r.methods.includes(method)));
}

const ParamValue = v.union(
  [v.string(), v.number(), v.boolean(), v.array(v.union([v.string(), v.number()]), "array parameters hold strings or numbers")],
  "each parameter is a string, number, boolean or an array of strings/numbers",
);

const ApiOutput = v.object({
  method: v.string(),
  path: v.string(),
  template: v.pipe(v.string(), v.description("The schema operation the path matched, e.g. /nodes/{node}/qemu/{vmid}/firewall/rules.")),
  tier: v.number(),
  data: v.pipe(v.unknown(), v.description("PVE's answer (its `data`), cut to fit when large.")),
  bytes: v.pipe(v.number(), v.description("Size of PVE's whole answer as JSON.")),
  truncated: v.boolean(),
  items: v.optional(v.object({ shown: v.number(), total: v.number() })),
});

/** Loaded on the first call: the schema (500 KB) stays out of start-up and of every other tool. */
async function schemaTools() {
  const [validate, schema] = await Promise.all([import("../sim/validate.ts"), import("../sim/schema.ts")]);
  return { checkRequest: validate.checkRequest, operation: schema.operation, matchPath: schema.matchPath };
}

/** Every vmid and node the call names, in its path or parameters, read from the schema's formats. */
function targets(props: Record<string, { format?: unknown }>, values: Record<string, string | string[]>): { vmids: number[]; nodes: string[] } {
  const vmids: number[] = [];
  const nodes: string[] = [];
  for (const [name, raw] of Object.entries(values)) {
    const format = props[name]?.format;
    const list = Array.isArray(raw) ? raw : [raw];
    if (format === "pve-vmid") vmids.push(...list.map(Number));
    else if (format === "pve-vmid-list") vmids.push(...list.flatMap((s) => s.split(/[,;\s]+/)).filter(Boolean).map(Number));
    else if (format === "pve-node") nodes.push(...list);
  }
  return { vmids: vmids.filter(Number.isInteger), nodes };
}

/** The answer bounded: whole when it fits, else as many list items (or object keys) as fit. */
function bound(data: unknown): { data: unknown; bytes: number; truncated: boolean; items?: { shown: number; total: number } } {
  const whole = JSON.stringify(data ?? null);
  const bytes = Buffer.byteLength(whole);
  if (bytes <= MAX_API_ANSWER_BYTES) return { data, bytes, truncated: false, ...(Array.isArray(data) ? { items: { shown: data.length, total: data.length } } : {}) };
  if (Array.isArray(data)) {
    const kept: unknown[] = [];
    let used = 2;
    for (const item of data) {
      const size = Buffer.byteLength(JSON.stringify(item ?? null)) + 1;
      if (used + size > MAX_API_ANSWER_BYTES) break;
      kept.push(item);
      used += size;
    }
    return { data: kept, bytes, truncated: true, items: { shown: kept.length, total: data.length } };
  }
  if (data && typeof data === "object") {
    const kept: Record<string, unknown> = {};
    let used = 2;
    for (const [key, value] of Object.entries(data)) {
      const size = Buffer.byteLength(JSON.stringify({ [key]: value ?? null }));
      if (used + size > MAX_API_ANSWER_BYTES) continue;
      kept[key] = value;
      used += size;
    }
    return { data: kept, bytes, truncated: true };
  }
  return { data: pveText(typeof data === "string" ? data : whole, MAX_API_ANSWER_BYTES / 2), bytes, truncated: true };
}

/** The JSON as the model reads it: one list item per line, nothing able to start a line but JSON. */
function renderJson(data: unknown): string {
  if (Array.isArray(data)) return data.length === 0 ? "[]" : `[\n${data.map((item) => JSON.stringify(item ?? null)).join(",\n")}\n]`;
  return JSON.stringify(data ?? null);
}

async function refuseProtected(ctx: ToolContext, vmids: number[]): Promise<void> {
  if (ctx.config.protectedTags.length === 0 || vmids.length === 0) return;
  const guests = await listGuests(ctx.pve, ctx.signal);
  for (const g of guests) {
    if (!vmids.includes(g.vmid)) continue;
    const tagged = g.tags.map((t) => t.toLowerCase()).filter((t) => ctx.config.protectedTags.includes(t));
    if (tagged.length > 0) {
      throw new RefusedError(`Refused: guest ${g.vmid} (${pveText(g.name, 60)}) carries the protected tag ${tagged.join(", ")} (PROXMOX_PROTECTED_TAGS), so no write may touch it.`, "Ask the admin, or remove the tag in Proxmox if that is really intended.");
    }
  }
}

export const apiTool = defineTool({
  name: "proxmox_api",
  title: "Proxmox API (gated)",
  description:
    "Call any PVE API operation the other tools do not cover (firewall, pools, SDN, users, HA, …). The path, method and params are checked against the official schema first. GET is a read; POST/PUT need confirm; DELETE and destructive operations (stop, rollback, node reboot, disk wipe, …) also need destructive. Shell, console and credential endpoints are refused. Answers are cut at 32 KB.",
  tier: 3,
  tierFor: apiTier,
  toolset: "api",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: v.strictObject({
    method: v.optional(v.pipe(v.picklist(METHODS, "method must be GET, POST, PUT or DELETE"), v.description("HTTP method (default GET).")), "GET"),
    path: v.pipe(
      v.string("path must be a string"),
      v.maxLength(512, "path is at most 512 characters"),
      v.regex(/^\//, "path must start with /, e.g. /nodes/pve1/qemu/100/firewall/rules"),
      v.check((p) => !p.includes("?") && !p.includes("#"), "path must not carry a query; put parameters in params"),
      v.description("API path below /api2/json, e.g. /cluster/firewall/rules or /nodes/pve1/qemu/100/firewall/rules."),
    ),
    params: v.optional(v.pipe(v.record(v.string(), ParamValue), v.description("Parameters as PVE names them (query for GET/DELETE, form body otherwise); booleans become 1/0."))),
  }),
  output: ApiOutput,
  async handler(args, ctx) {
    const method = args.method as Method;
    const tier = apiTier(args);
    const segments = apiSegments(args.path);
    const params: Params = (args.params ?? {}) as Params;
    const { checkRequest, operation, matchPath } = await schemaTools();
    // The client's own encoding, so what is checked is exactly what would be sent.
    const wire: Record<string, string | string[]> = {};
    encodeParams(params).forEach((value, key) => {
      const prev = wire[key];
      wire[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    });
    const shownPath = `/${segments.join("/")}`;
    // Security: a refused endpoint is refused whatever its parameters, before they are read.
    const matched = matchPath(segments)?.template;
    const refusal = matched ? refusalFor(method, matched) : undefined;
    if (matched && refusal) {
      throw new RefusedError(`Refused: ${method} ${matched} is not open through proxmox_api: ${refusal.why}. Nothing was sent.`, "This door never opens shells, consoles or credentials, with any gate.");
    }
    const check = checkRequest(method, buildPath(segments), wire);
    if (!check.ok && check.status === 501) {
      const other = matched ? METHODS.filter((m) => operation(m, matched) !== undefined) : [];
      throw new InputError(
        `Refused before any request: ${method} ${pveText(shownPath, 200)} is not an operation in the PVE API schema.`,
        other.length ? `That path takes ${other.join(", ")}.` : "Check the path against the API viewer (https://pve.proxmox.com/pve-docs/api-viewer/); paths start below /api2/json, e.g. /cluster/resources.",
      );
    }
    if (!check.ok) {
      const errors = "errors" in check ? Object.entries(check.errors).map(([k, m]) => `${k}: ${pveText(m, 160)}`) : [];
      throw new InputError(`Refused before any request: the PVE API schema rejects these parameters of ${method} ${pveText(shownPath, 200)}: ${errors.join("; ") || check.message}.`, "Fix the named parameters; the API viewer lists each one's format.");
    }
    if (tier > 1) {
      const op = operation(method, check.template);
      const { vmids, nodes } = targets((op?.parameters.properties ?? {}) as Record<string, { format?: unknown }>, { ...check.params, ...check.pathParams });
      for (const vmid of vmids) checkVmidPolicy(ctx, vmid);
      for (const node of nodes) checkNodePolicy(ctx, node);
      await refuseProtected(ctx, vmids);
    }
    if (tier > 1) {
      // The plan a person approves (and a dry run answers): exactly this one request.
      const shown = Object.entries(params).map(([k, val]) => `${k}=${pveText(Array.isArray(val) ? val.join(",") : val, 120)}`);
      await ctx.approve({
        action: `${method} ${pveText(shownPath, 200)} (PVE API operation ${check.template}, tier ${tier})`,
        details: shown.length ? [`parameters: ${shown.join(" ")}`] : ["no parameters"],
        ...(tier === 3 ? { irreversible: `${method} ${check.template} is classed destructive: it deletes, stops or resets what it names` } : {}),
        requests: [{ method: method as "POST" | "PUT" | "DELETE", segments, params }],
      });
    }
    const envelope = await ctx.pve.request<unknown>(method, segments, params, { signal: ctx.signal });
    const bounded = bound(envelope.data);
    const head = `${method} ${shownPath} → ${bounded.items ? `${bounded.items.total} item${bounded.items.total === 1 ? "" : "s"}` : `${bounded.bytes} bytes`}`;
    const cut = bounded.truncated ? `\n… answer cut to ${MAX_API_ANSWER_BYTES} bytes of ${bounded.bytes}${bounded.items ? ` (${bounded.items.shown} of ${bounded.items.total} items shown)` : ""}; narrow it with params.` : "";
    return {
      text: `${head} (schema operation ${check.template}, tier ${tier}).\n${renderJson(bounded.data)}${cut}`,
      data: { method, path: shownPath, template: check.template, tier, ...bounded },
    };
  },
});
