// Checks a request the way PVE does, against the facts derived from the official API
// schema: path and method, parameter names, types, formats, patterns, ranges, enums,
// required fields. A request that fails gets PVE's 400 (per-parameter errors) or 501.
import schema from "./pve-schema.json" with { type: "json" };

export type Method = "GET" | "POST" | "PUT" | "DELETE";
export type WireParams = Record<string, string | string[]>;
export type SchemaCheck =
  | { ok: true; template: string; pathParams: Record<string, string>; params: WireParams }
  | { ok: false; status: 400; message: string; errors: Record<string, string> }
  | { ok: false; status: 501; message: string };

interface ParamSchema {
  type?: string;
  optional?: number;
  format?: string | Record<string, ParamSchema>;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  enum?: string[];
  items?: ParamSchema;
  default_key?: number;
  alias?: string;
  keyAlias?: string;
  default?: unknown;
}

interface Operation {
  params: Record<string, ParamSchema>;
  additional: boolean;
  returns: unknown;
}

const OPS = schema.ops as unknown as Record<string, Operation>;

/** Formats named in the schema that this checker does not verify (accepted as PVE might). */
export const UNCHECKED_FORMATS = new Set<string>();

interface Template {
  method: string;
  path: string;
  segments: string[];
  literals: number;
}

const TEMPLATES: Template[] = Object.keys(OPS).map((key) => {
  const [method, path] = key.split(" ") as [string, string];
  const segments = path.split("/").filter(Boolean);
  return { method, path, segments, literals: segments.filter((s) => !s.startsWith("{")).length };
});

const NODE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const CONFIGID = /^[a-z][a-z0-9_-]+$/i;
const STORAGE = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;
const DNS = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;
const TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;
const USER = /^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/;
const VMID = (s: string) => /^[1-9]\d{2,8}$/.test(s);
const list = (check: (s: string) => boolean) => (s: string) => s.split(/[,;\s]+/).filter(Boolean).every(check);
const cidr = (ip: (s: string) => boolean, max: number) => (s: string) => {
  const [addr, prefix, ...rest] = s.split("/");
  return rest.length === 0 && addr !== undefined && ip(addr) && prefix !== undefined && /^\d+$/.test(prefix) && Number(prefix) <= max;
};
const ipv4 = (s: string) => IPV4.test(s);
const ipv6 = (s: string) => s.includes(":") && IPV6.test(s);
const CONTENT = ["images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"];

// Each returns an error text (PVE's wording where known) or undefined when valid.
const NAMED_FORMATS: Record<string, (value: string) => string | undefined> = {
  "pve-node": (s) => (NODE.test(s) ? undefined : "value does not look like a valid node name"),
  "pve-vmid": (s) => (VMID(s) ? undefined : "value does not look like a valid VM ID"),
  "pve-configid": (s) => (CONFIGID.test(s) ? undefined : `invalid configuration ID '${s}'`),
  "pve-storage-id": (s) => (s.length < 2 ? `storage ID '${s}' cannot be shorter than 2 characters` : STORAGE.test(s) ? undefined : `storage ID '${s}' contains illegal characters`),
  "pve-configid-list": (s) => (list((x) => CONFIGID.test(x))(s) ? undefined : "invalid configuration ID list"),
  "pve-vmid-list": (s) => (list(VMID)(s) ? undefined : "value does not look like a valid VM ID list"),
  "pve-node-list": (s) => (list((x) => NODE.test(x))(s) ? undefined : "value does not look like a valid node list"),
  "pve-storage-id-list": (s) => (list((x) => STORAGE.test(x))(s) ? undefined : "invalid storage ID list"),
  "pve-tag-list": (s) => (list((x) => TAG.test(x))(s) ? undefined : "invalid tag list"),
  "dns-name": (s) => (DNS.test(s) ? undefined : `value does not look like a valid DNS name`),
  "dns-name-list": (s) => (list((x) => DNS.test(x))(s) ? undefined : "invalid DNS name list"),
  "pve-poolid": (s) => (/^[A-Za-z0-9_\-/]+$/.test(s) ? undefined : "invalid pool ID"),
  "pve-userid": (s) => (USER.test(s) ? undefined : "value does not look like a valid user ID"),
  ipv4: (s) => (ipv4(s) ? undefined : "value does not look like a valid IPv4 address"),
  ipv6: (s) => (ipv6(s) ? undefined : "value does not look like a valid IPv6 address"),
  ip: (s) => (ipv4(s) || ipv6(s) ? undefined : "value does not look like a valid IP address"),
  CIDR: (s) => (cidr(ipv4, 32)(s) || cidr(ipv6, 128)(s) ? undefined : "value does not look like a valid CIDR network"),
  "mac-addr": (s) => (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s) && !/^.[13579bdf]/i.test(s) ? undefined : "value does not look like a valid unicast MAC address"),
  "pve-volume-id": (s) => (/^[a-z][a-z0-9\-_.]*[a-z0-9]:.+$/i.test(s) ? undefined : `unable to parse volume ID '${s}'`),
  "pve-volume-id-or-qm-path": (s) => (/^[a-z][a-z0-9\-_.]*[a-z0-9]:.+$/i.test(s) || s.startsWith("/") || s === "none" || s === "cdrom" ? undefined : `unable to parse volume ID '${s}'`),
  "pve-storage-content": (s) => (CONTENT.includes(s) ? undefined : `invalid content type '${s}'`),
  "pve-storage-content-list": (s) => (list((x) => CONTENT.includes(x))(s) ? undefined : "invalid content type list"),
  "email-or-username-list": (s) => (list((x) => /^[^\s;,]+$/.test(x))(s) ? undefined : "invalid list"),
  "pve-task-status-type-list": (s) => (list((x) => ["ok", "error", "unknown", "warning"].includes(x))(s) ? undefined : "invalid task status list"),
  "pve-qm-boot": (s) => (/^(order=[a-z0-9]+(;[a-z0-9]+)*|[acdn]{1,4})$/.test(s) ? undefined : "invalid boot order"),
  "pve-startup-order": (s) => (/^(order=\d+)?(,?(up|down)=\d+)*$/.test(s) ? undefined : "invalid startup order"),
  "pve-calendar-event": (s) => (s.length > 0 && !/[\u0000-\u001f]/.test(s) ? undefined : "invalid calendar event"),
};

function translatePattern(pattern: string): RegExp {
  // Perl's "(?^i:…)" / "(?^:…)" groups carry their own flags; JS wants them outside.
  let flags = "";
  const body = pattern.replace(/\(\?\^([a-z]*):/g, (_m, f: string) => {
    if (f.includes("i")) flags = "i";
    return "(?:";
  });
  return new RegExp(`^(?:${body})$`, flags);
}

function checkScalar(value: string, s: ParamSchema): string | undefined {
  const type = s.type ?? "string";
  if (type === "integer" && !/^[+-]?\d+$/.test(value)) return `type check ('integer') failed - got '${value}'`;
  if (type === "number" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return `type check ('number') failed - got '${value}'`;
  if (type === "boolean" && value !== "0" && value !== "1") return `type check ('boolean') failed - got '${value}'`;
  if (typeof s.format === "string") {
    const check = NAMED_FORMATS[s.format];
    if (check) {
      const problem = check(value);
      if (problem) return `invalid format - ${problem}\n`;
    } else UNCHECKED_FORMATS.add(s.format);
  } else if (s.format && typeof s.format === "object") {
    const problem = checkPropertyString(value, s.format);
    if (problem) return problem;
  }
  if (s.pattern && !translatePattern(s.pattern).test(value)) return "value does not match the regex pattern";
  if (s.maxLength !== undefined && value.length > s.maxLength) return `value may only be ${s.maxLength} characters long`;
  if (s.minLength !== undefined && value.length < s.minLength) return `value must be at least ${s.minLength} characters long`;
  if ((type === "integer" || type === "number") && s.maximum !== undefined && Number(value) > s.maximum) return `value must have a maximum value of ${s.maximum}`;
  if ((type === "integer" || type === "number") && s.minimum !== undefined && Number(value) < s.minimum) return `value must have a minimum value of ${s.minimum}`;
  if (s.enum && !s.enum.includes(value)) return `value '${value}' does not have a value in the enumeration '${s.enum.join(", ")}'`;
  return undefined;
}

/** "key=value,key=value" with an optional bare first value for the default key. */
function checkPropertyString(value: string, format: Record<string, ParamSchema>): string | undefined {
  const seen = new Set<string>();
  const defaultKey = Object.entries(format).find(([, sub]) => sub.default_key)?.[0];
  for (const part of value.split(",")) {
    if (part === "") return "invalid format - empty property\n";
    const eq = part.indexOf("=");
    let key: string;
    let sub: string;
    if (eq < 0) {
      if (!defaultKey || seen.has(defaultKey)) return `invalid format - value without key, but schema does not define a default key\n`;
      key = defaultKey;
      sub = part;
    } else {
      key = part.slice(0, eq);
      sub = part.slice(eq + 1);
    }
    let spec = format[key];
    if (!spec) return `invalid format - property '${key}' is not defined in schema\n`;
    if (spec.keyAlias) {
      // e.g. qemu "virtio=AA:BB:…": the key names the model, the value is the MAC.
      seen.add(spec.keyAlias);
      const aliasSpec = format[spec.keyAlias];
      if (aliasSpec?.enum && !aliasSpec.enum.includes(key)) return `invalid format - ${spec.keyAlias}: value '${key}' not allowed\n`;
    }
    if (spec.alias) {
      key = spec.alias;
      spec = format[key];
      if (!spec) return `invalid format - alias to unknown property\n`;
    }
    if (seen.has(key)) return `invalid format - duplicate key in comma-separated list property: ${key}\n`;
    seen.add(key);
    const problem = checkScalar(sub, spec);
    if (problem) return `invalid format - ${key}: ${problem.replace(/^invalid format - /, "")}`;
  }
  for (const [key, sub] of Object.entries(format)) {
    if (!sub.optional && !sub.alias && !sub.keyAlias && sub.default === undefined && !seen.has(key)) return `invalid format - property '${key}' is missing\n`;
  }
  return undefined;
}

/** "net0" finds "net[n]"; PVE numbers indexed options from 0 (we accept up to 31). */
function findParam(op: Operation, name: string): ParamSchema | undefined {
  const direct = op.params[name];
  if (direct) return direct;
  const m = /^([a-z_-]+?)(\d{1,2})$/i.exec(name);
  if (m && Number(m[2]) <= 31) return op.params[`${m[1]}[n]`];
  return undefined;
}

function matchTemplate(method: string, segments: string[]): { template: Template; pathParams: Record<string, string> } | "no-path" | "no-method" {
  let best: { template: Template; pathParams: Record<string, string> } | undefined;
  let pathExists = false;
  for (const t of TEMPLATES) {
    if (t.segments.length !== segments.length) continue;
    const pathParams: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length; i++) {
      const want = t.segments[i] as string;
      const got = segments[i] as string;
      if (want.startsWith("{")) pathParams[want.slice(1, -1)] = got;
      else if (want !== got) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    pathExists = true;
    if (t.method !== method) continue;
    if (!best || t.literals > best.template.literals) best = { template: t, pathParams };
  }
  return best ?? (pathExists ? "no-method" : "no-path");
}

export function checkRequest(method: Method, apiPath: string, params: WireParams): SchemaCheck {
  const notImplemented = { ok: false as const, status: 501 as const, message: `Method '${method} ${apiPath}' not implemented` };
  let segments: string[];
  try {
    segments = apiPath.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return notImplemented;
  }
  if (segments.some((s) => s.includes("/"))) return notImplemented;
  const match = matchTemplate(method, segments);
  if (typeof match === "string") return notImplemented;
  const op = OPS[`${method} ${match.template.path}`] as Operation;
  const errors: Record<string, string> = {};
  const all: WireParams = { ...params };
  for (const [name, value] of Object.entries(match.pathParams)) {
    if (name in params) errors[name] = "duplicate parameter (path and body)";
    all[name] = value;
  }
  for (const [name, raw] of Object.entries(all)) {
    const spec = findParam(op, name);
    if (!spec) {
      if (!op.additional) errors[name] = "property is not defined in schema and the schema does not allow additional properties";
      continue;
    }
    if (spec.type === "array") {
      for (const item of Array.isArray(raw) ? raw : [raw]) {
        const problem = spec.items ? checkScalar(item, spec.items) : undefined;
        if (problem) errors[name] = problem;
      }
      continue;
    }
    if (Array.isArray(raw)) {
      errors[name] = `type check ('${spec.type ?? "string"}') failed - got ARRAY`;
      continue;
    }
    const problem = checkScalar(raw, spec);
    if (problem) errors[name] = problem;
  }
  for (const [name, spec] of Object.entries(op.params)) {
    if (!spec.optional && !name.endsWith("[n]") && !(name in all)) errors[name] = "property is missing and it is not optional";
  }
  if (Object.keys(errors).length > 0) return { ok: false, status: 400, message: "Parameter verification failed.", errors };
  return { ok: true, template: match.template.path, pathParams: match.pathParams, params };
}

/** Problems when `data` does not fit the operation's declared `returns` (undeclared extras are fine). */
export function checkReturns(method: Method, template: string, data: unknown): string[] {
  const op = OPS[`${method} ${template}`];
  if (!op) return [`no such operation ${method} ${template}`];
  const problems: string[] = [];
  checkValue(op.returns as ReturnSchema, data, "data", problems);
  return problems;
}

interface ReturnSchema {
  type?: string | string[];
  optional?: number;
  properties?: Record<string, ReturnSchema>;
  items?: ReturnSchema;
  enum?: string[];
}

function checkValue(s: ReturnSchema | undefined, value: unknown, where: string, problems: string[]): void {
  if (!s || s.type === undefined || value === undefined) return;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const fits = types.some((t) => {
    switch (t) {
      case "null":
        return value === null;
      case "array":
        return Array.isArray(value);
      case "object":
        return typeof value === "object" && value !== null && !Array.isArray(value);
      case "integer":
        return Number.isInteger(value);
      case "number":
        return typeof value === "number";
      case "boolean":
        return value === 0 || value === 1 || typeof value === "boolean";
      case "string":
        return typeof value === "string";
      default:
        return true;
    }
  });
  if (!fits) {
    problems.push(`${where}: expected ${types.join("|")}, got ${JSON.stringify(value)?.slice(0, 40)}`);
    return;
  }
  if (s.enum && typeof value === "string" && !s.enum.includes(value)) problems.push(`${where}: '${value}' not in enum`);
  if (Array.isArray(value) && s.items) value.forEach((item, i) => checkValue(s.items, item, `${where}[${i}]`, problems));
  if (s.properties && typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, sub] of Object.entries(s.properties)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) {
        if (!sub.optional) problems.push(`${where}.${key}: required property missing`);
        continue;
      }
      checkValue(sub, v, `${where}.${key}`, problems);
    }
  }
}
