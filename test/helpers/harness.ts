// Shared test plumbing: the compiled binary, an MCP client over stdio, the simulator's env.
import { existsSync } from "node:fs";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const BINARY = `${ROOT}dist/proxmox-mcp`;

if (!existsSync(BINARY)) {
  throw new Error(`The end-to-end tests drive the compiled binary, and ${BINARY} is missing: run \`bun run build\` (or \`bun run test\`, which builds first).`);
}

export interface SimLike {
  url: string;
  tokenId: string;
  tokenSecret: string;
}

/** The environment a real user would set, pointing at the simulator. */
export function envFor(sim: SimLike, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    PROXMOX_URL: sim.url,
    PROXMOX_TOKEN_ID: sim.tokenId,
    PROXMOX_TOKEN_SECRET: sim.tokenSecret,
    PROXMOX_TIMEOUT_MS: "5000",
    ...extra,
  };
}

export interface McpSession {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

export async function connectMcp(
  env: Record<string, string>,
  options: { era?: "legacy" | "modern"; args?: string[]; cwd?: string } = {},
): Promise<McpSession> {
  const transport = new StdioClientTransport({ command: BINARY, args: options.args ?? [], env, stderr: "pipe", cwd: options.cwd });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client(
    { name: "proxmox-mcp-tests", version: "1.0.0" },
    options.era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    close: () => client.close(),
  };
}

export interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

export async function callTool(session: McpSession, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const result = (await session.client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content?: { type: string; text?: string }[];
    structuredContent?: Record<string, unknown>;
  };
  return {
    isError: result.isError === true,
    text: (result.content ?? []).map((c) => c.text ?? "").join("\n"),
    structured: result.structuredContent,
  };
}

/** Runs the binary to completion (CLI mode) and captures both streams. */
export async function runBinary(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([BINARY, ...args], { env, cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Reads the simulator directly (not through the server), to compute what an answer should hold. */
export async function pveGet<T>(sim: SimLike, path: string): Promise<T> {
  const response = await fetch(`${sim.url}/api2/json${path}`, { headers: { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` } });
  const body = (await response.json()) as { data: T };
  return body.data;
}

/** Opens a session, runs fn, always closes. */
export async function withSession<T>(env: Record<string, string>, fn: (session: McpSession) => Promise<T>, options?: { era?: "legacy" | "modern" }): Promise<T> {
  const session = await connectMcp(env, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
