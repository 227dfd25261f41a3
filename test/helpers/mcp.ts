// An MCP client over stdio for any server binary, and the environment a user would set to
// point proxmox-mcp at the simulator. The tests (harness.ts, for dist/proxmox-mcp) and the
// benchmark (bench/, for the binary and its floor server) both drive servers through it.
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

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
    // Tests reach every tool; the default set's own tests pass PROXMOX_TOOLSETS themselves.
    PROXMOX_TOOLSETS: "all",
    ...extra,
  };
}

export interface McpSession {
  client: Client;
  /** The server process, for reading its memory from /proc. */
  pid: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Every JSON-RPC message the server sent, as it came off the wire (with ConnectOptions.record). */
  received: unknown[];
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** legacy: 2025-11-25 (`initialize`); modern: 2026-07-28 (`server/discover`). */
  era?: "legacy" | "modern";
  args?: string[];
  cwd?: string;
  /** Keep every message the server sends (McpSession.received): the wire, before the SDK reads it. */
  record?: boolean;
}

/** Spawns `command` and opens an MCP session with it through the SDK's client. */
export async function connectStdio(command: string, env: Record<string, string>, options: ConnectOptions = {}): Promise<McpSession> {
  const transport = new StdioClientTransport({ command, args: options.args ?? [], env, stderr: "pipe", cwd: options.cwd });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client(
    { name: "proxmox-mcp-tests", version: "1.0.0" },
    options.era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  const received: unknown[] = [];
  if (options.record) {
    const start = transport.start.bind(transport);
    transport.start = async () => {
      const deliver = transport.onmessage;
      transport.onmessage = (message) => {
        received.push(message);
        deliver?.(message);
      };
      return start();
    };
  }
  await client.connect(transport);
  return { client, pid: transport.pid ?? -1, stderr: () => stderr, received, close: () => client.close() };
}

export interface ToolAnswer {
  isError: boolean;
  /** The text content blocks, joined (resource links left out). */
  text: string;
  structured: Record<string, unknown> | undefined;
  /** The whole tools/call result, as the client received it. */
  result: unknown;
}

export async function callTool(session: Pick<McpSession, "client">, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const result = (await session.client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content?: { type: string; text?: string }[];
    structuredContent?: Record<string, unknown>;
  };
  return {
    isError: result.isError === true,
    text: (result.content ?? [])
      .filter((c) => c.type === "text")
      .map((c) => c.text ?? "")
      .join("\n"),
    structured: result.structuredContent,
    result,
  };
}
