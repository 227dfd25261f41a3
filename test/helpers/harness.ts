// Shared test plumbing: the compiled binary, an MCP client over stdio, the simulator's env.
import { existsSync } from "node:fs";
import { type ConnectOptions, connectStdio, type McpSession, type SimLike } from "./mcp.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const BINARY = `${ROOT}dist/proxmox-mcp`;

if (!existsSync(BINARY)) {
  throw new Error(`The end-to-end tests drive the compiled binary, and ${BINARY} is missing: run \`bun run build\` (or \`bun run test\`, which builds first).`);
}

export { callTool, envFor, type McpSession, type SimLike, type ToolAnswer } from "./mcp.ts";

/** An MCP session with the compiled binary. */
export function connectMcp(env: Record<string, string>, options: ConnectOptions = {}): Promise<McpSession> {
  return connectStdio(BINARY, env, options);
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
