// Scopes → the highest tier a token may use, per cluster.
import { expect, test } from "bun:test";
import { DEFAULT_SCOPES, grantFromScopes } from "../../src/auth/scopes.ts";

const INSTANCES = ["prod", "lab"];

test("proxmox:read grants reads everywhere and nothing more", () => {
  const grant = grantFromScopes(["proxmox:read"], DEFAULT_SCOPES, INSTANCES);
  expect([grant.maxTier("prod"), grant.maxTier("lab")]).toEqual([1, 1]);
});

test("the highest scope wins: destructive alone allows every tier (each still behind its gates)", () => {
  expect(grantFromScopes(["proxmox:destructive"], DEFAULT_SCOPES, INSTANCES).maxTier("prod")).toBe(3);
});

test("a per-cluster scope grants its tier on that cluster only", () => {
  const grant = grantFromScopes(["proxmox:read", "proxmox:write:lab"], DEFAULT_SCOPES, INSTANCES);
  expect([grant.maxTier("prod"), grant.maxTier("lab")]).toEqual([1, 2]);
});

test("a scope for an unknown cluster or a look-alike name grants nothing", () => {
  const grant = grantFromScopes(["proxmox:write:elsewhere", "proxmox:writer", "PROXMOX:READ", "openid"], DEFAULT_SCOPES, INSTANCES);
  expect(grant.any).toBe(false);
  expect(grant.maxTier("prod")).toBe(0);
});

test("configured scope names replace the defaults", () => {
  const names = { read: "pve.read", write: "pve.write", destructive: "pve.admin" };
  expect(grantFromScopes(["pve.write", "proxmox:destructive"], names, INSTANCES).maxTier("lab")).toBe(2);
});
