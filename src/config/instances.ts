// Several clusters from one server. PROXMOX_CONFIG names a JSON file of instances, each
// validated by the same rules as the environment; PROXMOX_URL & co. define "default".
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { type Config, loadConfig } from "./env.ts";

export const INSTANCE_NAME_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;

const InstanceFile = v.object({
  instances: v.record(
    v.pipe(v.string(), v.regex(INSTANCE_NAME_RE, "instance names start with a letter and hold letters, digits, '-', '_' (at most 32)")),
    v.strictObject({
      url: v.string("url is required, e.g. https://pve.example.local:8006"),
      tokenId: v.string("tokenId is required, e.g. root@pam!mcp"),
      tokenSecret: v.optional(v.string()),
      tokenSecretFile: v.optional(v.string()),
      tlsInsecure: v.optional(v.boolean("tlsInsecure must be true or false")),
      caFile: v.optional(v.string()),
      tlsFingerprint: v.optional(v.string()),
      timeoutMs: v.optional(v.number("timeoutMs must be a number")),
      readOnly: v.optional(v.boolean("readOnly must be true or false")),
      allowedVmids: v.optional(v.string("allowedVmids is a string such as 100-199,300")),
      allowedNodes: v.optional(v.array(v.string())),
      protectedTags: v.optional(v.array(v.string())),
    }),
  ),
});

export type InstancesResult = { ok: true; instances: Config[] } | { ok: false; problems: string[] };

/** The instances this server serves, or every problem with them at once. */
export function loadInstances(env: Record<string, string | undefined>): InstancesResult {
  const file = env.PROXMOX_CONFIG?.trim();
  if (!file) {
    const single = loadConfig(env);
    return single.ok ? { ok: true, instances: [single.config] } : single;
  }
  const problems: string[] = [];
  const instances: Config[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    // Security: the parser's message quotes the text around the error, which may be a secret.
    return { ok: false, problems: [`PROXMOX_CONFIG (${file}) ${error instanceof SyntaxError ? "is not valid JSON" : "cannot be read"}; see README: Several clusters for the format`] };
  }
  const checked = v.safeParse(InstanceFile, parsed);
  if (!checked.success) {
    for (const issue of checked.issues) problems.push(`PROXMOX_CONFIG: ${v.getDotPath(issue) ?? "file"}: ${issue.message}`);
    return { ok: false, problems };
  }
  // Settings that stay server-wide: a person's switches, not a cluster's.
  const shared = { PROXMOX_CONFIRM_WRITES: env.PROXMOX_CONFIRM_WRITES, PROXMOX_LOG_LEVEL: env.PROXMOX_LOG_LEVEL, PROXMOX_ENABLE_DESTRUCTIVE: env.PROXMOX_ENABLE_DESTRUCTIVE, PROXMOX_AUDIT_LOG: env.PROXMOX_AUDIT_LOG, PROXMOX_READ_ONLY: env.PROXMOX_READ_ONLY, PROXMOX_TOOLSETS: env.PROXMOX_TOOLSETS };
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
    const result = loadConfig({
      ...shared,
      PROXMOX_URL: inst.url,
      PROXMOX_TOKEN_ID: inst.tokenId,
      PROXMOX_TOKEN_SECRET: inst.tokenSecret,
      PROXMOX_TOKEN_SECRET_FILE: inst.tokenSecretFile,
      PROXMOX_TLS_INSECURE: inst.tlsInsecure ? "true" : undefined,
      PROXMOX_CA_FILE: inst.caFile,
      PROXMOX_TLS_FINGERPRINT: inst.tlsFingerprint,
      PROXMOX_TIMEOUT_MS: inst.timeoutMs === undefined ? undefined : String(inst.timeoutMs),
      PROXMOX_READ_ONLY: inst.readOnly || env.PROXMOX_READ_ONLY ? (inst.readOnly ? "true" : env.PROXMOX_READ_ONLY) : undefined,
      PROXMOX_ALLOWED_VMIDS: inst.allowedVmids,
      PROXMOX_ALLOWED_NODES: inst.allowedNodes?.join(","),
      PROXMOX_PROTECTED_TAGS: inst.protectedTags?.join(","),
    });
    if (result.ok) instances.push({ ...result.config, name });
    else problems.push(...result.problems.map((p) => `instance "${name}": ${p.replace(/PROXMOX_TOKEN_SECRET_FILE/g, "tokenSecretFile").replace(/PROXMOX_TOKEN_SECRET/g, "tokenSecret").replace(/PROXMOX_URL/g, "url").replace(/PROXMOX_TOKEN_ID/g, "tokenId")}`));
  }
  if (instances.length === 0 && problems.length === 0) problems.push("PROXMOX_CONFIG defines no instances");
  return problems.length ? { ok: false, problems } : { ok: true, instances };
}
