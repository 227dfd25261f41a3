// A real HTTPS listener in front of the simulator, with a certificate the test makes.
import { join } from "node:path";
import { scratchDir } from "./tmp.ts";

export interface TlsFront {
  url: string;
  caFile: string;
  fingerprint: string;
  stop(): void;
}

/** A CA and a server certificate signed by it (as PVE's pve-root-ca signs each node's). */
export async function makeCertificates(): Promise<{ dir: string; caFile: string; certFile: string; keyFile: string; fingerprint: string }> {
  const dir = scratchDir("tls");
  const run = async (...args: string[]) => {
    const proc = Bun.spawn(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${await new Response(proc.stderr).text()}`);
    return out;
  };
  await run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test Proxmox Root CA");
  await run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=localhost");
  await Bun.write(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await run("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.pem", "-days", "2", "-extfile", "ext.cnf");
  const fingerprint = (await run("x509", "-in", "node.pem", "-noout", "-fingerprint", "-sha256")).split("=")[1]?.trim().toUpperCase() ?? "";
  return { dir, caFile: join(dir, "ca.pem"), certFile: join(dir, "node.pem"), keyFile: join(dir, "node.key"), fingerprint };
}

/** Serves HTTPS on loopback and forwards every request to the (HTTP) simulator. */
export async function startTlsFront(targetUrl: string): Promise<TlsFront> {
  const certs = await makeCertificates();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: Bun.file(certs.certFile), key: Bun.file(certs.keyFile) },
    async fetch(request) {
      const url = new URL(request.url);
      const upstream = await fetch(`${targetUrl}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: request.method === "GET" || request.method === "DELETE" ? undefined : await request.text(),
      });
      return new Response(await upstream.text(), { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers });
    },
  });
  return { url: `https://127.0.0.1:${server.port}`, caFile: certs.caFile, fingerprint: certs.fingerprint, stop: () => server.stop(true) };
}
