// A real OpenID provider (the npm package oidc-provider) on loopback, for the OAuth tests:
// client credentials for a service, authorization code with PKCE for a person, JWT access
// tokens bound to a resource. Its RS256 key is ours, so tests can also mint tokens with it
// (expired, wrong issuer) and forge ones without it.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

export const SCOPES = "proxmox:read proxmox:write proxmox:destructive";
export const SERVICE = { id: "ops-bot", secret: "ops-bot-secret-0f3c9a7e1b2d4c6e8a0b" };
export const PERSON_CLIENT = { id: "claude-code", redirect: "http://127.0.0.1:7/callback" };

export interface Oidc {
  issuer: string;
  /** The provider's signing key (private), as a JWK with its kid. */
  privateJwk: JWK & { kid: string };
  publicJwk: JWK & { kid: string };
  /** client_credentials: a service's token for `resource` with `scope`. */
  serviceToken(resource: string, scope: string): Promise<string>;
  /** authorization_code + PKCE, as `login` (the person), through the provider's own forms. */
  personToken(resource: string, scope: string, login: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startOidc(): Promise<Oidc> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `k-${randomBytes(4).toString("hex")}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };

  const provider = new Provider(issuer, {
    clients: [
      { client_id: SERVICE.id, client_secret: SERVICE.secret, grant_types: ["client_credentials"], redirect_uris: [], response_types: [], scope: SCOPES },
      { client_id: PERSON_CLIENT.id, token_endpoint_auth_method: "none", grant_types: ["authorization_code"], redirect_uris: [PERSON_CLIENT.redirect], response_types: ["code"], scope: `openid ${SCOPES}` },
    ],
    jwks: { keys: [privateJwk] },
    scopes: ["openid", ...SCOPES.split(" ")],
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({ scope: SCOPES, audience: resource, accessTokenFormat: "jwt", accessTokenTTL: 600, jwt: { sign: { alg: "RS256" } } }),
      },
    },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, ClientCredentials: 600, Interaction: 600, Session: 600, Grant: 600, IdToken: 600 },
    // Cookies over plain http on loopback.
    cookies: { keys: ["test-cookie-key"], long: { secure: false }, short: { secure: false } },
  } as never);
  // Logged errors would only clutter the test output.
  provider.on("server_error", () => {});
  server.on("request", provider.callback());

  const tokenRequest = async (body: Record<string, string>, basic?: string) => {
    const response = await fetch(`${issuer}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...(basic ? { Authorization: `Basic ${Buffer.from(basic).toString("base64")}` } : {}) },
      body: new URLSearchParams(body),
    });
    const json = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!json.access_token) throw new Error(`token request failed: ${json.error}: ${json.error_description}`);
    return json.access_token;
  };

  return {
    issuer,
    privateJwk,
    publicJwk,
    serviceToken: (resource, scope) => tokenRequest({ grant_type: "client_credentials", scope, resource }, `${SERVICE.id}:${SERVICE.secret}`),
    async personToken(resource, scope, login) {
      const verifier = randomBytes(32).toString("base64url");
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      const jar = new Map<string, string>();
      const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
        const response = await fetch(new URL(url, issuer), { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
        for (const cookie of response.headers.getSetCookie()) {
          const [pair] = cookie.split(";");
          const [name, ...value] = (pair as string).split("=");
          jar.set(name as string, value.join("="));
        }
        return response;
      };
      const params = new URLSearchParams({ client_id: PERSON_CLIENT.id, response_type: "code", redirect_uri: PERSON_CLIENT.redirect, scope: `openid ${scope}`, resource, code_challenge: challenge, code_challenge_method: "S256", state: "s1" });
      let response = await go(`/auth?${params}`);
      // The provider's development forms: log in, then consent; each step redirects back.
      for (let step = 0; step < 10; step++) {
        const location = response.headers.get("location");
        if (!location) throw new Error(`authorization stopped at ${response.status}: ${(await response.text()).slice(0, 300)}`);
        if (location.startsWith(PERSON_CLIENT.redirect)) {
          const code = new URL(location).searchParams.get("code");
          if (!code) throw new Error(`no code in ${location}`);
          return tokenRequest({ grant_type: "authorization_code", code, redirect_uri: PERSON_CLIENT.redirect, client_id: PERSON_CLIENT.id, code_verifier: verifier });
        }
        response = await go(location);
        if (response.status === 200) {
          const page = await response.text();
          const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1] ?? (page.includes('name="login"') ? "login" : "consent");
          const form: Record<string, string> = prompt === "login" ? { prompt, login, password: "any" } : { prompt };
          response = await go(location, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
        }
      }
      throw new Error("authorization did not finish");
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
