// Checks requests the way PVE does, against the facts derived from the official API schema
// (schema.ts), and answers as PVE would: 501 "Method '<METHOD> <path>' not implemented" when
// no handler exists, 400 "Parameter verification failed." with one error per parameter
// otherwise. The rules and messages are those of pve-common's PVE::JSONSchema (check_prop,
// check_type, check_object, parse_property_string), pve-http-server and pve-manager's
// request handling, as summarised in ../shared/pve-api/formats-and-conventions.json.
//
// Also checks response data against an operation's `returns` schema (checkReturns), so tests
// can prove the simulator answers in PVE's shapes.
import { eachOperation, type Method, matchPath, namedPropertyStringFormat, namedPropertyStringFormats, type Operation, operation, type PropSchema, perlTrue } from "./schema.ts";

export type { Method } from "./schema.ts";
/** Query-string or form values exactly as received (strings); repeated keys become arrays. */
export type WireParams = Record<string, string | string[]>;
export type SchemaCheck =
  | { ok: true; template: string; pathParams: Record<string, string>; params: WireParams }
  | { ok: false; status: 400; message: string; errors: Record<string, string> }
  | { ok: false; status: 501; message: string };

type Errors = Record<string, string>;

const PARAMETER_FAILURE = "Parameter verification failed.";

// --- requests ----------------------------------------------------------------------------

/**
 * apiPath: the URL path after "/api2/json", still percent-encoded as received.
 *
 * As pve-http-server does, the whole path is percent-decoded before it is split on "/", so
 * an encoded slash separates segments too (except below storage content, where PVE joins
 * the rest back into the volume ID). Empty segments are skipped.
 */
export function checkRequest(method: Method, apiPath: string, params: WireParams): SchemaCheck {
  const relUri = percentDecode(apiPath.split("?")[0] ?? "") || "/";
  const match = matchPath(relUri.split("/").filter((s) => s.length > 0));
  const op = match && operation(method, match.template);
  if (!match || !op) return { ok: false, status: 501, message: `Method '${method} ${relUri}' not implemented` };

  // ExtJS's cache-buster; pve-http-server drops it before anything looks at the parameters.
  const body = { ...params };
  delete body._dc;

  // pve-manager takes URI parameters first; a body/query copy may repeat one, not change it.
  for (const name of Object.keys(body).sort()) {
    const fromUri = match.pathParams[name];
    const value = body[name] as string | string[];
    if (fromUri !== undefined && fromUri !== joinRepeated(value)) {
      return badRequest({ [name]: "duplicate parameter (already defined in URI) with conflicting values!" });
    }
  }

  const errors = checkParameters(op, { ...match.pathParams, ...body });
  if (Object.keys(errors).length > 0) return badRequest(errors);
  return { ok: true, template: match.template, pathParams: match.pathParams, params: body };
}

function badRequest(errors: Errors): SchemaCheck {
  return { ok: false, status: 400, message: PARAMETER_FAILURE, errors };
}

/** pve-http-server joins repeated form/query keys with NUL before anything else sees them. */
function joinRepeated(value: string | string[]): string {
  return Array.isArray(value) ? value.join("\0") : value;
}

/** URI::Escape's uri_unescape: %XX to bytes; read as UTF-8 when they are, else byte by byte. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split("%"), (hex) => Number.parseInt(hex, 16));
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return String.fromCharCode(...bytes);
    }
  });
}

/** The whole parameter object, as JSONSchema::validate checks it. */
function checkParameters(op: Operation, values: WireParams): Errors {
  const errors: Errors = {};
  // The API dump leaves out an empty `properties`; PVE's sources declare it as {} (and an
  // empty hash is enough for check_prop to check the object), so a missing one means none.
  const props = op.parameters.properties ?? {};
  const additional = op.parameters.additionalProperties;
  const wire: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const schema = propertySchema(props, name);
    // Array parameters travel as repeated keys; everything else sees them NUL-joined.
    wire[name] = schema?.type === "array" ? (Array.isArray(value) ? value : [value]) : joinRepeated(value);
  }
  checkObject("", objectShape(props, wire), wire, additional, errors, checkWireProp);
  return errors;
}

/**
 * "net0" finds "net[n]" (PVE registers net0..netN; its API dump folds them into one). The
 * index must be written as PVE writes it (no leading zeros) and be within the range.
 */
function propertySchema(props: Record<string, PropSchema>, name: string): PropSchema | undefined {
  if (!name.endsWith("[n]") && Object.hasOwn(props, name)) return props[name];
  const m = /^([a-z]+)(\d+)$/.exec(name);
  if (!m) return undefined;
  const indexed = props[`${m[1]}[n]`];
  const index = Number(m[2]);
  if (!indexed || String(index) !== m[2] || index > (indexed.indexMax ?? 0)) return undefined;
  return indexed;
}

/**
 * The names check_object walks: every declared property, with `net[n]` standing for the
 * indexed ones the value uses (indexed properties are all optional in PVE's schema, so the
 * unused slots have nothing to report).
 */
function objectShape(props: Record<string, PropSchema>, values: Record<string, unknown>): Shape {
  const names = new Set(Object.keys(props).filter((n) => !n.endsWith("[n]")));
  for (const name of Object.keys(values)) if (propertySchema(props, name)) names.add(name);
  return { names: [...names].sort(), get: (name) => propertySchema(props, name) };
}

// --- PVE::JSONSchema, the object and property checks ----------------------------------------

/** What check_object needs from a set of properties. */
interface Shape {
  names: string[];
  get(name: string): PropSchema | undefined;
}

/** Checks one value against one property schema, adding errors under `path`. */
type PropCheck = (value: unknown, schema: PropSchema, path: string, errors: Errors, instanceType?: string) => void;

/** PVE's add_error: '_root' for the top, and a second message joined by a literal "\n". */
function addError(errors: Errors, path: string, message: string): void {
  const key = path || "_root";
  // (Perl's join('\n', ...) in single quotes: backslash and n, not a newline.)
  errors[key] = errors[key] === undefined ? message : `${errors[key]}\\n${message}`;
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function checkObject(path: string, shape: Shape, value: Record<string, unknown>, additional: PropSchema["additionalProperties"], errors: Errors, check: PropCheck): void {
  for (const name of shape.names) {
    const schema = shape.get(name) as PropSchema;
    check(value[name], schema, joinPath(path, name), errors, instanceTypeOf(schema, value));
  }
  for (const name of Object.keys(value).sort()) {
    const subPath = joinPath(path, name);
    const schema = shape.get(name);
    if (schema) {
      const requires = schema.requires;
      if (typeof requires === "string" && value[requires] === undefined) {
        addError(errors, joinPath(path, requires), `missing property - '${subPath}' requires this property`);
      } else if (requires && typeof requires === "object") {
        check(value, requires, path, errors);
      }
      if (!schema.oneOf || oneOfMatches(schema, instanceTypeOf(schema, value))) continue;
    }
    if (additional !== undefined && !isSchema(additional) && !perlTrue(additional)) {
      addError(errors, subPath, "property is not defined in schema and the schema does not allow additional properties");
      continue;
    }
    if (isSchema(additional)) check(value[name], additional, subPath, errors);
  }
}

function isSchema(value: unknown): value is PropSchema {
  return typeof value === "object" && value !== null;
}

/** For properties that depend on another one ("type-property"), that one's value. */
function instanceTypeOf(schema: PropSchema, value: Record<string, unknown>): string | undefined {
  const property = schema["type-property"];
  const type = property === undefined ? undefined : value[property];
  return typeof type === "string" ? type : undefined;
}

/** A oneOf property is declared for an instance type when one of its variants names it. */
function oneOfMatches(schema: PropSchema, instanceType: string | undefined): boolean {
  return (schema.oneOf ?? []).some((variant) => !variant["instance-types"] || (instanceType !== undefined && variant["instance-types"].includes(instanceType)));
}

/**
 * Shared start of check_prop: variants chosen by instance type, then "missing and not
 * optional". Returns false when there is nothing more to check.
 */
function checkPresence(value: unknown, schema: PropSchema, path: string, errors: Errors, instanceType: string | undefined, check: PropCheck): boolean {
  let optionalForType = false;
  if (schema.oneOf && schema["type-property"]) {
    optionalForType = true; // no instance type given: the property is treated as optional
    for (const variant of instanceType === undefined ? [] : schema.oneOf) {
      if (!variant["instance-types"]) {
        addError(errors, path, "missing 'instance-types' in oneOf alternative");
        return false;
      }
      if (!variant["instance-types"].includes(instanceType as string)) continue;
      optionalForType = perlTrue(variant.optional);
      check(value, variant, path, errors);
    }
  } else if (schema.oneOf) {
    const failures = schema.oneOf.map((variant, i) => {
      const inner: Errors = {};
      check(value, variant, `${path}.oneOf[${i}]`, inner);
      return inner;
    });
    if (failures.every((inner) => Object.keys(inner).length > 0)) for (const inner of failures) for (const [p, m] of Object.entries(inner)) addError(errors, p, m);
  } else if (instanceType !== undefined && !schema["instance-types"]) {
    addError(errors, path, "missing 'instance-types'");
    return false;
  }
  // (PVE also means to make a property optional for other instance types here, but reads
  // 'instance_types', which never exists; so it does not, and neither do we.)
  if (value === undefined || value === null) {
    if (schema.type !== "null" && !perlTrue(schema.optional) && !schema.alias && !optionalForType) {
      addError(errors, path, "property is missing and it is not optional");
    }
    return false;
  }
  return true;
}

/** check_prop for request values: strings (arrays only for array-typed parameters). */
const checkWireProp: PropCheck = (value, schema, path, errors, instanceType) => {
  if (!checkPresence(value, schema, path, errors, instanceType, checkWireProp)) return;
  if (Array.isArray(value)) {
    if (!typeAccepts(schema.type, "array")) return addError(errors, path, `type check ('${typeText(schema.type)}') failed - got ARRAY`);
    if (schema.items) value.forEach((item, i) => checkWireProp(item, schema.items as PropSchema, `${path}[${i}]`, errors));
    return;
  }
  const text = String(value);
  const typeError = wireTypeError(schema.type, text);
  if (typeError) return addError(errors, path, typeError);
  checkScalar(text, schema, path, errors);
};

function typeAccepts(type: PropSchema["type"], wanted: string): boolean {
  return type === undefined || type === "any" || type === wanted || (Array.isArray(type) && type.includes(wanted));
}

function typeText(type: PropSchema["type"]): string {
  return Array.isArray(type) ? type.join("|") : String(type);
}

/** check_type for a plain (non-reference) value, as it arrives on the wire: a string. */
function wireTypeError(type: PropSchema["type"], value: string): string | undefined {
  if (type === undefined) return undefined;
  if (Array.isArray(type)) return type.some((t) => wireTypeError(t, value) === undefined) ? undefined : `type check ('${type.join("|")}') failed`;
  switch (type) {
    case "boolean": // on the wire, only 0 and 1 (true/yes/on are for property strings and the CLI)
      return value === "1" || value === "0" ? undefined : `type check ('boolean') failed - got '${value}'`;
    case "integer":
      return isInteger(value) ? undefined : `type check ('integer') failed - got '${value}'`;
    case "number":
      return isNumber(value) ? undefined : `type check ('number') failed - got '${value}'`;
    case "null":
      return "type check ('null') failed - value is not null";
    case "array":
    case "object":
      return `type check ('${type}') failed`;
    default: // string, any, and types PVE does not verify
      return undefined;
  }
}

/** Perl's `$` also matches before a final newline, and PVE's checks are all m/^...$/. */
function perlWhole(re: RegExp, value: string): boolean {
  return re.test(value) || (value.endsWith("\n") && re.test(value.slice(0, -1)));
}

function isInteger(value: string): boolean {
  return perlWhole(/^[+-]?\d+$/, value);
}

function isNumber(value: string): boolean {
  return perlWhole(/^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/, value);
}

/** The checks after the type, in PVE's order; the first failure is the error. */
function checkScalar(value: string, schema: PropSchema, path: string, errors: Errors): void {
  if (schema.format !== undefined) {
    const problem = formatError(schema.format, value, path);
    if (problem !== undefined) return addError(errors, path, `invalid format - ${problem}`);
  }
  if (schema.pattern !== undefined) {
    const re = perlPattern(schema.pattern);
    if (re && !perlWhole(re, value)) return addError(errors, path, "value does not match the regex pattern");
  }
  const length = [...value].length; // characters, as Perl counts a decoded string
  if (schema.maxLength !== undefined && length > Number(schema.maxLength)) return addError(errors, path, `value may only be ${schema.maxLength} characters long`);
  if (schema.minLength !== undefined && length < Number(schema.minLength)) return addError(errors, path, `value must be at least ${schema.minLength} characters long`);
  if (isNumber(value)) {
    if (schema.maximum !== undefined && Number(value) > Number(schema.maximum)) return addError(errors, path, `value must have a maximum value of ${schema.maximum}`);
    if (schema.minimum !== undefined && Number(value) < Number(schema.minimum)) return addError(errors, path, `value must have a minimum value of ${schema.minimum}`);
  }
  if (schema.enum && !schema.enum.some((allowed) => String(allowed) === value)) {
    addError(errors, path, `value '${value}' does not have a value in the enumeration '${schema.enum.join(", ")}'`);
  }
}

const PATTERNS = new Map<string, RegExp | undefined>();

/**
 * A schema pattern (Perl syntax, applied as ^pattern$) as a JavaScript RegExp. Perl's
 * "(?^:" and "(?^i:" groups reset or set flags; "{,n}" means "{0,n}" since Perl 5.34;
 * atomic groups "(?>...)" become their lookahead equivalent. Undefined when JavaScript
 * cannot express it (a test makes sure none of PVE's patterns is such).
 */
export function perlPattern(pattern: string): RegExp | undefined {
  if (!PATTERNS.has(pattern)) {
    const js = atomicGroupsAsLookaheads(pattern)
      .replace(/\(\?\^i:/g, "(?i:")
      .replace(/\(\?\^:/g, "(?-i:")
      .replace(/\{,(\d+)\}/g, "{0,$1}");
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^(?:${js})$`);
    } catch {
      re = undefined;
    }
    PATTERNS.set(pattern, re);
  }
  return PATTERNS.get(pattern);
}

/**
 * JavaScript has no atomic groups; "(?:(?=(?<a>X))\k<a>)" matches what "(?>X)" does, without
 * backtracking into X (which keeps patterns like "((?>[\w]+,?)+)" from taking forever).
 */
function atomicGroupsAsLookaheads(pattern: string): string {
  let out = "";
  let inClass = false;
  let count = 0;
  const open: Array<string | undefined> = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\") {
      out += c + (pattern[++i] ?? "");
    } else if (inClass) {
      if (c === "]") inClass = false;
      out += c;
    } else if (c === "[") {
      inClass = true;
      out += c;
      // a "]" right after "[" or "[^" is a literal
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") out += pattern[++i];
    } else if (c === "(" && pattern.startsWith("(?>", i)) {
      const name = `atomic${count++}`;
      open.push(name);
      out += `(?:(?=(?<${name}>`;
      i += 2;
    } else if (c === "(") {
      open.push(undefined);
      out += c;
    } else if (c === ")") {
      const name = open.pop();
      out += name === undefined ? c : `))\\k<${name}>)`;
    } else {
      out += c;
    }
  }
  return out;
}

// --- formats -------------------------------------------------------------------------------

/**
 * check_format: the error text (as PVE dies with it, newline included), or undefined.
 * A name ending in -list is a list of the base format; -opt allows an empty value.
 */
function formatError(format: NonNullable<PropSchema["format"]>, value: string, path: string): string | undefined {
  if (typeof format === "object") return propertyStringError(format, value, path);
  if (format === "regex") return undefined;
  const [, base = format, kind] = /^(.*?)(?:-(list|opt))?$/.exec(format) ?? [];
  const hash = namedPropertyStringFormat(base);
  const check = NAMED_FORMATS[base];
  if (hash && kind) return `'-${kind}' format must have code ref, not hash\n`;
  if (hash) return propertyStringError(hash, value, path);
  if (!check) {
    UNCHECKED_FORMATS.add(format);
    return undefined;
  }
  if (kind === "list") {
    for (const item of splitList(value)) {
      const problem = check(item);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (kind === "opt") return perlTrue(value) ? check(value) : undefined;
  return check(value);
}

/** PVE::Tools::split_list: NUL-separated if there is a NUL, else by commas, semicolons, spaces. */
function splitList(text: string): string[] {
  if (text.includes("\0")) return dropTrailingEmpty(text.split("\0"));
  return text
    .replace(/[,;]/g, " ")
    .split(/\s+/)
    .filter((item) => item !== "");
}

/** Perl's split drops trailing empty fields. */
function dropTrailingEmpty(parts: string[]): string[] {
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** PVE::JSONSchema::parse_boolean, used for boolean sub-keys of property strings. */
function parseBoolean(value: string): string | undefined {
  if (/^(1|on|yes|true)$/i.test(value)) return "1";
  if (/^(0|off|no|false)$/i.test(value)) return "0";
  return undefined;
}

/**
 * parse_property_string, then check_object on the result: "key=value" parts separated by
 * commas, a bare value for the default key, aliases, unknown keys refused, every sub-value
 * checked by its own schema. Sub-key errors come back as PVE prints them: "format error"
 * followed by one "<param>.<key>: <message>" line each.
 */
function propertyStringError(format: Record<string, PropSchema>, data: string, path: string): string | undefined {
  const parsed: Record<string, string> = {};
  let defaultKey: string | undefined;
  for (const part of dropTrailingEmpty(data.split(","))) {
    if (/^\s*$/.test(part)) continue;
    const pair = /^([^=]+)=(.+)$/.exec(part);
    if (pair) {
      let key = pair[1] as string;
      let value = pair[2] as string;
      if (parsed[key] !== undefined) return `duplicate key in comma-separated list property: ${key}\n`;
      let schema = Object.hasOwn(format, key) ? format[key] : undefined;
      if (schema?.alias) {
        if (schema.keyAlias) {
          if (parsed[schema.keyAlias] !== undefined) return `key alias '${schema.keyAlias}' is already defined\n`;
          parsed[schema.keyAlias] = key;
        }
        key = schema.alias;
        schema = Object.hasOwn(format, key) ? format[key] : undefined;
      }
      if (!schema) return `invalid key in comma-separated list property: ${key}\n`;
      if (schema.type === "boolean") value = parseBoolean(value) ?? value;
      parsed[key] = value;
    } else if (!part.includes("=")) {
      if (defaultKey !== undefined) return `duplicate key in comma-separated list property: ${defaultKey}\n`;
      defaultKey = Object.keys(format).find((key) => perlTrue(format[key]?.default_key));
      if (defaultKey === undefined) return "value without key, but schema does not define a default key\n";
      if (perlTrue(parsed[defaultKey])) return `duplicate key in comma-separated list property: ${defaultKey}\n`;
      parsed[defaultKey] = part;
    } else {
      return "missing key in comma-separated list property\n";
    }
  }
  const errors: Errors = {};
  checkObject(path, objectShape(format, parsed), parsed, 0, errors, checkWireProp);
  const keys = Object.keys(errors).sort();
  if (keys.length === 0) return undefined;
  return `format error\n${keys.map((key) => `${key}: ${errors[key]}\n`).join("")}`;
}

/** A named format's check: PVE's error text for a bad value (newline included), else undefined. */
type FormatCheck = (value: string) => string | undefined;

const regexCheck =
  (re: RegExp, message: (value: string) => string): FormatCheck =>
  (value) =>
    perlWhole(re, value) ? undefined : `${message(value)}\n`;

// PVE::Tools' address expressions; the IPv6 one is RFC 3986's grammar.
const IPV4 = "(?:(?:(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])\\.){3}(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9]))";
const H16 = "(?:[0-9a-fA-F]{1,4})";
const LS32 = `(?:${H16}:${H16}|${IPV4})`;
const IPV6 = `(?:(?:${H16}:){6}${LS32}|::(?:${H16}:){5}${LS32}|(?:${H16})?::(?:${H16}:){4}${LS32}|(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}|(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}|(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}|(?:(?:${H16}:){0,4}${H16})?::${LS32}|(?:(?:${H16}:){0,5}${H16})?::${H16}|(?:(?:${H16}:){0,6}${H16})?::)`;
const EMAIL_USER = "[\\w+\\-~]+(?:\\.[\\w+\\-~]+)*";
const EMAIL = `${EMAIL_USER}@[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*`;
const DNS_LABEL = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)";
const REALM = "[A-Za-z][A-Za-z0-9.\\-_]+";
const USER = "[^\\s:/]+";

const IPV4_RE = new RegExp(`^${IPV4}$`);
const IPV6_RE = new RegExp(`^${IPV6}$`);
const DNS_RE = new RegExp(`^(?:${DNS_LABEL}\\.)*${DNS_LABEL}$`);
const CIDRV4_RE = new RegExp(`^(?:${IPV4})/(\\d+)$`);
const CIDRV6_RE = new RegExp(`^(?:${IPV6})/(\\d+)$`);
const isIpv4 = (v: string) => perlWhole(IPV4_RE, v);
const isIpv6 = (v: string) => perlWhole(IPV6_RE, v);
const isDnsName = (v: string) => perlWhole(DNS_RE, v);

/** "<address>/<bits>" with more than 7 and at most `maxBits` bits. */
function isCidr(value: string, re: RegExp, maxBits: number): boolean {
  const m = re.exec(value.endsWith("\n") ? value.slice(0, -1) : value);
  return m !== null && Number(m[1]) > 7 && Number(m[1]) <= maxBits;
}

const IPV4_MASKS = new Set(Array.from({ length: 33 }, (_, bits) => [24, 16, 8, 0].map((shift) => ((bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0) >>> shift) & 255).join(".")));

/** pve-common's parse_id, for storage IDs and the like. */
const idCheck =
  (what: string): FormatCheck =>
  (value) => {
    if (value.length < 2) return `${what} ID '${value}' cannot be shorter than 2 characters\n`;
    return perlWhole(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i, value) ? undefined : `${what} ID '${value}' contains illegal characters\n`;
  };

/** A volume ID: "<storage>:<name>". */
const volumeIdCheck = regexCheck(/^[a-z][a-z0-9\-_.]*[a-z0-9]:.+$/i, (v) => `unable to parse volume ID '${v}'`);

/** A storage-pair / bridge-pair entry: "1", "<id>", or "<source>:<target>" (PVE's parse_idmap). */
const idPairCheck =
  (idCheckFor: FormatCheck): FormatCheck =>
  (entry) => {
    if (entry === "1") return undefined;
    const pair = /^([^:]+):([^:]+)$/.exec(entry);
    const problem = pair ? (idCheckFor(pair[1] as string) ?? idCheckFor(pair[2] as string)) : idCheckFor(entry);
    // Wrapped twice, each time with a newline, as parse_idmap and its caller do.
    return problem === undefined ? undefined : `entry '${entry}' contains invalid ID - ${problem}\n\n`;
  };

/** PVE's startup order: "[order=]N", "up=N", "down=N", comma-separated. */
function isStartupOrder(value: string): boolean {
  if (!perlTrue(value)) return false;
  return value.split(",").every((part) => /^\s*$/.test(part) || /^(order=)?\d+$/.test(part) || /^up=\d+$/.test(part) || /^down=\d+$/.test(part));
}

/** qemu-server's hotplug features: "0", "1" (the default set), or a list of known ones. */
function hotplugError(value: string): string | undefined {
  if (value === "0" || value === "1") return undefined;
  const bad = splitList(value).find((feature) => !/^(network|disk|cpu|memory|usb|cloudinit)$/.test(feature));
  return bad === undefined ? undefined : `invalid hotplug feature '${bad}'\n`;
}

/** qemu-server's drive names (the ranges are those of ide[n], scsi[n], ... in the schema). */
const DRIVE_NAME = /^(?:ide[0-3]|sata[0-5]|scsi(?:[0-9]|[12][0-9]|30)|virtio(?:[0-9]|1[0-5])|efidisk0|tpmstate0)$/;

/** A path that must not climb out with "." or ".." components (pve-container mount points). */
const mountPathCheck: FormatCheck = (value) => (/\/\.\.?\//.test(value) || /\/\.\.?$/.test(value) || /^\.\.\//.test(value) ? `${value} contains illegal character sequences\n` : undefined);

/** PVE's VLAN tag or range "N" / "N-M" with 2 <= tag <= 4094. */
function vlanError(value: string): string | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) return `invalid VLAN configuration '${value}'\n`;
  for (const tag of [m[1], m[2]]) if (tag !== undefined && perlTrue(tag) && (Number(tag) < 2 || Number(tag) > 4094)) return `invalid VLAN tag '${tag}'\n`;
  if (m[2] !== undefined && perlTrue(m[2]) && Number(m[1]) >= Number(m[2])) return `VLAN range must go from lower to higher tag '${value}'\n`;
  return undefined;
}

const storageId = idCheck("storage");
const bridgeId = regexCheck(/^[-_.\w\d]+$/, (v) => `invalid bridge ID '${v}'`);

/**
 * The named formats this checker verifies, with PVE's messages. The sources are pve-common
 * (JSONSchema.pm, Tools.pm), pve-access-control, pve-storage, qemu-server and pve-container.
 * Anything else named in the schema is accepted and listed in UNCHECKED_FORMATS.
 */
const NAMED_FORMATS: Record<string, FormatCheck> = {
  string: () => undefined,
  "pve-node": regexCheck(/^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/, () => "value does not look like a valid node name"),
  "pve-vmid": regexCheck(/^[1-9][0-9]{2,8}$/, () => "value does not look like a valid VM ID"),
  "pve-configid": regexCheck(/^[a-z][a-z0-9_-]+$/i, (v) => `invalid configuration ID '${v}'`),
  "pve-storage-id": storageId,
  "acme-plugin-id": idCheck("ACME plugin"),
  "pve-bridge-id": bridgeId,
  "pve-tag": regexCheck(/^[a-z0-9_][a-z0-9_\-+.]*$/i, () => "invalid characters in tag"),
  urlencoded: regexCheck(/^[-%a-zA-Z0-9_.!~*'()]*$/, (v) => `invalid urlencoded string: ${v}`),
  "mac-addr": regexCheck(/^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i, () => "value does not look like a valid unicast MAC address"),
  ipv4: (v) => (isIpv4(v) ? undefined : "value does not look like a valid IPv4 address\n"),
  ipv6: (v) => (isIpv6(v) ? undefined : "value does not look like a valid IPv6 address\n"),
  ip: (v) => (isIpv4(v) || isIpv6(v) ? undefined : "value does not look like a valid IP address\n"),
  ipv4mask: (v) => (IPV4_MASKS.has(v) ? undefined : "value does not look like a valid IP netmask\n"),
  CIDRv4: (v) => (isCidr(v, CIDRV4_RE, 32) ? undefined : "value does not look like a valid IPv4 CIDR network\n"),
  CIDRv6: (v) => (isCidr(v, CIDRV6_RE, 128) ? undefined : "value does not look like a valid IPv6 CIDR network\n"),
  CIDR: (v) => (isCidr(v, CIDRV4_RE, 32) || isCidr(v, CIDRV6_RE, 128) ? undefined : "value does not look like a valid CIDR network\n"),
  "pve-ipv4-config": (v) => (/^(?:dhcp|manual)$/.test(v) || isCidr(v, CIDRV4_RE, 32) ? undefined : "value does not look like a valid ipv4 network configuration\n"),
  "pve-ipv6-config": (v) => (/^(?:auto|dhcp|manual)$/.test(v) || isCidr(v, CIDRV6_RE, 128) ? undefined : "value does not look like a valid ipv6 network configuration\n"),
  "dns-name": (v) => (isDnsName(v) ? undefined : "value does not look like a valid DNS name\n"),
  address: (v) => (isIpv4(v) || isIpv6(v) || isDnsName(v) ? undefined : `value does not look like a valid address: ${v}\n`),
  email: regexCheck(new RegExp(`^${EMAIL}$`), () => "value does not look like a valid email address"),
  "email-or-username": regexCheck(new RegExp(`^(?:${EMAIL}|${EMAIL_USER})$`), () => "value does not look like a valid email address or user name"),
  "ldap-simple-attr": regexCheck(/^[a-zA-Z0-9]+$/, (v) => `value '${v}' does not look like a simple ldap attribute name`),
  "pve-iface": regexCheck(/^[a-z][a-z0-9_]{1,20}([:.]\d+)?$/i, (v) => `invalid network interface name '${v}'`),
  "pve-vlan-id-or-range": vlanError,
  "disk-size": regexCheck(/^(\d+(\.\d+)?)([KMGT])?$/, (v) => `value does not look like a valid disk size: ${v}`),
  "pve-startup-order": (v) => (isStartupOrder(v) ? undefined : "unable to parse startup options\n"),
  "pve-task-status-type": regexCheck(/^(ok|error|warning|unknown)$/i, (v) => `invalid status '${v}'`),
  "pve-tfa-secret": regexCheck(/^(?:v2-0x[0-9a-fA-F]{16,128}|v2-[A-Z2-7=]{16,128}|[A-Z2-7=]{16}|[A-Fa-f0-9]{40})$/, () => "unable to decode TFA secret"),
  "storage-pair": idPairCheck(storageId),
  "bridge-pair": idPairCheck(bridgeId),
  // PVE's calendar events are parsed by a full grammar (PVE::CalendarEvent); we only check
  // the characters its specs use, so "daily", "mon..fri 08:00", "*-*-1 02:30" pass.
  "pve-calendar-event": regexCheck(/^[A-Za-z0-9 ,.:*/~+-]+$/, (v) => `unable to parse calendar event '${v}'`),
  // pve-access-control
  "pve-realm": regexCheck(new RegExp(`^${REALM}$`), () => "value does not look like a valid realm"),
  "pve-userid": (v) => {
    const length = [...v].length;
    if (length < 3) return `user name '${v}' is too short\n`;
    if (length > 64) return `user name '${v}' is too long (${length} > 64)\n`;
    return perlWhole(new RegExp(`^${USER}@${REALM}$`), v) ? undefined : `value '${v}' does not look like a valid user name\n`;
  },
  "pve-tokenid": regexCheck(new RegExp(`^${USER}@${REALM}!${REALM}$`), (v) => `value '${v}' does not look like a valid token ID`),
  "pve-groupid": regexCheck(/^[A-Za-z0-9.\-_]+$/, (v) => `group name '${v}' contains invalid characters`),
  "pve-roleid": regexCheck(/^[A-Za-z0-9.\-_]+$/, (v) => `role name '${v}' contains invalid characters`),
  // Pools nest since PVE 8.1: up to three levels, "parent/child/grandchild".
  "pve-poolid": regexCheck(/^[A-Za-z0-9.\-_]+(?:\/[A-Za-z0-9.\-_]+){0,2}$/, (v) => `pool name '${v}' contains invalid characters`),
  // pve-storage
  "pve-storage-content": (v) => (["images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import", "none"].includes(v) ? undefined : `invalid content type '${v}'\n`),
  "pve-volume-id": volumeIdCheck,
  "pve-storage-vgname": regexCheck(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i, (v) => `lvm name '${v}' contains illegal characters`),
  "pve-storage-options": regexCheck(/^\S+$/, (v) => `invalid options '${v}'`),
  // qemu-server
  "pve-volume-id-or-absolute-path": (v) => (v.startsWith("/") ? undefined : volumeIdCheck(v)),
  "pve-volume-id-or-qm-path": (v) => (v === "none" || v === "cdrom" || v.startsWith("/") ? undefined : volumeIdCheck(v)),
  "pve-qm-bootdisk": regexCheck(DRIVE_NAME, (v) => `invalid boot disk '${v}'`),
  "pve-hotplug-features": hotplugError,
  // pve-container
  "pve-lxc-mp-string": mountPathCheck,
};

/**
 * Formats the schema names that this checker does not verify: values in them are accepted.
 * Filled from the whole schema when this module loads, so it is complete from the start.
 */
export const UNCHECKED_FORMATS = new Set<string>();

/** Named formats (and their -list/-opt forms) the checker verifies. */
export const CHECKED_FORMATS = new Set<string>();

function noteFormats(schema: PropSchema | undefined): void {
  if (!schema) return;
  if (typeof schema.format === "string" && schema.format !== "regex") {
    const base = /^(.*?)(?:-(list|opt))?$/.exec(schema.format)?.[1] ?? schema.format;
    (NAMED_FORMATS[base] || namedPropertyStringFormat(base) ? CHECKED_FORMATS : UNCHECKED_FORMATS).add(schema.format);
  }
  if (typeof schema.format === "object") for (const sub of Object.values(schema.format)) noteFormats(sub);
  for (const sub of Object.values(schema.properties ?? {})) noteFormats(sub);
  for (const sub of schema.oneOf ?? []) noteFormats(sub);
  noteFormats(schema.items);
  if (isSchema(schema.additionalProperties)) noteFormats(schema.additionalProperties);
}

for (const [, , op] of eachOperation()) {
  for (const sub of Object.values(op.parameters.properties ?? {})) noteFormats(sub);
  noteFormats(op.returns);
}
for (const name of namedPropertyStringFormats()) for (const sub of Object.values(namedPropertyStringFormat(name) ?? {})) noteFormats(sub);

// --- responses -----------------------------------------------------------------------------

/**
 * Problems (empty = fine) when `data` does not match the operation's declared `returns`.
 * PVE checks its own results with the same rules as parameters, on Perl values; here the
 * values are JSON, so a number must be a JSON number and a string a JSON string (a client
 * sees the difference). Lenient where PVE is: undeclared extra properties are fine unless
 * the schema forbids them, booleans may be true/false or 0/1.
 */
export function checkReturns(method: Method, template: string, data: unknown): string[] {
  const op = operation(method, template);
  if (!op) return [`no operation '${method} ${template}' in the schema`];
  if (!op.returns) return [];
  const errors: Errors = {};
  checkJsonProp(data, op.returns, "data", errors);
  return Object.keys(errors)
    .sort()
    .map((path) => `${path}: ${errors[path]}`);
}

/** check_prop for JSON values. */
const checkJsonProp: PropCheck = (value, schema, path, errors, instanceType) => {
  if (!checkPresence(value, schema, path, errors, instanceType, checkJsonProp)) return;
  const kind = jsonKind(value);
  if (schema.type !== undefined && !jsonTypeFits(schema.type, value)) {
    return addError(errors, path, `type check ('${typeText(schema.type)}') failed - got ${kind === "string" ? `'${String(value)}'` : kind === "number" ? String(value) : kind}`);
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => checkJsonProp(item, schema.items as PropSchema, `${path}[${i}]`, errors));
    return;
  }
  if (kind === "object") {
    if (schema.properties || perlTrue(schema.additionalProperties)) {
      const object = value as Record<string, unknown>;
      checkObject(path, objectShape(schema.properties ?? {}, object), object, schema.additionalProperties, errors, checkJsonProp);
    }
    return;
  }
  if (kind === "string" || kind === "number") checkScalar(String(value), schema, path, errors);
};

function jsonKind(value: unknown): "array" | "object" | "string" | "number" | "boolean" | "null" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const kind = typeof value;
  return kind === "string" || kind === "number" || kind === "boolean" ? kind : "object";
}

function jsonTypeFits(type: NonNullable<PropSchema["type"]>, value: unknown): boolean {
  if (Array.isArray(type)) return type.some((t) => jsonTypeFits(t, value));
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean": // PVE emits 0/1; JSON booleans come from code that uses JSON::true
      return typeof value === "boolean" || value === 0 || value === 1;
    case "array":
      return Array.isArray(value);
    case "object":
      return jsonKind(value) === "object";
    case "null":
      return value === null;
    default: // any, and types PVE does not verify
      return true;
  }
}
