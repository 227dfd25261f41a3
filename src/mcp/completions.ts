// completion/complete for the arguments of prompts and resource templates: vmid, node,
// storage, snapshot and instance, from the live cluster through the same registry calls
// as the tools (so the same redaction and limits). Bounded: at most MAX_VALUES values,
// each look-up cut off after TIMEOUT_MS, answers kept CACHE_MS because a client asks again
// on every keystroke.
import { type McpServer, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { ToolRegistry } from "../tools/registry.ts";
import { perRegistry } from "./per-registry.ts";

/** The spec's ceiling for one completion answer. */
export const MAX_VALUES = 100;
const TIMEOUT_MS = 2000;
const CACHE_MS = 5000;
const MAX_TYPED = 200;

type Kind = "vmid" | "node" | "storage" | "snapshot" | "instance";
type Candidate = { value: string; also?: string };
/** The candidates, and whether a list limit left some out. */
type Found = { candidates: Candidate[]; truncated: boolean };

/** Which argument of which prompt or template completes as what. */
const PROMPT_ARGS: Record<string, Partial<Record<string, Kind>>> = {
  proxmox_safe_maintenance: { vmid: "vmid" },
  proxmox_backup_audit: { storage: "storage" },
  proxmox_snapshot_rollback: { vmid: "vmid", snapshot: "snapshot" },
};
const TEMPLATE_ARGS: Record<string, Partial<Record<string, Kind>>> = {
  "proxmox://{instance}/guests/{vmid}": { instance: "instance", vmid: "vmid" },
  "proxmox://{instance}/nodes/{node}": { instance: "instance", node: "node" },
};

interface CompleteParams {
  ref: { type: string; name?: string; uri?: string };
  argument: { name: string; value: string };
  context?: { arguments?: Record<string, string> };
}

export class Completer {
  private readonly cache = new Map<string, { at: number; values: Promise<Found> }>();

  constructor(private readonly registry: ToolRegistry) {}

  async complete(params: CompleteParams): Promise<{ completion: { values: string[]; total: number; hasMore: boolean } }> {
    const kind = this.kindFor(params.ref, params.argument.name);
    const typed = String(params.argument.value ?? "").slice(0, MAX_TYPED).toLowerCase();
    const given = params.context?.arguments ?? {};
    const { candidates, truncated } = kind ? await this.candidates(kind, given) : { candidates: [], truncated: false };
    const matching = candidates.filter((c) => c.value.toLowerCase().startsWith(typed) || (typed !== "" && c.also?.toLowerCase().includes(typed)));
    return { completion: { values: matching.slice(0, MAX_VALUES).map((c) => c.value), total: matching.length, hasMore: matching.length > MAX_VALUES || truncated } };
  }

  private kindFor(ref: CompleteParams["ref"], argument: string): Kind | undefined {
    if (ref.type === "ref/prompt") {
      const args = PROMPT_ARGS[ref.name ?? ""];
      if (!args) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${String(ref.name).slice(0, 80)} not found`);
      return args[argument];
    }
    if (ref.type === "ref/resource") {
      const args = TEMPLATE_ARGS[ref.uri ?? ""];
      if (!args) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource template ${String(ref.uri).slice(0, 120)} not found`);
      return args[argument];
    }
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, "ref.type must be ref/prompt or ref/resource");
  }

  private candidates(kind: Kind, given: Record<string, string>): Promise<Found> {
    if (kind === "instance") return Promise.resolve({ candidates: this.registry.instanceNames.map((value) => ({ value })), truncated: false });
    const instance = this.registry.instanceNames.includes(given.instance ?? "") ? given.instance : this.registry.instanceNames[0];
    const vmid = Number(given.vmid);
    if (kind === "snapshot" && !(Number.isInteger(vmid) && vmid > 0)) return Promise.resolve({ candidates: [], truncated: false });
    const key = `${instance} ${kind} ${kind === "snapshot" ? vmid : ""}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.values;
    const values = this.lookUp(kind, instance as string, vmid).catch(() => ({ candidates: [], truncated: false }));
    this.cache.set(key, { at: Date.now(), values });
    if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value as string);
    return values;
  }

  private async lookUp(kind: Exclude<Kind, "instance">, instance: string, vmid: number): Promise<Found> {
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    let truncated = false;
    const call = async (tool: string, args: Record<string, unknown>) => {
      const outcome = await this.registry.call(tool, { instance, ...args }, { signal });
      if (outcome.isError) return [];
      if (Number(outcome.structured?.more) > 0) truncated = true;
      return (outcome.structured?.items ?? outcome.structured?.nodes ?? []) as Record<string, unknown>[];
    };
    let candidates: Candidate[];
    switch (kind) {
      case "vmid": {
        const [vms, cts] = await Promise.all([call("proxmox_list_vms", { include_templates: true, limit: 500 }), call("proxmox_list_containers", { include_templates: true, limit: 500 })]);
        candidates = [...vms, ...cts].map((g) => ({ value: String(g.vmid), also: String(g.name ?? "") })).sort((a, b) => Number(a.value) - Number(b.value));
        break;
      }
      case "node":
        candidates = (await call("proxmox_status", {})).map((n) => ({ value: String(n.name) })).sort((a, b) => a.value.localeCompare(b.value));
        break;
      case "storage":
        candidates = [...new Set((await call("proxmox_list_storage", { limit: 500 })).map((s) => String(s.storage)))].sort().map((value) => ({ value }));
        break;
      case "snapshot":
        candidates = (await call("proxmox_list_snapshots", { vmid })).map((s) => ({ value: String(s.name), also: String(s.description ?? "") })).filter((s) => s.value !== "current");
        break;
    }
    return { candidates, truncated };
  }
}

/** Declares completions and answers completion/complete on one SDK server. */
export function registerCompletions(server: McpServer, completer: Completer): void {
  server.server.registerCapabilities({ completions: {} });
  server.server.setRequestHandler("completion/complete", (request) => completer.complete(request.params as CompleteParams));
}

/** One completer (and its cache) per registry, shared by every connection. */
export const completerFor = perRegistry((registry) => new Completer(registry));
