// Certificate pinning for PROXMOX_TLS_FINGERPRINT. Bun's fetch cannot both skip chain
// verification and check the certificate of the connection it uses, and a node's
// certificate is usually signed by the cluster's own CA, which the client does not have.
// So a pinned request runs on a TLS socket of our own: the fingerprint is compared right
// after the handshake, and only then is a single byte of the request (and its
// Authorization header) written. One connection per request; correctness over speed.

/** node:tls, loaded on the first pinned connection: most servers pin nothing, and every start would pay for it. */
const tls = () => process.getBuiltinModule("node:tls");

export class FingerprintMismatchError extends Error {
  readonly code = "ERR_TLS_FINGERPRINT_MISMATCH";
}

/** SNI takes a host name, never an IP address. */
function serverName(hostname: string): string | undefined {
  return /^[\d.]+$|:/.test(hostname) ? undefined : hostname;
}

/** The SHA-256 fingerprint of the certificate a server presents, as PVE writes it (AB:CD:…). */
export function peerFingerprint(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = tls().connect({ host, port, servername: serverName(host), rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("timeout"));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const fingerprint = socket.getPeerCertificate()?.fingerprint256?.toUpperCase();
      socket.end();
      resolve(fingerprint);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function createPinnedFetch(expectedFingerprint: string): typeof fetch {
  const expected = expectedFingerprint.toUpperCase();
  const pinned = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers);
    const body = typeof init.body === "string" ? init.body : "";
    const port = Number(url.port || 443);
    return new Promise<Response>((resolve, reject) => {
      const socket = tls().connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port, servername: serverName(url.hostname), rejectUnauthorized: false });
      const chunks: Buffer[] = [];
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(error);
      };
      init.signal?.addEventListener("abort", () => fail(init.signal?.reason instanceof Error ? init.signal.reason : new Error("aborted")), { once: true });
      socket.once("secureConnect", () => {
        const actual = socket.getPeerCertificate()?.fingerprint256?.toUpperCase();
        // Security: nothing is written to a server whose certificate is not the pinned one.
        if (actual !== expected) {
          fail(new FingerprintMismatchError(`FINGERPRINT_MISMATCH: the server presented a certificate with SHA-256 fingerprint ${actual ?? "unknown"}, but PROXMOX_TLS_FINGERPRINT is ${expected}.`));
          return;
        }
        const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "Connection: close", `Content-Length: ${Buffer.byteLength(body)}`];
        headers.forEach((value, key) => lines.push(`${key}: ${value}`));
        socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
      });
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.once("error", (error) => fail(error));
      socket.once("end", () => {
        if (settled) return;
        settled = true;
        try {
          resolve(parseHttpResponse(Buffer.concat(chunks)));
        } catch (error) {
          reject(error);
        }
      });
    });
  };
  return pinned as typeof fetch;
}

/** Parses a whole HTTP/1.1 response read until the server closed the connection. */
export function parseHttpResponse(raw: Buffer): Response {
  const headerEnd = raw.indexOf("\r\n\r\n");
  if (headerEnd < 0) throw new Error("truncated HTTP response");
  const head = raw.subarray(0, headerEnd).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(head[0] ?? "");
  if (!status) throw new Error("malformed HTTP status line");
  const headers = new Headers();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(headerEnd + 4);
  if (headers.get("transfer-encoding")?.toLowerCase().includes("chunked")) body = dechunk(body);
  else if (headers.has("content-length")) body = body.subarray(0, Number(headers.get("content-length")));
  const code = Number(status[1]);
  return new Response(code === 204 || code === 304 ? null : new Uint8Array(body), { status: code, statusText: status[2] ?? "", headers });
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
