// The verifier's key cache: one JWKS fetch serves many tokens; a token with an unknown key
// id (the issuer rotated its keys) refetches once instead of being refused or refetching per call.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { OAuthVerifier } from "../../src/auth/oauth.ts";
import { DEFAULT_SCOPES } from "../../src/auth/scopes.ts";

const RESOURCE = "https://mcp.example/mcp";
let keys: { kid: string; key: CryptoKey; jwk: Record<string, unknown> }[] = [];
let jwksFetches = 0;
let server: ReturnType<typeof Bun.serve>;
let issuer: string;

async function newKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  return { kid, key: privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

beforeAll(async () => {
  keys = [await newKey("one")];
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/.well-known/openid-configuration") return Response.json({ issuer, jwks_uri: `${issuer}/jwks` });
      if (path === "/jwks") {
        jwksFetches++;
        return Response.json({ keys: keys.map((k) => k.jwk) });
      }
      return new Response("no", { status: 404 });
    },
  });
  issuer = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const token = (k: { kid: string; key: CryptoKey }) =>
  new SignJWT({ scope: "proxmox:read", client_id: "c" }).setProtectedHeader({ alg: "ES256", kid: k.kid }).setIssuer(issuer).setAudience(RESOURCE).setSubject("alice").setIssuedAt().setExpirationTime("5m").sign(k.key);

test("twenty tokens cost one JWKS fetch, unknown key ids inside the cooldown none, and a rotated key one more", async () => {
  const verifier = new OAuthVerifier({ issuer, resource: RESOURCE, scopes: DEFAULT_SCOPES, clockToleranceSec: 60 }, fetch, 200);
  for (let i = 0; i < 20; i++) expect((await verifier.verify(await token(keys[0] as never))).subject).toBe("alice");
  expect(jwksFetches).toBe(1);
  const stranger = await newKey("stranger");
  for (let i = 0; i < 10; i++) await expect(verifier.verify(await token(stranger))).rejects.toThrow("does not publish");
  expect(jwksFetches).toBe(1);
  keys.push(await newKey("two"));
  await Bun.sleep(250);
  expect((await verifier.verify(await token(keys[1] as never))).scopes).toEqual(["proxmox:read"]);
  expect(jwksFetches).toBe(2);
});

test("metadata naming another issuer is refused instead of trusting its keys", async () => {
  const verifier = new OAuthVerifier({ issuer: `${issuer}/other`, resource: RESOURCE, scopes: DEFAULT_SCOPES, clockToleranceSec: 60 }, (async (input: RequestInfo | URL) => {
    if (String(input).endsWith("/openid-configuration")) return Response.json({ issuer: "https://evil.example", jwks_uri: `${issuer}/jwks` });
    return new Response("no", { status: 404 });
  }) as typeof fetch);
  await expect(verifier.verify(await token(keys[0] as never))).rejects.toThrow("not PROXMOX_MCP_OAUTH_ISSUER");
});
