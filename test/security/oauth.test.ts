// The HTTP server as an OAuth 2.1 resource server in front of a real OpenID provider on
// loopback: per-scope tool lists, refusals before any PVE request, the person in the audit
// line, and forged tokens (each written as the attack) refused before the MCP layer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt, importJWK, SignJWT } from "jose";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { envFor, runBinary } from "../helpers/harness.ts";
import { httpClient, type Served, serveHttp } from "../helpers/http-serve.ts";
import { type Oidc, PERSON_CLIENT, SERVICE, startOidc } from "../helpers/oidc.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

const sim = useSimulator();
const RESOURCE = "https://mcp.test.example/mcp";
const STATIC = "static-token-5b1e9c0d7a3f4e2b8c6d0a1f";
// proxmox_api's tier follows each call, so a read scope lists it and serves its GETs only.
const READS = ALL_TOOLS.filter((t) => t.tier === 1 || t.tierFor).map((t) => t.name).sort();
const UP_TO_WRITES = ALL_TOOLS.filter((t) => t.tier <= 2 || t.tierFor).map((t) => t.name).sort();

let oidc: Oidc;
let server: Served;
let auditFile: string;

function oauthEnv(extra: Record<string, string> = {}): Record<string, string> {
  return envFor(sim(), { PROXMOX_MCP_OAUTH_ISSUER: oidc.issuer, PROXMOX_MCP_OAUTH_RESOURCE: RESOURCE, ...extra });
}

beforeAll(async () => {
  oidc = await startOidc();
  auditFile = join(scratchDir("oauth"), "audit.jsonl");
  server = await serveHttp(oauthEnv({ PROXMOX_AUDIT_LOG: auditFile }));
});
afterAll(async () => {
  server?.proc.kill();
  await oidc?.stop();
  removeScratchDirs();
});

async function toolNames(token: string, era: "legacy" | "modern" = "legacy"): Promise<string[]> {
  const client = await httpClient(server.url, { token, era });
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

async function call(token: string, name: string, args: Record<string, unknown>, era: "legacy" | "modern" = "legacy") {
  const client = await httpClient(server.url, { token, era });
  try {
    return (await client.callTool({ name, arguments: args })) as { isError?: boolean; content?: { text?: string }[] };
  } catch (error) {
    // An unlisted tool: the SDK answers with a JSON-RPC error.
    return { isError: true, content: [{ text: String(error) }] };
  } finally {
    await client.close();
  }
}

/** A raw tools/call with this Authorization header: the status and WWW-Authenticate. */
async function rawCall(authorization: string | undefined) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...(authorization ? { Authorization: authorization } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "proxmox_status", arguments: {} } }),
  });
  return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "", body: await response.text() };
}

describe("OAuth discovery", () => {
  test("the protected-resource metadata names this resource, its issuer and the scopes", async () => {
    const response = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", server.url));
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc.resource).toBe(RESOURCE);
    expect(doc.authorization_servers).toEqual([oidc.issuer]);
    expect(doc.scopes_supported).toEqual(["proxmox:read", "proxmox:write", "proxmox:destructive"]);
  });

  test("a request without a token gets 401 with resource_metadata so the client can find the issuer", async () => {
    const { status, challenge } = await rawCall(undefined);
    expect(status).toBe(401);
    expect(challenge).toContain('resource_metadata="https://mcp.test.example/.well-known/oauth-protected-resource/mcp"');
    expect(challenge).toStartWith("Bearer ");
  });
});

describe("the resource's public name", () => {
  test("a request through a proxy with Host set to the resource's host is served; another host is refused", async () => {
    const token = await oidc.serviceToken(RESOURCE, "proxmox:read");
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" };
    const ours = await fetch(server.url, { method: "POST", headers: { ...headers, Host: "mcp.test.example" }, body });
    expect(ours.status).not.toBe(403);
    const theirs = await fetch(server.url, { method: "POST", headers: { ...headers, Host: "evil.example" }, body });
    expect(theirs.status).toBe(403);
  });
});

describe("scopes decide tiers", () => {
  test("a client-credentials token with proxmox:read lists only the read tools", async () => {
    expect(await toolNames(await oidc.serviceToken(RESOURCE, "proxmox:read"))).toEqual(READS);
  });

  test("proxmox:write lists reads and writes, not destructive tools", async () => {
    expect(await toolNames(await oidc.serviceToken(RESOURCE, "proxmox:write"))).toEqual(UP_TO_WRITES);
  });

  test("the 2026-07-28 era sees the same filtered list", async () => {
    expect(await toolNames(await oidc.serviceToken(RESOURCE, "proxmox:read"), "modern")).toEqual(READS);
  });

  test("a read-only token calling a write tool is refused with zero requests to Proxmox", async () => {
    const token = await oidc.serviceToken(RESOURCE, "proxmox:read");
    sim().resetLog();
    for (const era of ["legacy", "modern"] as const) {
      const result = await call(token, "proxmox_start_resource", { vmid: 104, confirm: true }, era);
      expect(result.isError).toBe(true);
    }
    expect(sim().requests).toHaveLength(0);
  });

  test("a read-only token may GET through proxmox_api, and its POST is refused with zero requests to Proxmox", async () => {
    const token = await oidc.serviceToken(RESOURCE, "proxmox:read");
    const read = await call(token, "proxmox_api", { path: "/pools" });
    expect(read.isError).not.toBe(true);
    expect(read.content?.[0]?.text).toContain("prod");
    sim().resetLog();
    const write = await call(token, "proxmox_api", { method: "POST", path: "/pools", params: { poolid: "x" }, confirm: true });
    expect(write.isError).toBe(true);
    expect(sim().requests).toHaveLength(0);
  });

  test("a destructive scope does not lift the server's own switch: destroy is still refused without PROXMOX_ENABLE_DESTRUCTIVE", async () => {
    const token = await oidc.serviceToken(RESOURCE, "proxmox:destructive");
    sim().resetLog();
    const result = await call(token, "proxmox_destroy_resource", { vmid: 104, confirm: true, destructive: true });
    expect(result.isError).toBe(true);
    expect(result.content?.[0]?.text).toContain("PROXMOX_ENABLE_DESTRUCTIVE");
    expect(sim().requests).toHaveLength(0);
  });

  test("a write scope on a read-only server lists no write tool (the ceiling is never widened)", async () => {
    const readOnly = await serveHttp(oauthEnv({ PROXMOX_READ_ONLY: "1" }));
    try {
      const client = await httpClient(readOnly.url, { token: await oidc.serviceToken(RESOURCE, "proxmox:destructive") });
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(READS);
      await client.close();
    } finally {
      readOnly.proc.kill();
    }
  });

  test("a token with none of this server's scopes gets 403 insufficient_scope", async () => {
    const token = await oidc.serviceToken(RESOURCE, "");
    const { status, challenge } = await rawCall(`Bearer ${token}`);
    expect(status).toBe(403);
    expect(challenge).toContain('error="insufficient_scope"');
  });
});

describe("the person is in the audit line", () => {
  test("a service's write is audited with its subject and client id", async () => {
    const token = await oidc.serviceToken(RESOURCE, "proxmox:write");
    const result = await call(token, "proxmox_start_resource", { vmid: 104, confirm: true });
    expect(result.isError).toBeFalsy();
    const lines = readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ tool: "proxmox_start_resource", decision: "allowed", actor: { subject: SERVICE.id, clientId: SERVICE.id } });
  });

  test("a person's token from authorization code + PKCE is audited as that person through that client", async () => {
    const token = await oidc.personToken(RESOURCE, "proxmox:write", "alice");
    expect(decodeJwt(token).sub).toBe("alice");
    const result = await call(token, "proxmox_start_resource", { vmid: 105, confirm: true }, "modern");
    expect(result.isError).toBeFalsy();
    const lines = readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ tool: "proxmox_start_resource", actor: { subject: "alice", clientId: PERSON_CLIENT.id } });
  });

  test("a refused call is audited with the person too", async () => {
    const token = await oidc.personToken(RESOURCE, "proxmox:read", "bob");
    await call(token, "proxmox_stop_resource", { vmid: 100, confirm: true });
    await call(await oidc.personToken(RESOURCE, "proxmox:write", "bob"), "proxmox_stop_resource", { vmid: 100 });
    const last = JSON.parse(readFileSync(auditFile, "utf8").trim().split("\n").at(-1) as string);
    expect(last).toMatchObject({ decision: "refused", actor: { subject: "bob" } });
  });
});

describe("forged tokens are refused before the MCP layer", () => {
  const base64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
  const claims = () => ({ iss: oidc.issuer, aud: RESOURCE, sub: "mallory", client_id: "evil", scope: "proxmox:destructive", iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });

  async function expectRefused(token: string, reason: RegExp) {
    sim().resetLog();
    const { status, challenge, body } = await rawCall(`Bearer ${token}`);
    expect(status).toBe(401);
    expect(challenge).toContain('error="invalid_token"');
    expect(body).toMatch(reason);
    expect(body.length).toBeLessThan(300);
    expect(sim().requests).toHaveLength(0);
  }

  test("signed with another key under the provider's key id", async () => {
    const { generateKeyPair } = await import("jose");
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: oidc.privateJwk.kid, typ: "at+jwt" }).sign(privateKey);
    await expectRefused(token, /signature/);
  });

  test("signed with another key under an unknown key id", async () => {
    const { generateKeyPair } = await import("jose");
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "attacker-key" }).sign(privateKey);
    await expectRefused(token, /key/);
  });

  test("a real token for another audience", async () => {
    await expectRefused(await oidc.serviceToken("https://other-api.example/", "proxmox:destructive"), /audience/);
  });

  test("expired, even though signed with the provider's real key", async () => {
    const key = await importJWK(oidc.privateJwk, "RS256");
    const past = Math.floor(Date.now() / 1000) - 3600;
    const token = await new SignJWT({ ...claims(), iat: past - 600, exp: past }).setProtectedHeader({ alg: "RS256", kid: oidc.privateJwk.kid }).sign(key);
    await expectRefused(token, /expired/);
  });

  test("from another issuer, signed with the provider's real key", async () => {
    const key = await importJWK(oidc.privateJwk, "RS256");
    const token = await new SignJWT({ ...claims(), iss: "https://evil.example" }).setProtectedHeader({ alg: "RS256", kid: oidc.privateJwk.kid }).sign(key);
    await expectRefused(token, /authorization server/);
  });

  test("alg: none with no signature", async () => {
    await expectRefused(`${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims())}.`, /algorithm|valid/);
  });

  test("a real read token with its scope rewritten to destructive", async () => {
    const real = await oidc.serviceToken(RESOURCE, "proxmox:read");
    const [header, payload, signature] = real.split(".") as [string, string, string];
    const tampered = { ...JSON.parse(Buffer.from(payload, "base64url").toString()), scope: "proxmox:destructive" };
    await expectRefused(`${header}.${base64url(tampered)}.${signature}`, /signature/);
  });

  test("HS256 'signed' with the provider's public key as the HMAC secret", async () => {
    const pem = createPublicKey({ key: oidc.publicJwk as never, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
    for (const secret of [pem, JSON.stringify(oidc.publicJwk)]) {
      const signingInput = `${base64url({ alg: "HS256", kid: oidc.privateJwk.kid, typ: "JWT" })}.${base64url(claims())}`;
      const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
      await expectRefused(`${signingInput}.${signature}`, /algorithm/);
    }
  });

  test("garbage in the Authorization header", async () => {
    await expectRefused("not-a-jwt", /valid/);
  });
});

describe("the static token beside OAuth", () => {
  test("both configured without PROXMOX_MCP_HTTP_AUTH stops start-up, naming the choice", async () => {
    const run = await runBinary(["serve", "--http", "127.0.0.1:0"], oauthEnv({ PROXMOX_MCP_HTTP_TOKEN: STATIC }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_MCP_HTTP_AUTH=token,oauth");
    expect(run.stderr).not.toContain(STATIC);
  });

  test("with PROXMOX_MCP_HTTP_AUTH=token,oauth both are accepted, and nothing else", async () => {
    const both = await serveHttp(oauthEnv({ PROXMOX_MCP_HTTP_TOKEN: STATIC, PROXMOX_MCP_HTTP_AUTH: "token,oauth" }));
    try {
      for (const token of [STATIC, await oidc.serviceToken(RESOURCE, "proxmox:read")]) {
        const client = await httpClient(both.url, { token });
        expect((await client.listTools()).tools.length).toBeGreaterThan(0);
        await client.close();
      }
      const response = await fetch(both.url, { method: "POST", headers: { Authorization: "Bearer wrong", "Content-Type": "application/json" }, body: "{}" });
      expect(response.status).toBe(401);
    } finally {
      both.proc.kill();
    }
  });

  test("an issuer over plain http off loopback stops start-up", async () => {
    const run = await runBinary(["serve", "--http", "127.0.0.1:0"], envFor(sim(), { PROXMOX_MCP_OAUTH_ISSUER: "http://auth.example.com", PROXMOX_MCP_OAUTH_RESOURCE: RESOURCE }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("https://");
  });
});
