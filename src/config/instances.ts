// Several clusters from one server. PROXMOX_CONFIG names a JSON file of instances, each
// validated by the same rules as the environment; PROXMOX_URL & co. define "default".
// The environment's ceilings (read-only, allowed vmids and nodes, protected tags) hold for
// every instance: a file can narrow them, never widen them.
import * as v from "valibot";
import { type Config, loadConfig } from "./env.ts";
import { editDistance, misnamedVariables } from "./names.ts";
import { formatRanges, parseVmidRanges, type VmidRanges } from "./ranges.ts";
import { CONFIG_FILE_MAX_BYTES, readBoundedFile } from "./read-file.ts";
import { parseNodeList, parseTagList } from "./values.ts";

export const INSTANCE_NAME_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;

const INSTANCE_KEYS = {
  url: "url is required, e.g. https://pve.example.local:8006",
  tokenId: "tokenId is required, e.g. mcp@pve!agent",
  tokenSecret: "tokenSecret is text: the token's secret (prefer tokenSecretFile)",
  tokenSecretFile: "tokenSecretFile is the path of a file holding the secret",
  tlsInsecure: "tlsInsecure must be true or false (JSON booleans, no quotes)",
  caFile: "caFile is the path of a PEM file",
  tlsFingerprint: "tlsFingerprint is text: AB:CD:… as PVE shows it",
  timeoutMs: "timeoutMs must be a number of milliseconds, e.g. 30000",
  readOnly: "readOnly must be true or false (JSON booleans, no quotes)",
  allowedVmids: 'allowedVmids is text such as "100-199,300"',
  allowedNodes: 'allowedNodes is a list such as ["pve1", "pve2"]',
  protectedTags: 'protectedTags is a list such as ["prod", "critical"]',
} as const;

const InstanceFile = v.object(
  {
    instances: v.record(
      v.pipe(v.string(), v.regex(INSTANCE_NAME_RE, "an instance name starts with a letter and holds letters, digits, '-', '_' (at most 32)")),
      v.strictObject(
        {
          url: v.string(INSTANCE_KEYS.url),
          tokenId: v.string(INSTANCE_KEYS.tokenId),
          tokenSecret: v.optional(v.string(INSTANCE_KEYS.tokenSecret)),
          tokenSecretFile: v.optional(v.string(INSTANCE_KEYS.tokenSecretFile)),
          tlsInsecure: v.optional(v.boolean(INSTANCE_KEYS.tlsInsecure)),
          caFile: v.optional(v.string(INSTANCE_KEYS.caFile)),
          tlsFingerprint: v.optional(v.string(INSTANCE_KEYS.tlsFingerprint)),
          timeoutMs: v.optional(v.number(INSTANCE_KEYS.timeoutMs)),
          readOnly: v.optional(v.boolean(INSTANCE_KEYS.readOnly)),
          allowedVmids: v.optional(v.string(INSTANCE_KEYS.allowedVmids)),
          allowedNodes: v.optional(v.array(v.string(INSTANCE_KEYS.allowedNodes), INSTANCE_KEYS.allowedNodes)),
          protectedTags: v.optional(v.array(v.string(INSTANCE_KEYS.protectedTags), INSTANCE_KEYS.protectedTags)),
        },
        "each instance is an object such as { \"url\": …, \"tokenId\": …, \"tokenSecretFile\": … }",
      ),
      "instances is an object naming each cluster, e.g. { \"home\": { \"url\": … } }",
    ),
  },
  'the file must be an object with "instances", e.g. { "instances": { "home": { "url": … } } }',
);

export type InstancesResult = { ok: true; instances: Config[] } | { ok: false; problems: string[] };

/** Plain words for one issue in the file: where it is and what is wrong, never valibot's wording. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => String(p.key)) ?? [];
  const where = path.length >= 2 && path[0] === "instances" ? `instance "${path[1]}"` : "the file";
  const key = path.length >= 3 ? path[2] : undefined;
  if (key && issue.received === "undefined" && key in INSTANCE_KEYS) {
    const example = INSTANCE_KEYS[key as keyof typeof INSTANCE_KEYS];
    return `${where}: ${example.startsWith(`${key} is required`) ? example : `${key} is required`}`;
  }
  if (issue.type === "strict_object" && issue.expected === "never" && key) {
    const known = Object.keys(INSTANCE_KEYS);
    const close = known
      .map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) }))
      .filter(({ d }) => d <= 3)
      .sort((x, y) => x.d - y.d)[0]?.k;
    return `${where}: "${key}" is not a setting${close ? `; did you mean "${close}"?` : ""} (settings: ${known.join(", ")})`;
  }
  if (path.length === 2 && path[0] === "instances" && issue.kind === "validation") return `instance name "${path[1]}": ${issue.message}`;
  return `${where}: ${issue.message}`;
}

/** The instances this server serves, or every problem with them at once. */
export function loadInstances(env: Record<string, string | undefined>): InstancesResult {
  const file = env.PROXMOX_CONFIG?.trim();
  const misnamed = misnamedVariables(env, { configFile: Boolean(file) });
  if (!file) {
    const single = loadConfig(env);
    if (single.ok && misnamed.length === 0) return { ok: true, instances: [single.config] };
    return { ok: false, problems: [...misnamed, ...(single.ok ? [] : single.problems)] };
  }
  const problems: string[] = [...misnamed];
  const instances: Config[] = [];
  const read = readBoundedFile(file, `PROXMOX_CONFIG (${file})`, CONFIG_FILE_MAX_BYTES);
  if ("problem" in read) return { ok: false, problems: [...problems, `${read.problem}; see README: Several clusters for the format`] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    // Security: the parser's message quotes the text around the error, which may be a secret.
    return { ok: false, problems: [...problems, `PROXMOX_CONFIG (${file}) is not valid JSON; see README: Several clusters for the format`] };
  }
  const checked = v.safeParse(InstanceFile, parsed);
  if (!checked.success) {
    for (const issue of checked.issues) problems.push(`PROXMOX_CONFIG: ${describeIssue(issue)}`);
    return { ok: false, problems };
  }

  const ceilings = environmentCeilings(env);
  if ("problems" in ceilings) return { ok: false, problems: [...problems, ...ceilings.problems] };

  // Settings that stay server-wide: a person's switches, not a cluster's.
  const shared = { PROXMOX_CONFIRM_WRITES: env.PROXMOX_CONFIRM_WRITES, PROXMOX_LOG_LEVEL: env.PROXMOX_LOG_LEVEL, PROXMOX_ENABLE_DESTRUCTIVE: env.PROXMOX_ENABLE_DESTRUCTIVE, PROXMOX_AUDIT_LOG: env.PROXMOX_AUDIT_LOG, PROXMOX_READ_ONLY: env.PROXMOX_READ_ONLY, PROXMOX_TOOLSETS: env.PROXMOX_TOOLSETS, PROXMOX_EXEC_ALLOW: env.PROXMOX_EXEC_ALLOW, PROXMOX_SSH_USER: env.PROXMOX_SSH_USER, PROXMOX_SSH_KEY_FILE: env.PROXMOX_SSH_KEY_FILE, PROXMOX_SSH_KNOWN_HOSTS: env.PROXMOX_SSH_KNOWN_HOSTS, PROXMOX_SSH_PORT: env.PROXMOX_SSH_PORT, PROXMOX_SSH_HOSTS: env.PROXMOX_SSH_HOSTS };
  if (env.PROXMOX_URL?.trim()) {
    const single = loadConfig(env);
    if (single.ok) instances.push(single.config);
    else problems.push(...single.problems.map((p) => `instance "default" (environment): ${p}`));
  }
  for (const [name, inst] of Object.entries(checked.output.instances)) {
    if (name === "default" && env.PROXMOX_URL?.trim()) {
      problems.push('PROXMOX_CONFIG defines "default", which PROXMOX_URL already defines; rename one');
      continue;
    }
    const fileKey: Record<string, string> = {
      PROXMOX_URL: "url",
      PROXMOX_TOKEN_ID: "tokenId",
      PROXMOX_TOKEN_SECRET: "tokenSecret",
      PROXMOX_TOKEN_SECRET_FILE: "tokenSecretFile",
      PROXMOX_TLS_INSECURE: "tlsInsecure",
      PROXMOX_CA_FILE: "caFile",
      PROXMOX_TLS_FINGERPRINT: "tlsFingerprint",
      PROXMOX_TIMEOUT_MS: "timeoutMs",
      PROXMOX_ALLOWED_VMIDS: "allowedVmids",
      PROXMOX_ALLOWED_NODES: "allowedNodes",
      PROXMOX_PROTECTED_TAGS: "protectedTags",
    };
    const result = loadConfig(
      {
        ...shared,
        PROXMOX_URL: inst.url,
        PROXMOX_TOKEN_ID: inst.tokenId,
        PROXMOX_TOKEN_SECRET: inst.tokenSecret,
        PROXMOX_TOKEN_SECRET_FILE: inst.tokenSecretFile,
        PROXMOX_TLS_INSECURE: inst.tlsInsecure ? "true" : undefined,
        PROXMOX_CA_FILE: inst.caFile,
        PROXMOX_TLS_FINGERPRINT: inst.tlsFingerprint,
        PROXMOX_TIMEOUT_MS: inst.timeoutMs === undefined ? undefined : String(inst.timeoutMs),
        // Security: the environment's read-only holds for every instance; the file can only add it.
        PROXMOX_READ_ONLY: inst.readOnly ? "true" : env.PROXMOX_READ_ONLY,
        PROXMOX_ALLOWED_VMIDS: inst.allowedVmids,
        PROXMOX_ALLOWED_NODES: inst.allowedNodes?.join(","),
        PROXMOX_PROTECTED_TAGS: inst.protectedTags?.join(","),
      },
      { label: (variable) => (fileKey[variable] ? `${fileKey[variable]}` : variable) },
    );
    if (!result.ok) {
      problems.push(...result.problems.map((p) => `instance "${name}": ${p}`));
      continue;
    }
    const narrowed = applyCeilings(result.config, ceilings);
    if ("problem" in narrowed) problems.push(`instance "${name}": ${narrowed.problem}`);
    else instances.push({ ...narrowed.config, name });
  }
  if (instances.length === 0 && problems.length === 0) problems.push("PROXMOX_CONFIG defines no instances");
  return problems.length ? { ok: false, problems } : { ok: true, instances };
}

interface Ceilings {
  vmids?: VmidRanges;
  nodes?: string[];
  tags: string[];
}

/** PROXMOX_ALLOWED_VMIDS, PROXMOX_ALLOWED_NODES and PROXMOX_PROTECTED_TAGS as limits over every instance. */
function environmentCeilings(env: Record<string, string | undefined>): Ceilings | { problems: string[] } {
  const problems: string[] = [];
  let vmids: VmidRanges | undefined;
  if (env.PROXMOX_ALLOWED_VMIDS?.trim()) {
    const ranges = parseVmidRanges(env.PROXMOX_ALLOWED_VMIDS.trim());
    if ("problem" in ranges) problems.push(`PROXMOX_ALLOWED_VMIDS: ${ranges.problem}`);
    else vmids = ranges;
  }
  const nodes = parseNodeList("PROXMOX_ALLOWED_NODES", env.PROXMOX_ALLOWED_NODES?.trim() || undefined);
  if ("problem" in nodes) problems.push(nodes.problem);
  const tags = parseTagList("PROXMOX_PROTECTED_TAGS", env.PROXMOX_PROTECTED_TAGS?.trim() || undefined);
  if ("problem" in tags) problems.push(tags.problem);
  if (problems.length > 0 || "problem" in nodes || "problem" in tags) return { problems };
  return { vmids, nodes: nodes.value, tags: tags.value };
}

/** The instance's own limits intersected with the environment's; refused when nothing would be left to write to. */
export function applyCeilings(config: Config, ceilings: Ceilings): { config: Config } | { problem: string } {
  let allowedVmids = config.allowedVmids;
  if (ceilings.vmids) {
    allowedVmids = allowedVmids ? intersectRanges(allowedVmids, ceilings.vmids) : ceilings.vmids;
    if (allowedVmids.length === 0) {
      return { problem: `allowedVmids (${formatRanges(config.allowedVmids ?? [])}) and PROXMOX_ALLOWED_VMIDS (${formatRanges(ceilings.vmids)}) have no vmid in common; the environment's list limits every instance, so change one of them` };
    }
  }
  let allowedNodes = config.allowedNodes;
  if (ceilings.nodes) {
    allowedNodes = allowedNodes ? allowedNodes.filter((n) => ceilings.nodes?.includes(n)) : ceilings.nodes;
    if (allowedNodes.length === 0) {
      return { problem: `allowedNodes (${config.allowedNodes?.join(", ")}) and PROXMOX_ALLOWED_NODES (${ceilings.nodes.join(", ")}) have no node in common; the environment's list limits every instance, so change one of them` };
    }
  }
  const protectedTags = [...new Set([...config.protectedTags, ...ceilings.tags])];
  return { config: { ...config, allowedVmids, allowedNodes, protectedTags } };
}

function intersectRanges(a: VmidRanges, b: VmidRanges): VmidRanges {
  const out: [number, number][] = [];
  for (const [a0, a1] of a) {
    for (const [b0, b1] of b) {
      const from = Math.max(a0, b0);
      const to = Math.min(a1, b1);
      if (from <= to) out.push([from, to]);
    }
  }
  return out.sort((x, y) => x[0] - y[0]);
}
