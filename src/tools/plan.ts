// One way of planning a write. Every write tool does its look-ups, then hands the registry
// a WritePlan (ctx.approve) before its first write request. From that one plan come the
// dry-run answer, the question a person is asked, the audit line and the guard that lets
// through only the write requests the plan names.
import * as v from "valibot";
import { ProxmoxMcpError } from "../errors.ts";
import { pveText } from "../format/text.ts";
import { buildPath, type Method, type Params, type PathSegments, type PveClient } from "../pve/client.ts";

export type WriteMethod = Exclude<Method, "GET">;

export interface PlannedRequest {
  method: WriteMethod;
  /** Path segments as the tool passes them to the client (encoded by buildPath). */
  segments: PathSegments;
  params?: Params;
}

export interface WritePlan {
  /** What will happen, in one line: "Shut down VM 101 (web-01) on pve1". */
  action: string;
  /** The resolved target as it is now. */
  target?: { vmid?: number; node?: string; type?: "qemu" | "lxc"; name?: string; state?: string };
  /** What a person must see to approve: "new vmid 120 on pve2", "purge: yes", "SSH keys added: 1". */
  details?: string[];
  /** What cannot be undone, in words; absent when everything can be undone. */
  irreversible?: string;
  /** Every write request the tool will make, in order. */
  requests: PlannedRequest[];
}

/** The plan as a dry run answers it (structuredContent under `plan`). */
/** A PVE parameter as a plan shows it (client.ts ParamValue, unset ones dropped): a type every client can read, not an untyped schema. */
const PlanParam = v.union([v.string(), v.number(), v.boolean(), v.null(), v.array(v.union([v.string(), v.number()]))]);

export const PlanOutput = v.object({
  action: v.string(),
  target: v.object({
    vmid: v.optional(v.number()),
    node: v.optional(v.string()),
    type: v.optional(v.string()),
    name: v.optional(v.string()),
    state: v.optional(v.string()),
  }),
  details: v.array(v.string()),
  irreversible: v.optional(v.string()),
  checks: v.pipe(v.array(v.string()), v.description("Policy checks this call passed.")),
  requests: v.array(v.object({ method: v.string(), path: v.string(), params: v.record(v.string(), PlanParam) })),
  asks_person: v.pipe(v.boolean(), v.description("Whether the real call would ask the person to confirm.")),
});
export type PlanData = v.InferOutput<typeof PlanOutput>;

export const DryRunOutput = v.object({
  dry_run: v.pipe(v.literal(true), v.description("Nothing was written: this is what the call would do.")),
  plan: PlanOutput,
});

/** Thrown by approve() in a dry run: the registry answers with the plan instead. */
export class DryRunStop extends Error {
  constructor(readonly plan: WritePlan) {
    super("dry run");
  }
}

/** A request path the way the plan, the guard and the answer all spell it. */
export function planPath(request: Pick<PlannedRequest, "segments">): string {
  return buildPath(request.segments);
}

/** Parameters as a person or a model may see them: unset ones dropped, secrets masked. */
export function shownParams(params: Params | undefined, isSecret: (key: string) => boolean): Record<string, v.InferOutput<typeof PlanParam>> {
  const shown: Record<string, v.InferOutput<typeof PlanParam>> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    shown[key] = isSecret(key) ? "[REDACTED]" : (value as v.InferOutput<typeof PlanParam>);
  }
  return shown;
}

export function planData(plan: WritePlan, checks: readonly string[], asksPerson: boolean, isSecret: (key: string) => boolean): PlanData {
  const target = Object.fromEntries(Object.entries(plan.target ?? {}).filter(([, value]) => value !== undefined && value !== ""));
  return {
    action: plan.action,
    target,
    details: plan.details ?? [],
    ...(plan.irreversible ? { irreversible: plan.irreversible } : {}),
    checks: [...checks],
    requests: plan.requests.map((r) => ({ method: r.method, path: planPath(r), params: shownParams(r.params, isSecret) })),
    asks_person: asksPerson,
  };
}

/** The dry-run answer a model reads. */
export function renderPlan(data: PlanData): string {
  const lines = [`DRY RUN, nothing was written. ${data.action}.`];
  if (data.target.state) lines.push(`Now: ${data.target.state}.`);
  for (const detail of data.details) lines.push(`- ${detail}`);
  if (data.irreversible) lines.push(`Cannot be undone: ${data.irreversible}`);
  if (data.checks.length) lines.push(`Checks passed: ${data.checks.join("; ")}.`);
  lines.push(data.requests.length === 1 ? "It would send:" : `It would send ${data.requests.length} requests:`);
  for (const r of data.requests) {
    // Values can hold text the model chose (a description, notes): one line each, bounded.
    const params = Object.entries(r.params).map(([k, val]) => `${k}=${pveText(typeof val === "string" ? val : JSON.stringify(val), 200)}`);
    lines.push(`  ${r.method} ${r.path}${params.length ? ` ${params.join(" ")}` : ""}`);
  }
  lines.push(data.asks_person ? "The real call also asks the person to confirm." : "Run it for real without dry_run (and with its gates).");
  return lines.join("\n");
}

/** The question a person answers: what changes, on which guest and node, what cannot be undone, who asks. */
export function confirmationQuestion(input: { title: string; plan: WritePlan; cluster?: string; actor?: { subject: string; clientId?: string } }): string {
  const { plan } = input;
  const lines = [`${input.title}: ${plan.action}${input.cluster ? ` (cluster ${input.cluster})` : ""}.`];
  if (plan.target?.state) lines.push(`Now: ${plan.target.state}.`);
  for (const detail of plan.details ?? []) lines.push(`- ${detail}`);
  lines.push(plan.irreversible ? `Cannot be undone: ${plan.irreversible}` : "This can be undone.");
  if (input.actor) lines.push(`Requested by ${input.actor.subject}${input.actor.clientId ? ` through ${input.actor.clientId}` : ""}.`);
  lines.push("Proceed?");
  return lines.join("\n");
}

/**
 * The client a write tool gets. Security: no write request leaves before the plan was
 * approved, and none that the plan did not name (the person approved that list).
 */
export function plannedClient(pve: PveClient, approved: () => WritePlan | undefined, toolName: string): PveClient {
  const request: PveClient["request"] = async (method, segments, params, opts) => {
    if (method !== "GET") {
      const plan = approved();
      const path = buildPath(segments);
      if (!plan) throw new ProxmoxMcpError("internal", `${toolName} tried ${method} ${path} before its plan was approved; nothing was sent.`);
      if (!plan.requests.some((r) => r.method === method && planPath(r) === path)) {
        throw new ProxmoxMcpError("internal", `${toolName} tried ${method} ${path}, which its approved plan does not name; it was not sent.`);
      }
    }
    return pve.request(method, segments, params, opts);
  };
  return withRequest(pve, request);
}

/** The same client with every request (get/post/put/delete included) going through `request`. */
export function withRequest(pve: PveClient, request: PveClient["request"]): PveClient {
  const proxy: PveClient = new Proxy(pve, {
    get(target, prop) {
      if (prop === "request") return request;
      const value = Reflect.get(target, prop);
      // post/put/delete call this.request, so they are bound to the proxy.
      return typeof value === "function" ? value.bind(proxy) : value;
    },
  });
  return proxy;
}
