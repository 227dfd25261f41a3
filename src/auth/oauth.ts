// The OAuth 2.1 resource server side of `serve --http`: which authorization server to trust
// (PROXMOX_MCP_OAUTH_ISSUER), which audience is ours (PROXMOX_MCP_OAUTH_RESOURCE), and local
// verification of its access tokens with jose. Keys come from the issuer's JWKS, found
// through metadata discovery and cached; an unknown key id refetches it (at most every 30 s).
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import { isLoopback } from "./loopback.ts";
import { DEFAULT_SCOPES, type ScopeNames } from "./scopes.ts";

export interface OAuthConfig {
  /** The authorization server's issuer identifier, exactly as its tokens' `iss`. */
  issuer: string;
  /** This server's resource URI: the audience every token must carry. */
  resource: string;
  scopes: ScopeNames;
  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  clockToleranceSec: number;
}

// Security: asymmetric algorithms only. No `none`, and no HS*: with HMAC allowed, a token
// "signed" with the issuer's public key as the HMAC secret would verify.
export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
const CLOCK_TOLERANCE_SEC = 60;

/** Reads PROXMOX_MCP_OAUTH_*; undefined when OAuth is not configured. */
export function loadOAuthConfig(env: Record<string, string | undefined>): { config?: OAuthConfig; problems: string[] } {
  const issuer = env.PROXMOX_MCP_OAUTH_ISSUER?.trim();
  const resource = env.PROXMOX_MCP_OAUTH_RESOURCE?.trim();
  if (!issuer && !resource) return { problems: [] };
  const problems: string[] = [];
  if (!issuer) problems.push("PROXMOX_MCP_OAUTH_RESOURCE is set but PROXMOX_MCP_OAUTH_ISSUER is not: name the authorization server's issuer URL, e.g. https://auth.example.com/realms/ops.");
  if (!resource) problems.push("PROXMOX_MCP_OAUTH_ISSUER is set but PROXMOX_MCP_OAUTH_RESOURCE is not: give this server's public URL, e.g. https://mcp.example.com/mcp (tokens must name it as their audience).");
  for (const [name, value] of [
    ["PROXMOX_MCP_OAUTH_ISSUER", issuer],
    ["PROXMOX_MCP_OAUTH_RESOURCE", resource],
  ] as const) {
    if (!value) continue;
    const url = URL.parse(value);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) problems.push(`${name} must be an https:// URL (got ${JSON.stringify(value.slice(0, 80))}).`);
    // Security: keys and metadata fetched over plain http could be swapped by anyone on the path.
    else if (url.protocol === "http:" && !isLoopback(url.hostname.replace(/^\[|\]$/g, ""))) problems.push(`${name} must use https:// (http:// is accepted only for a loopback address, for tests).`);
    else if (url.hash) problems.push(`${name} must not have a #fragment.`);
  }
  const scopes: ScopeNames = {
    read: env.PROXMOX_MCP_OAUTH_SCOPE_READ?.trim() || DEFAULT_SCOPES.read,
    write: env.PROXMOX_MCP_OAUTH_SCOPE_WRITE?.trim() || DEFAULT_SCOPES.write,
    destructive: env.PROXMOX_MCP_OAUTH_SCOPE_DESTRUCTIVE?.trim() || DEFAULT_SCOPES.destructive,
  };
  for (const [tier, name] of Object.entries(scopes)) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(name)) problems.push(`PROXMOX_MCP_OAUTH_SCOPE_${tier.toUpperCase()} is not a valid OAuth scope (printable ASCII, no spaces, quotes or backslashes).`);
  }
  if (new Set(Object.values(scopes)).size !== 3) problems.push("PROXMOX_MCP_OAUTH_SCOPE_READ, _WRITE and _DESTRUCTIVE must be three different scopes.");
  if (problems.length || !issuer || !resource) return { problems };
  return { config: { issuer, resource, scopes, clockToleranceSec: CLOCK_TOLERANCE_SEC }, problems };
}

/** A verified access token: who, through which client, with which scopes. */
export interface VerifiedToken {
  subject: string;
  clientId?: string;
  scopes: string[];
  expiresAt: number;
}

/** Why a token was refused: `reason` is a fixed sentence, safe to send back. */
export class TokenError extends Error {
  constructor(
    readonly reason: string,
    /** The authorization server could not be reached: not the token's fault (503). */
    readonly unavailable = false,
  ) {
    super(reason);
  }
}

export class OAuthVerifier {
  private jwks?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(
    readonly config: OAuthConfig,
    private readonly fetchImpl: typeof fetch = fetch,
    /** Least time between two JWKS fetches: a flood of unknown key ids cannot make us hammer the issuer. */
    private readonly jwksCooldownMs = 30_000,
  ) {}

  /** The JWKS, from the issuer's metadata. A failed discovery is retried on the next token. */
  private keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.jwks ??= this.discover().catch((error) => {
      this.jwks = undefined;
      throw error;
    });
    return this.jwks;
  }

  /** Fetches the metadata once at start-up so a bad issuer shows in the log, not on the first call. */
  async warmUp(): Promise<void> {
    await this.keys();
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const { issuer } = this.config;
    const base = new URL(issuer);
    const path = base.pathname.replace(/\/$/, "");
    // OpenID Connect Discovery appends to the issuer; RFC 8414 inserts after the host.
    const candidates = [`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, `${base.origin}/.well-known/oauth-authorization-server${path}`];
    for (const candidate of candidates) {
      let metadata: { issuer?: unknown; jwks_uri?: unknown };
      try {
        const response = await this.fetchImpl(candidate, { headers: { Accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(10_000) });
        if (!response.ok) continue;
        metadata = (await response.json()) as typeof metadata;
      } catch {
        continue;
      }
      // Security: metadata for another issuer is not this issuer's (RFC 8414 §3.3).
      if (metadata.issuer !== issuer) throw new TokenError(`the authorization server's metadata names issuer ${JSON.stringify(String(metadata.issuer).slice(0, 100))}, not PROXMOX_MCP_OAUTH_ISSUER`, true);
      const jwksUri = typeof metadata.jwks_uri === "string" ? URL.parse(metadata.jwks_uri) : null;
      if (!jwksUri || (jwksUri.protocol !== "https:" && !(jwksUri.protocol === "http:" && isLoopback(jwksUri.hostname.replace(/^\[|\]$/g, ""))))) {
        throw new TokenError("the authorization server's metadata has no usable https jwks_uri", true);
      }
      return createRemoteJWKSet(jwksUri, { cooldownDuration: this.jwksCooldownMs, cacheMaxAge: 10 * 60_000, timeoutDuration: 10_000 });
    }
    throw new TokenError(`cannot read the authorization server's metadata at ${candidates.join(" or ")}`, true);
  }

  async verify(token: string): Promise<VerifiedToken> {
    const jwks = await this.keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: this.config.issuer,
        // Security: the audience is this resource; a token minted for another API is refused.
        audience: this.config.resource,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: this.config.clockToleranceSec,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (error) {
      // A network failure fetching the keys is the authorization server's outage, not a bad token.
      throw new TokenError(describeJoseError(error), error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError));
    }
    const scope = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === "string") : [];
    const clientId = typeof payload.client_id === "string" ? payload.client_id : typeof payload.azp === "string" ? payload.azp : undefined;
    return { subject: String(payload.sub), clientId, scopes: scope, expiresAt: payload.exp as number };
  }
}

/** A fixed sentence per failure: what was wrong with the token, never its content. */
function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "the token was issued for another audience, not this server";
    if (error.claim === "iss") return "the token was issued by another authorization server";
    if (error.claim === "nbf") return "the token is not valid yet";
    return `the token's ${error.claim.replace(/[^a-z_]/gi, "").slice(0, 20)} claim is missing or invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's signing algorithm is not allowed (asymmetric signatures only)";
  if (error instanceof errors.JWKSNoMatchingKey) return "the token is signed with a key the authorization server does not publish";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) return "the authorization server's keys could not be fetched";
  return "the token is not a valid signed JWT";
}
