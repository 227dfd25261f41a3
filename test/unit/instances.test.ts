import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadInstances } from "../../src/config/instances.ts";
import { createLogger } from "../../src/log.ts";
import { PveClient } from "../../src/pve/client.ts";
import { createAudit } from "../../src/security/audit.ts";
import { Redactor } from "../../src/security/redactor.ts";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { testConfig } from "../helpers/runtime.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

function configFile(content: unknown): string {
  const dir = scratchDir("inst");
  const file = join(dir, "instances.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const HOME = { url: "https://home.lan", tokenId: "root@pam!mcp", tokenSecret: "11111111-2222-3333-4444-555555555555" };
const LAB = { url: "https://lab.lan:8443", tokenId: "ops@pve!agent", tokenSecret: "66666666-7777-8888-9999-000000000000", readOnly: true, allowedVmids: "100-199" };

function twoClusters() {
  const redactor = new Redactor();
  const log = createLogger(redactor, "error", () => {});
  const requests: string[] = [];
  const fetchImpl = (async (input: RequestInfo | URL) => {
    requests.push(String(input));
    throw new Error("offline");
  }) as unknown as typeof fetch;
  const instances = ["home", "lab"].map((name) => {
    const config = testConfig({ name });
    return { name, config, pve: new PveClient({ baseUrl: config.url, tokenId: config.tokenId, tokenSecret: config.tokenSecret, timeoutMs: 500, tls: config.tls, logger: log, fetchImpl, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }) };
  });
  return { registry: new ToolRegistry(ALL_TOOLS, { instances, log, redactor, audit: createAudit(redactor, log) }), requests };
}

describe("several clusters from one server", () => {
  test("PROXMOX_CONFIG defines named instances with their own settings", () => {
    const result = loadInstances({ PROXMOX_CONFIG: configFile({ instances: { home: HOME, lab: LAB } }) });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.instances.map((i) => i.name)).toEqual(["home", "lab"]);
    expect(result.instances[0]?.url).toBe("https://home.lan:8006");
    expect(result.instances[1]).toMatchObject({ readOnly: true, allowedVmids: [[100, 199]] });
  });

  test("the environment's single cluster stays, as instance default, beside the file's", () => {
    const result = loadInstances({ PROXMOX_URL: "https://env.lan", PROXMOX_TOKEN_ID: "root@pam!env", PROXMOX_TOKEN_SECRET: "abcdefabcdef", PROXMOX_CONFIG: configFile({ instances: { lab: LAB } }) });
    expect(result.ok && result.instances.map((i) => i.name)).toEqual(["default", "lab"]);
  });

  test("every problem in the file is reported, naming the instance, never the secret", () => {
    const result = loadInstances({ PROXMOX_CONFIG: configFile({ instances: { home: { ...HOME, url: "ftp://x" }, lab: { ...LAB, tokenId: "nope" } } }) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join("\n");
    expect(text).toContain('instance "home"');
    expect(text).toContain('instance "lab"');
    expect(text).not.toContain(LAB.tokenSecret);
  });

  test("a file that is not JSON is one clear problem", () => {
    const dir = scratchDir("inst");
    writeFileSync(join(dir, "bad.json"), "{ nope");
    const result = loadInstances({ PROXMOX_CONFIG: join(dir, "bad.json") });
    expect(!result.ok && result.problems).toHaveLength(1);
    expect(!result.ok && result.problems[0]).toContain("is not valid JSON");
    expect(!result.ok && result.problems[0]).not.toContain("nope");
  });

  test("a write without an instance is refused with zero requests", async () => {
    const { registry, requests } = twoClusters();
    const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: true });
    expect(outcome.code).toBe("refused");
    expect(outcome.text).toContain("never guesses");
    expect(requests).toHaveLength(0);
  });

  test("a read without an instance asks which one", async () => {
    const { registry, requests } = twoClusters();
    const outcome = await registry.call("proxmox_list_vms", {});
    expect(outcome.text).toContain("home, lab");
    expect(requests).toHaveLength(0);
  });

  test("an unknown instance is refused, listing the known ones", async () => {
    const { registry } = twoClusters();
    const outcome = await registry.call("proxmox_list_vms", { instance: "prod" });
    expect(outcome.code).toBe("invalid_input");
    expect(outcome.text).toContain("home, lab");
  });

  test("status without an instance asks every cluster and reports an unreachable one instead of failing", async () => {
    const { registry, requests } = twoClusters();
    const outcome = await registry.call("proxmox_status", {});
    expect(outcome.isError).toBe(false);
    expect(outcome.text).toContain("[lab] UNREACHABLE");
    expect(requests.length).toBeGreaterThanOrEqual(6);
  });

  test("every tool's schema offers instance when several are configured", () => {
    const { registry } = twoClusters();
    for (const tool of registry.tools) expect((registry.inputSchema(tool).entries as Record<string, unknown>).instance).toBeDefined();
  });

  test("tools/list shows instance as a choice of the configured names, not the one-cluster schema built into the binary", () => {
    const { registry } = twoClusters();
    for (const tool of registry.tools) {
      const properties = registry.listedSchema(tool, "input").properties as Record<string, { enum?: string[] }>;
      expect(properties.instance?.enum).toEqual(registry.instanceNames);
    }
  });
});
