// The attack of issue 11 item 4 through the real binary: a 2025-11-25 client that declares
// elicitation, over stateless Streamable HTTP, where the server cannot send it the question.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { envFor } from "../helpers/harness.ts";
import { type Served, serveHttp } from "../helpers/http-serve.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();
const TOKEN = "confirmation-http-test-token-0123456789abcdef";

let served: Served | undefined;

beforeAll(async () => {
  served = await serveHttp(envFor(sim(), { PROXMOX_MCP_HTTP_TOKEN: TOKEN, PROXMOX_CONFIRM_WRITES: "elicit", PROXMOX_ENABLE_DESTRUCTIVE: "1" }));
});
afterAll(() => served?.proc.kill());

async function elicitingClient(era: "legacy" | "modern") {
  const client = new Client({ name: "eliciting-over-http", version: "1" }, { capabilities: { elicitation: { form: {} } }, ...(era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}) });
  const questions: string[] = [];
  client.setRequestHandler("elicitation/create", async (request: { params: { message: string } }) => {
    questions.push(request.params.message);
    return { action: "accept", content: { confirm: true } };
  });
  await client.connect(new StreamableHTTPClientTransport((served as Served).url, { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
  return { client, questions };
}

describe("a write the server promised to confirm with a person, over stateless HTTP", () => {
  test("a 2025-11-25 client declaring elicitation is refused, not waved through, and Proxmox sees no request", async () => {
    const { client } = await elicitingClient("legacy");
    try {
      sim().resetLog();
      const result = (await client.callTool({ name: "proxmox_start_resource", arguments: { vmid: 104, confirm: true } })) as { isError?: boolean; content: { text?: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain("cannot send a 2025-11-25 client the question");
      expect(sim().requests).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  test("a 2026-07-28 client over the same server is asked, and its acceptance lets the write through", async () => {
    const { client, questions } = await elicitingClient("modern");
    try {
      const result = (await client.callTool({ name: "proxmox_start_resource", arguments: { vmid: 104, confirm: true, wait: false } })) as { isError?: boolean; content: { text?: string }[] };
      expect(result.content[0]?.text).not.toContain("refused");
      expect(result.isError).toBeFalsy();
      expect(questions).toHaveLength(1);
      expect(questions[0]).toContain("Start VM 104 (win11-lab) on pve1");
    } finally {
      await client.close();
    }
  });
});
