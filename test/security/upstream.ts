// A hostile upstream: a proxy in front of the simulator that can rewrite what it answers
// (spell a secret with JSON escapes, plant guest-controlled text) or answer a path itself.
// The server under test sees it as PROXMOX_URL, exactly as it would see a real cluster.
import type { SimLike } from "../helpers/harness.ts";

export interface Upstream extends SimLike {
  stop(): Promise<void>;
}

export interface UpstreamRules {
  /** Answers a request itself (path without /api2/json, no query): a Response, a raw JSON string, or the data to wrap; undefined forwards it. */
  answer?: (method: string, path: string) => unknown | undefined;
  /** Rewrites the simulator's answer text for a path. */
  rewrite?: (path: string, text: string) => string;
}

export function hostileUpstream(sim: SimLike, rules: UpstreamRules): Upstream {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const path = decodeURIComponent(url.pathname.replace(/^\/api2\/json/, ""));
      const own = rules.answer?.(request.method, path);
      if (own instanceof Response) return own;
      if (own !== undefined) return new Response(typeof own === "string" ? own : JSON.stringify({ data: own }), { headers: { "Content-Type": "application/json;charset=UTF-8" } });
      const body = request.method === "GET" || request.method === "DELETE" ? undefined : await request.text();
      const forwarded = await fetch(`${sim.url}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body });
      const text = await forwarded.text();
      const headers = new Headers(forwarded.headers);
      headers.delete("content-length");
      return new Response(rules.rewrite ? rules.rewrite(path, text) : text, { status: forwarded.status, statusText: forwarded.statusText, headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, stop: () => server.stop(true) };
}

/** The secret as JSON may spell it: every '-' written as \u002d (the same string once parsed). */
export function jsonEscaped(secret: string): string {
  return secret.replaceAll("-", "\\u002d");
}
