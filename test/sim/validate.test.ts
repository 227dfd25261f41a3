import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { eachOperation, type PropSchema } from "../../src/sim/schema.ts";
import { CHECKED_FORMATS, checkRequest, checkReturns, perlPattern, type SchemaCheck, UNCHECKED_FORMATS, type WireParams } from "../../src/sim/validate.ts";

const UPID = "UPID:pve1:000ABCDE:0123ABCD:68BF3A41:qmstart:100:root@pam:";
const CT_CREATE = { ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", vmid: "200", hostname: "web1", net0: "name=eth0,bridge=vmbr0,ip=dhcp", rootfs: "local-lvm:8" };

function accepted(check: SchemaCheck): Extract<SchemaCheck, { ok: true }> {
  if (!check.ok) throw new Error(`expected the request to pass, got ${JSON.stringify(check)}`);
  return check;
}

/** The 400's error map, after checking it is one. */
function rejected(check: SchemaCheck): Record<string, string> {
  expect(check).toMatchObject({ ok: false, status: 400, message: "Parameter verification failed." });
  return check.ok || check.status !== 400 ? {} : check.errors;
}

const post = (path: string, params: WireParams = {}) => checkRequest("POST", path, params);
const get = (path: string, params: WireParams = {}) => checkRequest("GET", path, params);

describe("checkRequest accepts real requests", () => {
  test("GET /cluster/resources?type=vm", () => {
    expect(get("/cluster/resources", { type: "vm" })).toEqual({ ok: true, template: "/cluster/resources", pathParams: {}, params: { type: "vm" } });
  });

  test("POST status/start names its template and path parameters", () => {
    expect(post("/nodes/pve1/qemu/100/status/start")).toEqual({ ok: true, template: "/nodes/{node}/qemu/{vmid}/status/start", pathParams: { node: "pve1", vmid: "100" }, params: {} });
  });

  test("POST /nodes/{node}/lxc with property strings for net0 and rootfs", () => {
    expect(accepted(post("/nodes/pve1/lxc", CT_CREATE)).template).toBe("/nodes/{node}/lxc");
  });

  test("DELETE of a snapshot by name", () => {
    const check = accepted(checkRequest("DELETE", "/nodes/pve1/qemu/100/snapshot/before-upgrade", {}));
    expect(check.pathParams).toEqual({ node: "pve1", vmid: "100", snapname: "before-upgrade" });
  });

  test("GET a task log with a percent-encoded UPID", () => {
    const check = accepted(get(`/nodes/pve1/tasks/${encodeURIComponent(UPID)}/log`, { start: "0", limit: "50" }));
    expect(check.template).toBe("/nodes/{node}/tasks/{upid}/log");
    expect(check.pathParams.upid).toBe(UPID);
  });

  test("a volume ID with an encoded slash stays one parameter below storage content", () => {
    const check = accepted(get("/nodes/pve1/storage/local/content/local%3Aiso%2Fdebian-12.iso"));
    expect(check.pathParams.volume).toBe("local:iso/debian-12.iso");
  });

  test("an array parameter as repeated keys", () => {
    expect(accepted(post("/nodes/pve1/qemu/100/agent/exec", { command: ["ls", "-la"] })).params.command).toEqual(["ls", "-la"]);
  });

  test("a path parameter repeated in the body with the same value", () => {
    expect(post("/nodes/pve1/qemu/100/status/start", { node: "pve1" }).ok).toBe(true);
  });

  test("the _dc cache-buster is dropped, as pve-http-server does", () => {
    expect(accepted(get("/cluster/resources", { _dc: "1700000000000" })).params).toEqual({});
  });

  test("a qemu net0 whose model key carries the MAC (virtio=<mac>)", () => {
    expect(post("/nodes/pve1/qemu/100/config", { net0: "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1" }).ok).toBe(true);
  });

  test("booleans in property strings may be yes/no/on/off/true/false", () => {
    expect(post("/nodes/pve1/lxc", { ...CT_CREATE, features: "nesting=yes,keyctl=on,fuse=false" }).ok).toBe(true);
  });

  test("the highest index of an indexed parameter", () => {
    expect(post("/nodes/pve1/qemu/100/config", { net31: "virtio,bridge=vmbr0", scsi30: "local-lvm:8" }).ok).toBe(true);
  });

  test("a list format split on commas, semicolons and spaces", () => {
    expect(post("/nodes/pve1/vzdump", { vmid: "100,101;102 103", storage: "local" }).ok).toBe(true);
  });

  test("empty path segments are skipped", () => {
    expect(accepted(get("//nodes//pve1/status/")).template).toBe("/nodes/{node}/status");
  });
});

describe("checkRequest answers 501 where PVE has no handler", () => {
  test("an unknown path", () => {
    expect(get("/nope")).toEqual({ ok: false, status: 501, message: "Method 'GET /nope' not implemented" });
  });

  test("a known path with a method it does not have", () => {
    expect(checkRequest("PUT", "/nodes/pve1/qemu/100/status/start", {})).toEqual({ ok: false, status: 501, message: "Method 'PUT /nodes/pve1/qemu/100/status/start' not implemented" });
  });

  test("an encoded slash in a node name splits the path (PVE decodes before splitting)", () => {
    expect(get("/nodes/..%2Fx/status")).toEqual({ ok: false, status: 501, message: "Method 'GET /nodes/../x/status' not implemented" });
  });

  test("a placeholder does not take a segment with whitespace", () => {
    expect(get("/nodes/pve%201/status")).toMatchObject({ ok: false, status: 501 });
  });
});

describe("checkRequest answers 400 with PVE's per-parameter errors", () => {
  test("vmid 99 is below the VM ID format", () => {
    expect(rejected(post("/nodes/pve1/qemu/99/status/start"))).toEqual({ vmid: "invalid format - value does not look like a valid VM ID\n" });
  });

  test("vmid 'abc' fails the integer type check", () => {
    expect(rejected(post("/nodes/pve1/qemu/abc/status/start"))).toEqual({ vmid: "type check ('integer') failed - got 'abc'" });
  });

  test("vmid '1e3' is a number but not an integer", () => {
    expect(rejected(post("/nodes/pve1/qemu/1e3/status/start"))).toEqual({ vmid: "type check ('integer') failed - got '1e3'" });
  });

  test("a node name '../x' as a parameter", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/migrate", { target: "../x" }))).toEqual({ target: "invalid format - value does not look like a valid node name\n" });
  });

  test("a node name with an underscore in the path", () => {
    expect(rejected(get("/nodes/pve_1/status"))).toEqual({ node: "invalid format - value does not look like a valid node name\n" });
  });

  test("a snapshot name starting with a digit", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/snapshot", { snapname: "1abc" }))).toEqual({ snapname: "invalid format - invalid configuration ID '1abc'\n" });
  });

  test("a snapshot name starting with a digit in the path", () => {
    expect(rejected(checkRequest("DELETE", "/nodes/pve1/lxc/200/snapshot/1abc", {}))).toEqual({ snapname: "invalid format - invalid configuration ID '1abc'\n" });
  });

  test("a snapshot name longer than 40 characters", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/snapshot", { snapname: `s${"x".repeat(40)}` }))).toEqual({ snapname: "value may only be 40 characters long" });
  });

  test("a boolean sent as 'true'", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/status/start", { skiplock: "true" }))).toEqual({ skiplock: "type check ('boolean') failed - got 'true'" });
  });

  test("an unknown parameter", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/status/start", { bogus: "1" }))).toEqual({ bogus: "property is not defined in schema and the schema does not allow additional properties" });
  });

  test("any parameter where the operation declares none", () => {
    expect(rejected(get("/version", { verbose: "1" }))).toEqual({ verbose: "property is not defined in schema and the schema does not allow additional properties" });
  });

  test("a missing required parameter", () => {
    const { ostemplate: _, ...withoutTemplate } = CT_CREATE;
    expect(rejected(post("/nodes/pve1/lxc", withoutTemplate))).toEqual({ ostemplate: "property is missing and it is not optional" });
  });

  test("a value outside an enum", () => {
    expect(rejected(get("/cluster/resources", { type: "vms" }))).toEqual({ type: "value 'vms' does not have a value in the enumeration 'vm, storage, node, sdn'" });
  });

  test("a number above the maximum", () => {
    expect(rejected(post("/nodes/pve1/lxc", { ...CT_CREATE, cores: "9000" }))).toEqual({ cores: "value must have a maximum value of 8192" });
  });

  test("an unknown sub-key in net0", () => {
    expect(rejected(post("/nodes/pve1/lxc", { ...CT_CREATE, net0: "name=eth0,bridg=vmbr0" }))).toEqual({ net0: "invalid format - invalid key in comma-separated list property: bridg\n" });
  });

  test("bad sub-values in net0 are listed under the parameter", () => {
    expect(rejected(post("/nodes/pve1/lxc", { ...CT_CREATE, net0: "name=eth0,bridge=vm br0,ip=10.0.0.1/33" }))).toEqual({
      net0: "invalid format - format error\nnet0.bridge: value does not match the regex pattern\nnet0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n",
    });
  });

  test("a required sub-key missing from net0", () => {
    expect(rejected(post("/nodes/pve1/lxc", { ...CT_CREATE, net0: "bridge=vmbr0" }))).toEqual({ net0: "invalid format - format error\nnet0.name: property is missing and it is not optional\n" });
  });

  test("a path parameter repeated in the body with another value", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/status/start", { node: "pve2" }))).toEqual({ node: "duplicate parameter (already defined in URI) with conflicting values!" });
  });

  test("an index beyond an indexed parameter's range", () => {
    expect(rejected(post("/nodes/pve1/qemu/100/config", { net32: "virtio,bridge=vmbr0" }))).toEqual({ net32: "property is not defined in schema and the schema does not allow additional properties" });
  });

  test("an index with a leading zero", () => {
    expect(Object.keys(rejected(post("/nodes/pve1/qemu/100/config", { net01: "virtio,bridge=vmbr0" })))).toEqual(["net01"]);
  });

  test("every bad parameter is reported, not only the first", () => {
    expect(Object.keys(rejected(post("/nodes/pve_1/qemu/99/status/start", { skiplock: "yes" }))).sort()).toEqual(["node", "skiplock", "vmid"]);
  });

  test("a bad item in a list format", () => {
    expect(rejected(post("/nodes/pve1/vzdump", { vmid: "100,abc", storage: "local" }))).toEqual({ vmid: "invalid format - value does not look like a valid VM ID\n" });
  });
});

describe("the derived schema", () => {
  const patterns = new Set<string>();
  const collect = (schema: PropSchema | undefined): void => {
    if (!schema) return;
    if (schema.pattern) patterns.add(schema.pattern);
    if (typeof schema.format === "object") for (const sub of Object.values(schema.format)) collect(sub);
    for (const sub of Object.values(schema.properties ?? {})) collect(sub);
    for (const sub of schema.oneOf ?? []) collect(sub);
    collect(schema.items);
  };
  for (const [, , op] of eachOperation()) {
    for (const sub of Object.values(op.parameters.properties ?? {})) collect(sub);
    collect(op.returns);
  }

  test("every pattern PVE declares compiles as a JavaScript RegExp", () => {
    expect(patterns.size).toBeGreaterThan(50);
    expect([...patterns].filter((p) => perlPattern(p) === undefined)).toEqual([]);
  });

  test("Perl's case-insensitive groups keep their meaning", () => {
    // pve-tag-list's pattern: (?^i:...) groups.
    const re = perlPattern("(?^i:[a-z0-9_][a-z0-9_\\-\\+\\.]*)(?:;(?^i:[a-z0-9_][a-z0-9_\\-\\+\\.]*))*");
    expect(re?.test("Prod;DB")).toBe(true);
    expect(re?.test("prod db")).toBe(false);
  });

  test("Perl's atomic groups keep their meaning, without runaway backtracking", () => {
    // The pattern of a running VM's CPU flags (runningcpu).
    const re = perlPattern("(?^:^((?>[+-]?[\\w\\-\\._=]+,?)+)$)");
    expect(re?.test("kvm64,+aes,-x2apic")).toBe(true);
    const started = performance.now();
    expect(re?.test(`${"a".repeat(5000)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  test("formats without a check are listed, the common ones are checked", () => {
    for (const name of ["pve-node", "pve-vmid", "pve-configid", "pve-storage-id", "pve-volume-id", "pve-tag-list", "mac-addr", "disk-size"]) expect(CHECKED_FORMATS.has(name)).toBe(true);
    expect(UNCHECKED_FORMATS.has("pve-fw-addr-spec")).toBe(true);
    expect([...UNCHECKED_FORMATS].filter((name) => CHECKED_FORMATS.has(name))).toEqual([]);
  });
});

// --- responses -------------------------------------------------------------------------

const SAMPLES = new URL("../../../shared/pve-api/samples/", import.meta.url);
const haveSamples = existsSync(SAMPLES);

/**
 * Captured samples that do not match PVE 9.1's returns schema, and why. The first five are
 * the findings listed in samples/VALIDATION.md; the last one is ours: VALIDATION.md does not
 * parse property strings, and this (edited) sample's MAC has the group bit set, which PVE's
 * mac-addr format refuses. Each must still be reported, which proves the check is not blind.
 */
const KNOWN_DEVIATIONS: Record<string, RegExp> = {
  // PVE 7.4 capture: boot-info, current-kernel and memory.available came later.
  "get-nodes-node-status--go-proxmox-pve7x.json": /data\.boot-info: property is missing/,
  // PVE 7 sent vmid as a string; the schema (and current pve-container) says integer.
  "get-nodes-node-lxc--go-proxmox-pve7x.json": /data\[0\]\.vmid: type check \('integer'\) failed/,
  // PVE 7 capture without hardware-address / ip-addresses.
  "get-nodes-node-lxc-vmid-interfaces--go-proxmox-pve7x.json": /data\[0\]\.hardware-address: property is missing/,
  // PVE 6.2 sent cpus as a string.
  "get-nodes-node-lxc-vmid-status-current--ansible-pve62-running-ha.json": /data\.cpus: type check \('number'\) failed/,
  // PVE 6.2 sent memory as a number; PVE 9 declares a string (and the MACs were anonymised to ff:ff:...).
  "get-nodes-node-qemu-vmid-config--ansible-pve62.json": /data\.memory: type check \('string'\) failed/,
  // Not in VALIDATION.md: hwaddr 5D:CF:... is a group (multicast) address.
  "get-nodes-node-lxc-vmid-config--go-proxmox-pve7x.json": /data\.net0: invalid format - format error\ndata\.net0\.hwaddr: invalid format - value does not look like a valid unicast MAC address/,
};

interface SampleEntry {
  file: string;
  endpoint: string;
}

const samples: SampleEntry[] = haveSamples ? ((await Bun.file(new URL("index.json", SAMPLES)).json()) as SampleEntry[]) : [];
const topLevel = new Set(haveSamples ? readdirSync(SAMPLES).filter((f) => f.endsWith(".json") && f !== "index.json") : []);
// Top-level files only (handwritten/ are other projects' mocks), and response bodies only.
const captured = samples.filter((s) => topLevel.has(s.file) && /^(GET|POST|PUT|DELETE) \/\S*$/.test(s.endpoint));

async function sampleData(file: string): Promise<unknown> {
  return ((await Bun.file(new URL(file, SAMPLES)).json()) as { data: unknown }).data;
}

function endpointOf(sample: SampleEntry): [Parameters<typeof checkReturns>[0], string] {
  const [method, template] = sample.endpoint.split(" ") as [Parameters<typeof checkReturns>[0], string];
  return [method, template];
}

describe.skipIf(!haveSamples)("checkReturns against captured PVE responses", () => {
  test("the samples folder has captured responses to check", () => {
    expect(captured.length).toBeGreaterThan(20);
  });

  for (const sample of captured.filter((s) => !KNOWN_DEVIATIONS[s.file])) {
    test(`accepts ${sample.file}`, async () => {
      expect(checkReturns(...endpointOf(sample), await sampleData(sample.file))).toEqual([]);
    });
  }

  for (const sample of captured.filter((s) => KNOWN_DEVIATIONS[s.file])) {
    test(`reports the known deviation in ${sample.file}`, async () => {
      const problems = checkReturns(...endpointOf(sample), await sampleData(sample.file));
      expect(problems.some((p) => (KNOWN_DEVIATIONS[sample.file] as RegExp).test(p))).toBe(true);
    });
  }
});

describe("checkReturns", () => {
  test("accepts undeclared extra properties", () => {
    expect(checkReturns("GET", "/version", { version: "9.1.9", release: "9.1", repoid: "0123abcd", extra: true })).toEqual([]);
  });

  test("accepts booleans as 0/1 and as true/false", () => {
    const row = { n: 1, t: "TASK OK" };
    expect(checkReturns("GET", "/nodes/{node}/tasks/{upid}/log", [row])).toEqual([]);
    expect(checkReturns("GET", "/nodes/{node}/qemu/{vmid}/config", { digest: "d", onboot: 1, template: true })).toEqual([]);
  });

  test("reports a missing required property", () => {
    expect(checkReturns("GET", "/version", { release: "9.1", repoid: "0123abcd" })).toEqual(["data.version: property is missing and it is not optional"]);
  });

  test("reports a JSON type PVE would not send", () => {
    expect(checkReturns("GET", "/nodes/{node}/tasks/{upid}/log", [{ n: "1", t: "x" }])).toEqual(["data[0].n: type check ('integer') failed - got '1'"]);
  });

  test("checks property strings in returned configs", () => {
    expect(checkReturns("GET", "/nodes/{node}/qemu/{vmid}/config", { digest: "d", net0: "virtio=BC:24:11:00:00:01,bogus=1" })).toEqual(["data.net0: invalid format - invalid key in comma-separated list property: bogus\n"]);
  });

  test("names an operation the schema does not have", () => {
    expect(checkReturns("GET", "/nope", {})).toEqual(["no operation 'GET /nope' in the schema"]);
  });
});
