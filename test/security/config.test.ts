// Attacks on the configuration: a ceiling dropped by a config file, tag lists in PVE's own
// syntax, switches that fail open, a token sent in cleartext with a pin that is ignored,
// a secret printed by a start-up error, and files that hang start-up. Each test performs
// the attack and checks it is stopped.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatConfigProblems, loadConfig } from "../../src/config/env.ts";
import { loadInstances } from "../../src/config/instances.ts";
import { envFor, runBinary } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";
import { inProcessRegistry } from "./support.ts";

afterAll(removeScratchDirs);

const sim = useSimulator();
const SECRET = "5ec7e7aa-c0de-4bad-9f00-d15c105ed0ff";
const valid = { PROXMOX_URL: "https://pve.example.local:8006", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET: SECRET };

function refused(env: Record<string, string | undefined>): string {
  const result = loadInstances(env);
  if (result.ok) throw new Error("expected start-up to be refused");
  return formatConfigProblems(result.problems);
}

function configFile(instances: Record<string, unknown>): string {
  const file = join(scratchDir("seccfg"), "instances.json");
  writeFileSync(file, JSON.stringify({ instances }));
  return file;
}

/** The simulator as one instance of a PROXMOX_CONFIG file. */
function simInstance(extra: Record<string, unknown> = {}) {
  return { url: sim().url, tokenId: sim().tokenId, tokenSecret: sim().tokenSecret, ...extra };
}

function writes(): string[] {
  return sim()
    .requests.filter((r) => r.method !== "GET")
    .map((r) => `${r.method} ${r.path}`);
}

describe("environment ceilings hold with PROXMOX_CONFIG", () => {
  test("stopping a prod-tagged guest with only confirm: true is refused when PROXMOX_PROTECTED_TAGS comes from the environment and the cluster from a file", async () => {
    const loaded = loadInstances({ PROXMOX_CONFIG: configFile({ home: simInstance() }), PROXMOX_PROTECTED_TAGS: "prod" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const { registry } = inProcessRegistry(sim(), loaded.instances[0]);
    // Guest 100 (web-01) carries the tag prod.
    const outcome = await registry.call("proxmox_stop_resource", { vmid: 100, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("protected tag prod");
    expect(writes()).toEqual([]);
  });

  test("the compiled server refuses the same stop: the environment's protected tag reaches the file's instance", async () => {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", PROXMOX_CONFIG: configFile({ home: simInstance() }), PROXMOX_PROTECTED_TAGS: "prod" };
    const run = await runBinary(["call", "proxmox_stop_resource", JSON.stringify({ vmid: 100, confirm: true, instance: "home" })], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("protected tag prod");
    expect(writes()).toEqual([]);
  });

  test("a write to a vmid outside PROXMOX_ALLOWED_VMIDS is refused on a file's instance that allows every vmid", async () => {
    const loaded = loadInstances({ PROXMOX_CONFIG: configFile({ home: simInstance() }), PROXMOX_ALLOWED_VMIDS: "200-299" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const { registry } = inProcessRegistry(sim(), loaded.instances[0]);
    const outcome = await registry.call("proxmox_start_resource", { vmid: 104, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("PROXMOX_ALLOWED_VMIDS");
    expect(writes()).toEqual([]);
  });

  test("a file cannot widen PROXMOX_ALLOWED_VMIDS: the instance gets only the overlap", () => {
    const loaded = loadInstances({ PROXMOX_CONFIG: configFile({ home: simInstance({ allowedVmids: "100-999" }) }), PROXMOX_ALLOWED_VMIDS: "200-299,5000" });
    expect(loaded.ok && loaded.instances[0]?.allowedVmids).toEqual([[200, 299]]);
  });

  test("a file whose allowedVmids share nothing with PROXMOX_ALLOWED_VMIDS stops start-up naming both", () => {
    const text = refused({ PROXMOX_CONFIG: configFile({ home: simInstance({ allowedVmids: "300-399" }) }), PROXMOX_ALLOWED_VMIDS: "100-199" });
    expect(text).toContain('instance "home"');
    expect(text).toContain("allowedVmids (300-399)");
    expect(text).toContain("PROXMOX_ALLOWED_VMIDS (100-199)");
  });

  test("a write on a node outside PROXMOX_ALLOWED_NODES is refused on a file's instance, and a file cannot add a node", async () => {
    const loaded = loadInstances({ PROXMOX_CONFIG: configFile({ home: simInstance({ allowedNodes: ["pve1", "pve2"] }) }), PROXMOX_ALLOWED_NODES: "pve2" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    expect(loaded.instances[0]?.allowedNodes).toEqual(["pve2"]);
    const { registry } = inProcessRegistry(sim(), loaded.instances[0]);
    // Guest 104 (win11-lab) is stopped on pve1.
    const outcome = await registry.call("proxmox_start_resource", { vmid: 104, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("PROXMOX_ALLOWED_NODES");
    expect(writes()).toEqual([]);
  });

  test("allowedNodes with no node in common with PROXMOX_ALLOWED_NODES stops start-up naming the conflict", () => {
    const text = refused({ PROXMOX_CONFIG: configFile({ home: simInstance({ allowedNodes: ["pve1"] }) }), PROXMOX_ALLOWED_NODES: "pve3" });
    expect(text).toContain("allowedNodes (pve1)");
    expect(text).toContain("PROXMOX_ALLOWED_NODES (pve3)");
  });

  test("protected tags from the environment add to the file's, never replace them", () => {
    const loaded = loadInstances({ PROXMOX_CONFIG: configFile({ home: simInstance({ protectedTags: ["db"] }) }), PROXMOX_PROTECTED_TAGS: "prod" });
    expect(loaded.ok && [...(loaded.instances[0]?.protectedTags ?? [])].sort()).toEqual(["db", "prod"]);
  });
});

describe("tag lists in PVE's own syntax", () => {
  test("PROXMOX_PROTECTED_TAGS=db;critical protects both tags, so a guest tagged db refuses a write", async () => {
    const loaded = loadConfig({ ...valid, PROXMOX_URL: sim().url, PROXMOX_TOKEN_ID: sim().tokenId, PROXMOX_TOKEN_SECRET: sim().tokenSecret, PROXMOX_PROTECTED_TAGS: "db;critical" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    expect(loaded.config.protectedTags).toEqual(["db", "critical"]);
    const { registry } = inProcessRegistry(sim(), loaded.config);
    // Guest 101 (db-01) is tagged prod;db.
    const outcome = await registry.call("proxmox_snapshot_resource", { vmid: 101, name: "pre", confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("protected tag db");
    expect(writes()).toEqual([]);
  });

  test("tags separated by spaces, commas and semicolons are each protected", () => {
    for (const written of ["prod critical", "prod,critical", "prod;critical", " prod ; critical ,", "PROD\tCritical"]) {
      const result = loadConfig({ ...valid, PROXMOX_PROTECTED_TAGS: written });
      expect(result.ok && result.config.protectedTags).toEqual(["prod", "critical"]);
    }
  });

  test("a tag PVE would not accept stops start-up instead of protecting nothing", () => {
    for (const bad of ["prod!", "-prod", "pr/od", "tag=x", "ünïcode"]) {
      const result = loadConfig({ ...valid, PROXMOX_PROTECTED_TAGS: `ok;${bad}` });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.join()).toContain("not a valid Proxmox tag");
    }
  });

  test("a protected tag in a config file is checked the same way", () => {
    const text = refused({ PROXMOX_CONFIG: configFile({ home: simInstance({ protectedTags: ["prod critical", "x!y"] }) }) });
    expect(text).toContain('"x!y" is not a valid Proxmox tag');
  });
});

describe("switches never fail open", () => {
  test("PROXMOX_READ_ONLY=on hides every write tool", async () => {
    const result = loadConfig({ ...valid, PROXMOX_READ_ONLY: "on" });
    expect(result.ok && result.config.readOnly).toBe(true);
    const run = await runBinary(["call", "proxmox_start_resource", JSON.stringify({ vmid: 104, confirm: true })], envFor(sim(), { PROXMOX_READ_ONLY: "ON" }));
    expect(run.code).toBe(1);
    expect(writes()).toEqual([]);
  });

  test("PROXMOX_READ_ONLY set to a word it does not know (y, enabled, readonly) stops start-up naming the variable and the accepted values", async () => {
    for (const word of ["y", "enabled", "readonly", "tru", "2"]) {
      const result = loadConfig({ ...valid, PROXMOX_READ_ONLY: word });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.join()).toContain("PROXMOX_READ_ONLY must be one of true/false, 1/0, yes/no, on/off");
    }
    const run = await runBinary(["call", "proxmox_start_resource", JSON.stringify({ vmid: 104, confirm: true })], envFor(sim(), { PROXMOX_READ_ONLY: "enabled" }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_READ_ONLY");
    expect(run.stderr).toContain("on/off");
    expect(writes()).toEqual([]);
  });

  test("PROXMOX_TLS_INSECURE=on is on, and an unknown word is an error rather than a silent off", () => {
    const on = loadConfig({ ...valid, PROXMOX_TLS_INSECURE: "on" });
    expect(on.ok && on.config.tls.insecure).toBe(true);
    const odd = loadConfig({ ...valid, PROXMOX_TLS_INSECURE: "insecure" });
    expect(odd.ok).toBe(false);
    if (!odd.ok) expect(odd.problems.join()).toContain("PROXMOX_TLS_INSECURE must be one of");
  });

  test("PROXMOX_ENABLE_DESTRUCTIVE set to anything but exactly 1 (true, yes, on, 0, ' 1') stops start-up instead of meaning no", () => {
    for (const word of ["true", "yes", "on", "0", " 1", "1 ", "01"]) {
      const result = loadConfig({ ...valid, PROXMOX_ENABLE_DESTRUCTIVE: word });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.join()).toContain("PROXMOX_ENABLE_DESTRUCTIVE must be exactly 1");
    }
    const one = loadConfig({ ...valid, PROXMOX_ENABLE_DESTRUCTIVE: "1" });
    expect(one.ok && one.config.destructiveEnabled).toBe(true);
  });

  test("PROXMOX_DEMO=maybe is refused rather than ignored", async () => {
    const run = await runBinary(["tools"], { PATH: process.env.PATH ?? "/usr/bin", PROXMOX_DEMO: "maybe" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_DEMO must be one of");
  });

  test("a misspelt safety switch (PROXMOX_READONLY=1) stops start-up with did-you-mean instead of leaving writes on", () => {
    const text = refused({ ...valid, PROXMOX_READONLY: "1" });
    expect(text).toContain("did you mean PROXMOX_READ_ONLY?");
  });
});

describe("cleartext http://", () => {
  test("a fingerprint pin with an http:// URL is refused, not silently ignored", () => {
    const text = refused({ ...valid, PROXMOX_URL: "http://pve.lan:8006", PROXMOX_TLS_FINGERPRINT: Array(32).fill("AB").join(":") });
    expect(text).toContain("PROXMOX_TLS_FINGERPRINT is set but PROXMOX_URL uses http://");
  });

  test("a CA file with an http:// URL is refused, not silently ignored", () => {
    const text = refused({ ...valid, PROXMOX_URL: "http://pve.lan:8006", PROXMOX_CA_FILE: "/etc/ssl/certs/ca-certificates.crt" });
    expect(text).toContain("PROXMOX_CA_FILE is set but PROXMOX_URL uses http://");
  });

  test("an http:// URL starts with a warning on stderr that the token travels in cleartext", async () => {
    const run = await runBinary(["call", "proxmox_status"], envFor(sim()));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("PROXMOX_URL uses http://: the API token travels in cleartext");
  });
});

describe("a start-up error never prints a secret", () => {
  test("a secret pasted into the wrong variable is masked when the real secret comes from a file", async () => {
    const dir = scratchDir("secfile");
    writeFileSync(join(dir, "secret"), `${SECRET}\n`);
    const env = { PATH: process.env.PATH ?? "/usr/bin", PROXMOX_URL: "https://pve.lan", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET_FILE: join(dir, "secret") };
    const pasted = "9f3c2b1a-7d6e-4f50-8a9b-0c1d2e3f4a5b";
    for (const variable of ["PROXMOX_TIMEOUT_MS", "PROXMOX_TLS_FINGERPRINT", "PROXMOX_READ_ONLY", "PROXMOX_ALLOWED_VMIDS", "PROXMOX_PROTECTED_TAGS", "PROXMOX_ENABLE_DESTRUCTIVE", "PROXMOX_URL", "PROXMOX_TOKEN_ID"]) {
      const run = await runBinary(["tools", "--json"], { ...env, [variable]: pasted, PROXMOX_CONFIG: "" });
      const text = run.stdout + run.stderr;
      expect(text).not.toContain(pasted);
      expect(text.replaceAll("-", "")).not.toContain(pasted.replaceAll("-", ""));
    }
  });

  test("a secret pasted into a file path (PROXMOX_CA_FILE) is masked", () => {
    const text = refused({ ...valid, PROXMOX_CA_FILE: `/tmp/${SECRET}` });
    expect(text).not.toContain(SECRET);
  });
});

describe("files that would hang start-up", () => {
  test("/dev/zero as the secret file is refused at once, naming the variable", () => {
    const text = refused({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: "/dev/zero" });
    expect(text).toContain("PROXMOX_TOKEN_SECRET_FILE (/dev/zero) is not a regular file");
  });

  test("/dev/zero as the CA file and as PROXMOX_CONFIG is refused at once", () => {
    expect(refused({ ...valid, PROXMOX_CA_FILE: "/dev/zero" })).toContain("PROXMOX_CA_FILE (/dev/zero) is not a regular file");
    expect(refused({ PROXMOX_CONFIG: "/dev/zero" })).toContain("PROXMOX_CONFIG (/dev/zero) is not a regular file");
  });

  test("a FIFO with no writer as the secret file does not block start-up", async () => {
    const dir = scratchDir("fifo");
    const fifo = join(dir, "secret");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const run = await runBinary(["call", "proxmox_status"], { PATH: process.env.PATH ?? "/usr/bin", PROXMOX_URL: "https://pve.lan", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET_FILE: fifo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`PROXMOX_TOKEN_SECRET_FILE (${fifo}) is not a regular file`);
  });

  test("a directory as a secret, CA or config file is named as a directory", () => {
    const dir = scratchDir("dir");
    mkdirSync(join(dir, "sub"));
    expect(refused({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: join(dir, "sub") })).toContain("is a directory");
    expect(refused({ ...valid, PROXMOX_CA_FILE: join(dir, "sub") })).toContain("is a directory");
    expect(refused({ PROXMOX_CONFIG: join(dir, "sub") })).toContain("is a directory");
  });

  test("a 50 MB secret file is refused instead of being sent as a 50 MB header", () => {
    const file = join(scratchDir("big"), "secret");
    writeFileSync(file, Buffer.alloc(50 * 1024 * 1024, "a"));
    const text = refused({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: file });
    expect(text).toContain(`PROXMOX_TOKEN_SECRET_FILE (${file}) is 52428800 bytes, more than the 4096 bytes`);
  });
});
