// `proxmox-mcp serve --http` as a child process, and an SDK client over Streamable HTTP in
// either protocol era, for the tests that drive the HTTP transport.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { BINARY } from "./harness.ts";

export interface Served {
  url: URL;
  proc: ReturnType<typeof Bun.spawn>;
  stderr: () => string;
}

/** Starts the binary and waits for the line naming its URL. */
export async function serveHttp(env: Record<string, string>, listen = "127.0.0.1:0"): Promise<Served> {
  const proc = Bun.spawn([BINARY, "serve", "--http", listen], { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let stderr = "";
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 10_000;
  while (!/at (http:\/\/\S+\/mcp)/.test(stderr)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${stderr}`);
    stderr += decoder.decode(value);
  }
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stderr += decoder.decode(value);
    }
  })();
  const url = new URL(/at (http:\/\/\S+\/mcp)/.exec(stderr)?.[1] as string);
  return { url, proc, stderr: () => stderr };
}

/** An MCP client over HTTP: legacy (2025-11-25, `initialize`) or modern (2026-07-28). */
export async function httpClient(url: URL | string, options: { token?: string; era?: "legacy" | "modern"; fetch?: typeof fetch } = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : undefined,
    fetch: options.fetch,
  });
  const client = new Client({ name: "proxmox-mcp-tests", version: "1.0.0" }, options.era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
  await client.connect(transport);
  return client;
}
