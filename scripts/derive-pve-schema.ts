// Derives src/sim/pve-schema.json, the facts the simulator checks requests against, from the
// official PVE API schema (pve-docs api-viewer apidata, PVE 9.1) in ../shared/pve-api/.
//
// That schema is AGPL text. We carry facts only: paths, methods, parameter names, types,
// formats (named, or property-string sub-schemas), patterns, enums, ranges, lengths, which
// are optional, defaults, aliases, and the `returns` schemas, plus `protected`/`allowtoken`.
// Every piece of prose (descriptions, titles, type texts, renderers) is dropped, at every
// depth. The output is compact and deterministic (object keys sorted, enum order kept: PVE's
// error messages list an enum in its declared order), so re-running it on the same input
// gives the same bytes.
//
// Run: bun run derive-schema [path/to/apidata.json]

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface ApiNode {
  path: string;
  info?: Record<string, JsonObject>;
  children?: ApiNode[];
}

const source = process.argv[2] ?? new URL("../../shared/pve-api/apidata.json", import.meta.url).pathname;
const target = new URL("../src/sim/pve-schema.json", import.meta.url).pathname;
/** The permission checks alone, for the server (doctor, whoami) and the simulator. */
const permissionsTarget = new URL("../src/pve/permissions.json", import.meta.url).pathname;

/** Schema keys that hold prose (or CLI-only rendering hints), never facts. */
const PROSE = new Set(["description", "verbose_description", "format_description", "typetext", "title", "renderer", "print_width", "completion"]);

/** Operation-level facts we keep besides `parameters` and `returns`. */
const OPERATION_FACTS = ["protected", "allowtoken"] as const;

/**
 * Highest index of each indexed parameter (`net[n]` stands for net0..netN). The schema
 * states some ranges only in prose and some not at all, so the bounds are the constants in
 * PVE's sources that generate these keys; where the prose states a range too, the script
 * checks that both agree and says so when they do not.
 */
const INDEX_MAX: Record<string, number> = {
  ide: 3, // qemu-server Drive.pm $MAX_IDE_DISKS = 4
  sata: 5, // $MAX_SATA_DISKS = 6
  scsi: 30, // $MAX_SCSI_DISKS = 31
  virtio: 15, // $MAX_VIRTIO_DISKS = 16
  unused: 255, // $MAX_UNUSED_DISKS = 256 (qemu-server); pve-container: $MAX_MOUNT_POINTS = 256
  net: 31, // qemu-server $MAX_NETS = 32; pve-container $MAX_LXC_NETWORKS = 32
  ipconfig: 31, // registered in the $MAX_NETS loop
  serial: 3, // $MAX_SERIAL_PORTS = 4
  parallel: 2, // $MAX_PARALLEL_PORTS = 3
  hostpci: 15, // $MAX_HOSTPCI_DEVICES = 16
  usb: 13, // $MAX_USB_DEVICES = 14 (the prose says "0 to 4 ... up to 14": 14 slots, 0..13)
  numa: 7, // $MAX_NUMA = 8
  virtiofs: 9, // $MAX_VIRTIOFS = 10
  mp: 255, // pve-container $MAX_MOUNT_POINTS = 256
  dev: 255, // pve-container $MAX_DEVICES = 256
  link: 7, // pve-cluster Corosync.pm MAX_LINK_INDEX = 7
  acmedomain: 5, // pve-manager NodeConfig.pm: for (0 .. $MAXDOMAINS), $MAXDOMAINS = 5
};
/** Used (and reported) for an indexed parameter this table does not know yet. */
const FALLBACK_INDEX_MAX = 31;

/**
 * Named formats that PVE registers as property-string schemas (hashes) but the API dump
 * only names. Where the same sub-schema appears inline elsewhere in the dump, we take it
 * from there. [method, path, where] with `where` a parameter name or "returns:<json path>".
 */
const NAMED_HASH_FORMATS: Record<string, [string, string, string]> = {
  // `cdrom` is an alias of ide2 and has the ide drive format.
  "pve-qm-ide": ["POST", "/nodes/{node}/qemu", "ide[n]"],
  // GET /cluster/backup returns prune-backups parsed, as an object with the same keys.
  "prune-backups": ["GET", "/cluster/backup", "returns:items.properties.prune-backups.properties"],
};

const warnings: string[] = [];

/**
 * A schema without prose. Keys that name things (properties, sub-keys) are kept as is.
 * `where` names the operation, for notes about indexed properties.
 */
function stripSchema(schema: Json, where: string): Json {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (PROSE.has(key)) continue;
    if (key === "default" && !defaultFitsType(value, schema.type)) continue;
    out[key] = stripMember(key, value, where);
  }
  return out;
}

/**
 * Some defaults are explanations ("restore limit from datacenter or storage config" for a
 * number). A default that is not a value of the declared type is prose, and is dropped.
 */
function defaultFitsType(value: Json, type: Json | undefined): boolean {
  const text = String(value);
  switch (type) {
    case "integer":
      return /^[+-]?\d+$/.test(text);
    case "number":
      return /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/.test(text);
    case "boolean":
      return text === "0" || text === "1";
    default:
      return true;
  }
}

function stripMember(key: string, value: Json, where: string): Json {
  if (value === null || typeof value !== "object") return value;
  const strip = (v: Json) => stripSchema(v, where);
  switch (key) {
    case "properties":
      return stripProperties(value, where);
    case "format": // an object here is a property-string sub-schema: sub-key -> schema
      return Array.isArray(value) ? value : mapValues(value, strip);
    case "items":
    case "additionalProperties":
    case "requires":
    case "extends":
    case "disallow":
      return strip(value);
    case "oneOf":
      return Array.isArray(value) ? value.map(strip) : value;
    default: // enum, links, default, instance-types: plain data
      return value;
  }
}

/** Property name -> schema, with the range of each indexed (`net[n]`) property added. */
function stripProperties(properties: Json, where: string): Json {
  if (properties === null || typeof properties !== "object" || Array.isArray(properties)) return properties;
  const out: JsonObject = {};
  for (const [name, schema] of Object.entries(properties)) {
    const stripped = stripSchema(schema, where);
    if (name.endsWith("[n]") && stripped !== null && typeof stripped === "object" && !Array.isArray(stripped)) {
      (stripped as JsonObject).indexMax = indexMaxFor(name, schema as JsonObject, where);
    }
    out[name] = stripped;
  }
  return out;
}

function mapValues(value: Json, fn: (v: Json) => Json): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

/** Object keys sorted at every depth; arrays keep their order. */
function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k] as Json)]),
  );
}

/** The highest index the prose states for `net[n]`-style parameters, when it states one. */
function proseIndexMax(text: string): number | undefined {
  const found = [...text.matchAll(/\bn is 0 to (\d+)|\bn can be up to (\d+)|\b[a-z]+0\.\.[a-z]+(\d+)\b/g)].map((m) => Number(m[1] ?? m[2] ?? m[3]));
  return found.length ? Math.max(...found) : undefined;
}

function indexMaxFor(name: string, schema: JsonObject, where: string): number {
  const prefix = name.slice(0, -"[n]".length);
  const known = INDEX_MAX[prefix];
  const prose = proseIndexMax(`${String(schema.description ?? "")} ${String(schema.verbose_description ?? "")}`);
  if (known === undefined) {
    warnings.push(`${where} ${name}: no known bound, using 0..${prose ?? FALLBACK_INDEX_MAX}`);
    return prose ?? FALLBACK_INDEX_MAX;
  }
  // usb's prose names two bounds (old and new machine types); the constant is the newer one.
  if (prose !== undefined && prose !== known && !(prefix === "usb" && prose === known + 1)) warnings.push(`${where} ${name}: prose says 0..${prose}, sources say 0..${known}`);
  return known;
}

function walk(nodes: ApiNode[], visit: (node: ApiNode) => void): void {
  for (const node of nodes) {
    visit(node);
    walk(node.children ?? [], visit);
  }
}

function pick(value: Json | undefined, path: string[]): Json | undefined {
  let here = value;
  for (const step of path) {
    if (here === null || typeof here !== "object" || Array.isArray(here)) return undefined;
    here = here[step];
  }
  return here;
}

const bytes = await Bun.file(source).arrayBuffer();
const tree = JSON.parse(new TextDecoder().decode(bytes)) as ApiNode[];
const sourceSha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

const operations: Record<string, Record<string, JsonObject>> = {};
/**
 * Each operation's permission facts: `check` (PVE's check expression: paths, privilege
 * names, "any", "and"/"or", "require_param"), `user` ("all" = checked in the handler's
 * code, "world" = anyone) and `noToken` where tokens are refused. The `description`
 * (prose) is dropped.
 */
const permissions: Record<string, Record<string, JsonObject>> = {};
const rawOps = new Map<string, JsonObject>();
let operationCount = 0;
let parameterCount = 0;
walk(tree, (node) => {
  for (const [method, info] of Object.entries(node.info ?? {})) {
    rawOps.set(`${method} ${node.path}`, info);
    const op: JsonObject = {};
    for (const fact of OPERATION_FACTS) if (info[fact] !== undefined) op[fact] = info[fact];
    const where = `${method} ${node.path}`;
    op.parameters = stripSchema(info.parameters ?? { additionalProperties: 0 }, where);
    if (info.returns !== undefined) op.returns = stripSchema(info.returns, where);
    (operations[node.path] ??= {})[method] = op;
    const perm = info.permissions as JsonObject | undefined;
    const facts: JsonObject = {};
    if (perm?.check !== undefined) facts.check = perm.check;
    if (perm?.user !== undefined) facts.user = perm.user;
    if (info.allowtoken !== undefined && !info.allowtoken) facts.noToken = 1;
    (permissions[node.path] ??= {})[method] = facts;
    operationCount++;
    parameterCount += Object.keys((info.parameters as JsonObject | undefined)?.properties ?? {}).length;
  }
});

const formats: Record<string, Json> = {};
for (const [name, [method, path, where]] of Object.entries(NAMED_HASH_FORMATS)) {
  const info = rawOps.get(`${method} ${path}`);
  const found = where.startsWith("returns:") ? pick(info?.returns, where.slice("returns:".length).split(".")) : pick(info?.parameters, ["properties", where, "format"]);
  if (found === undefined || found === null || typeof found !== "object" || Array.isArray(found)) throw new Error(`format ${name}: nothing at ${method} ${path} ${where}`);
  formats[name] = mapValues(found, (v) => stripSchema(v, name));
}

const derived = sortKeys({
  about: "Facts from the official Proxmox VE API schema (pve-docs api-viewer apidata, PVE 9.1), without its prose. Generated by scripts/derive-pve-schema.ts; do not edit.",
  sourceSha256,
  formats,
  operations,
});
const text = JSON.stringify(derived);
await Bun.write(target, text);
await Bun.write(
  permissionsTarget,
  JSON.stringify(sortKeys({ about: "Permission checks from the official Proxmox VE API schema (PVE 9.1), without prose. Generated by scripts/derive-pve-schema.ts; do not edit.", sourceSha256, operations: permissions })),
);

for (const warning of warnings) console.error(`note: ${warning}`);
console.error(
  `wrote ${target}: ${Object.keys(operations).length} paths, ${operationCount} operations, ${parameterCount} parameters, ${Object.keys(formats).length} named property-string formats, ${text.length} bytes (source sha256 ${sourceSha256.slice(0, 12)}…)`,
);
