// An in-process runtime for unit tests: the real registry and client, with fetch replaced.
import type { Config } from "../../src/config/env.ts";
import { createLogger } from "../../src/log.ts";
import { PveClient } from "../../src/pve/client.ts";
import { createAudit } from "../../src/security/audit.ts";
import { Redactor } from "../../src/security/redactor.ts";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";

export const TEST_SECRET = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    name: "default",
    url: "http://127.0.0.1:1",
    tokenId: "root@pam!mcp",
    tokenSecret: TEST_SECRET,
    tls: { insecure: false },
    timeoutMs: 2000,
    logLevel: "error",
    destructiveEnabled: false,
    readOnly: false,
    protectedTags: [],
    confirmWrites: "off",
    // Tests reach every tool; the default set's own tests pass toolsets themselves.
    toolsets: ["all"],
    ...overrides,
  };
}

export function testRegistry(options: { config?: Partial<Config>; fetchImpl?: typeof fetch } = {}) {
  const config = testConfig(options.config);
  const redactor = new Redactor();
  redactor.register(config.tokenSecret);
  const logs: string[] = [];
  const log = createLogger(redactor, config.logLevel, (line) => logs.push(line));
  const requests: string[] = [];
  const fetchImpl =
    options.fetchImpl ??
    (async (input: RequestInfo | URL) => {
      requests.push(String(input));
      throw new Error("no network in this test");
    });
  const pve = new PveClient({ baseUrl: config.url, tokenId: config.tokenId, tokenSecret: config.tokenSecret, timeoutMs: config.timeoutMs, tls: config.tls, logger: log, fetchImpl: fetchImpl as typeof fetch, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  const registry = new ToolRegistry(ALL_TOOLS, { instances: [{ name: config.name, config, pve }], log, redactor, audit: createAudit(redactor, log) });
  return { registry, requests, logs, pve };
}
