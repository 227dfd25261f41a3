// Who is calling over HTTP: the static bearer token (one person), OAuth access tokens (a
// team, each person with their own scopes), or both when the admin says so. Every answer
// here is a short fixed body with the WWW-Authenticate parameters the MCP authorization
// spec asks for, so a client can find the authorization server by itself.
import type { Logger } from "../log.ts";
import { loadOAuthConfig, type OAuthConfig, OAuthVerifier, TokenError } from "./oauth.ts";
import { grantFromScopes, type TierCeiling } from "./scopes.ts";

/** What a request may do, decided from its credentials; handed to the registry per call. */
export interface Principal {
  /** The person and client, for the audit line and the confirmation question. */
  actor?: { subject: string; clientId?: string };
  /** The caller's own tier ceiling per cluster; absent: the server's ceilings alone. */
  maxTier?: (instance: string) => TierCeiling;
}

export interface AuthSettings {
  token?: string;
  oauth?: OAuthConfig;
}

/** PROXMOX_MCP_HTTP_AUTH and what it needs; problems name the variable and the fix. */
export function authSettingsFromEnv(env: Record<string, string | undefined>, token: string | undefined): { settings: AuthSettings; problems: string[] } {
  const { config: oauth, problems } = loadOAuthConfig(env);
  const raw = env.PROXMOX_MCP_HTTP_AUTH?.trim().toLowerCase();
  if (raw === undefined || raw === "") {
    // Security: two ways in at once only when the admin asked for both.
    if (token && (oauth || env.PROXMOX_MCP_OAUTH_ISSUER?.trim())) {
      problems.push("Both PROXMOX_MCP_HTTP_TOKEN(_FILE) and PROXMOX_MCP_OAUTH_ISSUER are set. Set PROXMOX_MCP_HTTP_AUTH=token,oauth to accept either, or unset one of them.");
    }
    return { settings: { token, oauth }, problems };
  }
  const modes = new Set(raw.split(/[\s,+]+/).filter(Boolean));
  const unknown = [...modes].filter((m) => m !== "token" && m !== "oauth");
  if (unknown.length || modes.size === 0) {
    problems.push(`PROXMOX_MCP_HTTP_AUTH must be token, oauth or token,oauth (got ${JSON.stringify(raw.slice(0, 40))}).`);
    return { settings: {}, problems };
  }
  if (modes.has("token") && !token) problems.push("PROXMOX_MCP_HTTP_AUTH includes token, but PROXMOX_MCP_HTTP_TOKEN (or PROXMOX_MCP_HTTP_TOKEN_FILE) is not set.");
  if (modes.has("oauth") && !oauth && !problems.length) problems.push("PROXMOX_MCP_HTTP_AUTH includes oauth, but PROXMOX_MCP_OAUTH_ISSUER and PROXMOX_MCP_OAUTH_RESOURCE are not set.");
  if (!modes.has("token") && token) problems.push("PROXMOX_MCP_HTTP_TOKEN is set but PROXMOX_MCP_HTTP_AUTH=oauth leaves it unused: unset it, or use PROXMOX_MCP_HTTP_AUTH=token,oauth.");
  if (!modes.has("oauth") && oauth) problems.push("PROXMOX_MCP_OAUTH_ISSUER is set but PROXMOX_MCP_HTTP_AUTH=token leaves it unused: unset it, or use PROXMOX_MCP_HTTP_AUTH=token,oauth.");
  return { settings: { token: modes.has("token") ? token : undefined, oauth: modes.has("oauth") ? oauth : undefined }, problems };
}

export type AuthResult = { principal: Principal; authInfo?: { token: string; clientId: string; scopes: string[]; expiresAt?: number } } | { response: Response };

export class HttpAuth {
  readonly verifier?: OAuthVerifier;
  /** Where clients find the RFC 9728 document (from the public resource URI). */
  readonly metadataUrl?: string;
  private readonly metadataPaths = new Set<string>();

  constructor(
    readonly settings: AuthSettings,
    private readonly instances: readonly string[],
    private readonly log: Logger,
    fetchImpl: typeof fetch = fetch,
  ) {
    const { oauth } = settings;
    if (oauth) {
      this.verifier = new OAuthVerifier(oauth, fetchImpl);
      const resource = new URL(oauth.resource);
      const path = resource.pathname === "/" ? "" : resource.pathname.replace(/\/$/, "");
      this.metadataUrl = `${resource.origin}/.well-known/oauth-protected-resource${path}`;
      // RFC 9728 puts the document at the path-inserted URL; the bare one serves clients that only try that.
      this.metadataPaths.add(`/.well-known/oauth-protected-resource${path}`).add("/.well-known/oauth-protected-resource");
    }
  }

  get enabled(): boolean {
    return this.settings.token !== undefined || this.verifier !== undefined;
  }

  describe(): string {
    const parts = [this.settings.token ? "bearer token" : "", this.verifier ? `OAuth (issuer ${this.settings.oauth?.issuer})` : ""].filter(Boolean);
    return parts.length ? `${parts.join(" or ")} required` : "loopback only, no token";
  }

  /** The protected-resource metadata, when OAuth is on and the path is one of its two. */
  metadata(pathname: string): Response | undefined {
    const oauth = this.settings.oauth;
    if (!oauth || !this.metadataPaths.has(pathname)) return undefined;
    return Response.json(
      {
        resource: oauth.resource,
        authorization_servers: [oauth.issuer],
        scopes_supported: [oauth.scopes.read, oauth.scopes.write, oauth.scopes.destructive],
        bearer_methods_supported: ["header"],
        resource_name: "proxmox-mcp",
      },
      { headers: { "Cache-Control": "max-age=300" } },
    );
  }

  async authenticate(request: Request): Promise<AuthResult> {
    if (!this.enabled) return { principal: {} };
    const header = request.headers.get("authorization");
    const given = /^Bearer +(\S+) *$/i.exec(header ?? "")?.[1] ?? "";
    if (!given) return { response: this.challenge(401, "unauthorized", this.verifier ? "Send Authorization: Bearer <access token> (OAuth: see the resource_metadata in WWW-Authenticate)." : "Send Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN>.") };
    const { token } = this.settings;
    if (token !== undefined && tokenMatches(token, given)) return { principal: { actor: { subject: "http-token" } } };
    if (!this.verifier) return { response: this.challenge(401, "unauthorized", "Send Authorization: Bearer <PROXMOX_MCP_HTTP_TOKEN>.", "invalid_token") };
    try {
      const verified = await this.verifier.verify(given);
      const grant = grantFromScopes(verified.scopes, this.verifier.config.scopes, this.instances);
      if (!grant.any) {
        return { response: this.challenge(403, "insufficient_scope", `This token carries none of this server's scopes; ask for ${this.verifier.config.scopes.read} (reads), ${this.verifier.config.scopes.write} or ${this.verifier.config.scopes.destructive}.`, "insufficient_scope") };
      }
      const actor = { subject: verified.subject, clientId: verified.clientId };
      return {
        principal: { actor, maxTier: grant.maxTier },
        // The SDK wants a token string; it needs none, so the bearer token goes no further than here.
        authInfo: { token: "", clientId: verified.clientId ?? verified.subject, scopes: verified.scopes, expiresAt: verified.expiresAt },
      };
    } catch (error) {
      if (error instanceof TokenError && error.unavailable) {
        this.log.warn(`oauth: ${error.reason}`);
        return { response: fixed(503, { error: "temporarily_unavailable", message: "The authorization server's keys cannot be fetched right now; try again shortly." }) };
      }
      const reason = error instanceof TokenError ? error.reason : "the token could not be verified";
      this.log.debug(`oauth: token refused: ${reason}`);
      return { response: this.challenge(401, "invalid_token", `Token refused: ${reason}.`, "invalid_token") };
    }
  }

  /** 401/403 with WWW-Authenticate (RFC 6750 §3, RFC 9728 §5.1). */
  private challenge(status: number, error: string, message: string, code?: string): Response {
    const params: string[] = [];
    if (this.metadataUrl) params.push(`resource_metadata="${this.metadataUrl}"`);
    const scopes = this.settings.oauth?.scopes;
    if (scopes) params.push(`scope="${scopes.read} ${scopes.write} ${scopes.destructive}"`);
    if (code) params.push(`error="${code}"`);
    if (!this.metadataUrl) params.push('realm="proxmox-mcp"');
    return fixed(status, { error, message }, { "WWW-Authenticate": `Bearer ${params.join(", ")}` });
  }
}

function fixed(status: number, body: Record<string, string>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** Compares digests so neither the token's length nor its content leaks through timing. */
function tokenMatches(expected: string, given: string): boolean {
  const a = new Bun.CryptoHasher("sha256").update(expected).digest();
  const b = new Bun.CryptoHasher("sha256").update(given).digest();
  // node:crypto from process.getBuiltinModule: an import would load it at every start, HTTP or not.
  return process.getBuiltinModule("node:crypto").timingSafeEqual(a, b) && given.length > 0;
}
