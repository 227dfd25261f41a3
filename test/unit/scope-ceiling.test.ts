// A token's tier ceiling (OAuth scopes) in the registry: it narrows what a call may do on
// each cluster, before the gates and before any request; it never widens a gate.
import { expect, test } from "bun:test";
import { DEFAULT_SCOPES, grantFromScopes } from "../../src/auth/scopes.ts";
import { createLogger } from "../../src/log.ts";
import { PveClient } from "../../src/pve/client.ts";
import type { AuditRecord } from "../../src/security/audit.ts";
import { Redactor } from "../../src/security/redactor.ts";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { testConfig } from "../helpers/runtime.ts";

function twoClusters() {
  const redactor = new Redactor();
  const log = createLogger(redactor, "error", () => {});
  const requests: string[] = [];
  const audits: AuditRecord[] = [];
  const fetchImpl = (async (input: RequestInfo | URL) => {
    requests.push(String(input));
    throw new Error("offline");
  }) as unknown as typeof fetch;
  const instances = ["prod", "lab"].map((name) => {
    const config = testConfig({ name });
    return { name, config, pve: new PveClient({ baseUrl: config.url, tokenId: config.tokenId, tokenSecret: config.tokenSecret, timeoutMs: 500, tls: config.tls, logger: log, fetchImpl, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }) };
  });
  return { registry: new ToolRegistry(ALL_TOOLS, { instances, log, redactor, audit: (r) => audits.push(r) }), requests, audits };
}

const actor = { subject: "alice", clientId: "claude-code" };

test("a write on a cluster the token may only read is refused with zero requests, and audited with the person", async () => {
  const { registry, requests, audits } = twoClusters();
  const { maxTier } = grantFromScopes(["proxmox:read", "proxmox:write:lab"], DEFAULT_SCOPES, ["prod", "lab"]);
  const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: true, instance: "prod" }, { maxTier, actor });
  expect(outcome.isError).toBe(true);
  expect(outcome.text).toContain("does not allow write tools on cluster prod");
  expect(requests).toEqual([]);
  expect(audits.at(-1)).toMatchObject({ decision: "refused", reason: "scope", actor });
});

test("the same token's write on the cluster its scope names gets past the ceiling to the next check", async () => {
  const { registry } = twoClusters();
  const { maxTier } = grantFromScopes(["proxmox:read", "proxmox:write:lab"], DEFAULT_SCOPES, ["prod", "lab"]);
  const outcome = await registry.call("proxmox_start_resource", { vmid: 100, confirm: true, instance: "lab" }, { maxTier, actor });
  expect(outcome.text).not.toContain("access token");
});

test("a read spanning every cluster needs the read scope on every one of them", async () => {
  const { registry, requests } = twoClusters();
  const { maxTier } = grantFromScopes(["proxmox:read:lab"], DEFAULT_SCOPES, ["prod", "lab"]);
  const outcome = await registry.call("proxmox_status", {}, { maxTier });
  expect(outcome.isError).toBe(true);
  expect(outcome.text).toContain("cluster prod");
  expect(requests).toEqual([]);
});

test("a destructive ceiling does not stand in for a gate: destroy without destructive: true is still refused", async () => {
  const { registry, requests } = twoClusters();
  const outcome = await registry.call("proxmox_destroy_resource", { vmid: 100, confirm: true, instance: "lab" }, { maxTier: () => 3 });
  expect(outcome.isError).toBe(true);
  expect(outcome.text).toContain("destructive");
  expect(requests).toEqual([]);
});
