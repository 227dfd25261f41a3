// Resources, prompts, human confirmation and several clusters, through the compiled binary.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { BINARY, callTool, envFor, pveGet, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const sim = useSimulator();

interface Res {
  type: string;
  vmid: number;
  node: string;
  status: string;
  template?: number;
}
const stoppedGuest = async () => (await pveGet<Res[]>(sim(), "/cluster/resources?type=vm")).find((g) => (g.type === "qemu" || g.type === "lxc") && g.status === "stopped" && !g.template && g.node !== "pve3") as Res;

describe("resources", () => {
  test("the inventory, a guest and a node are readable resources with stable URIs", async () => {
    await withSession(envFor(sim()), async (s) => {
      const { resources } = await s.client.listResources();
      expect(resources.map((r) => r.uri)).toContain("proxmox://default/inventory");
      const guestUri = resources.find((r) => r.uri.startsWith("proxmox://default/guests/"))?.uri as string;
      const guest = await s.client.readResource({ uri: guestUri });
      expect(JSON.parse((guest.contents[0] as { text: string }).text).vmid).toBe(Number(guestUri.split("/").pop()));
      const inventory = await s.client.readResource({ uri: "proxmox://default/inventory" });
      expect(JSON.parse((inventory.contents[0] as { text: string }).text).vms.total).toBeGreaterThan(0);
      const node = await s.client.readResource({ uri: "proxmox://default/nodes/pve1" });
      expect(JSON.parse((node.contents[0] as { text: string }).text).node).toBe("pve1");
    });
  });

  test("tool results link to the resources they describe", async () => {
    await withSession(envFor(sim()), async (s) => {
      const result = (await s.client.callTool({ name: "proxmox_list_vms", arguments: { limit: 3 } })) as { content: { type: string; uri?: string }[] };
      const links = result.content.filter((c) => c.type === "resource_link");
      expect(links.length).toBeGreaterThan(0);
      expect(links[0]?.uri).toStartWith("proxmox://default/guests/");
    });
  });
});

describe("prompts", () => {
  test("the health check, safe maintenance, backup audit and snapshot rollback prompts are offered", async () => {
    await withSession(envFor(sim()), async (s) => {
      const { prompts } = await s.client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(["proxmox_backup_audit", "proxmox_health_check", "proxmox_safe_maintenance", "proxmox_snapshot_rollback"]);
      const prompt = await s.client.getPrompt({ name: "proxmox_safe_maintenance", arguments: { vmid: "101", change: "kernel upgrade" } });
      const text = (prompt.messages[0]?.content as { text: string }).text;
      expect(text).toContain("proxmox_snapshot_resource");
      expect(text).toContain("kernel upgrade");
    });
  });
});

async function elicitingClient(env: Record<string, string>, answer: "accept" | "decline", era: "legacy" | "modern") {
  const client = new Client({ name: "eliciting", version: "1" }, { capabilities: { elicitation: { form: {} } }, ...(era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}) });
  const questions: string[] = [];
  client.setRequestHandler("elicitation/create", async (request: { params: { message: string } }) => {
    questions.push(request.params.message);
    return answer === "accept" ? { action: "accept", content: { confirm: true } } : { action: "decline" };
  });
  await client.connect(new StdioClientTransport({ command: BINARY, env, stderr: "pipe" }));
  return { client, questions };
}

describe("a person confirms destructive writes when the client can ask", () => {
  for (const era of ["legacy", "modern"] as const) {
    test(`${era} client: a declined confirmation sends nothing to Proxmox`, async () => {
      const g = await stoppedGuest();
      const { client, questions } = await elicitingClient(envFor(sim(), { PROXMOX_ENABLE_DESTRUCTIVE: "1" }), "decline", era);
      try {
        sim().resetLog();
        const result = (await client.callTool({ name: "proxmox_destroy_resource", arguments: { vmid: g.vmid, confirm: true, destructive: true } })) as { isError?: boolean; content: { text?: string }[] };
        expect(result.isError).toBe(true);
        expect(result.content[0]?.text).toContain("declined");
        expect(questions[0]).toContain(`${g.vmid}`);
        expect(questions[0]).toContain(g.node);
        expect(sim().requests.filter((r) => r.method !== "GET")).toHaveLength(0);
      } finally {
        await client.close();
      }
    });
  }

  test("an accepted confirmation lets a tier-2 write through with PROXMOX_CONFIRM_WRITES=elicit", async () => {
    const g = await stoppedGuest();
    const { client, questions } = await elicitingClient(envFor(sim(), { PROXMOX_CONFIRM_WRITES: "elicit" }), "accept", "legacy");
    try {
      const result = (await client.callTool({ name: "proxmox_start_resource", arguments: { vmid: g.vmid, confirm: true } })) as { isError?: boolean; structuredContent?: { state: string } };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent?.state).toBe("ok");
      expect(questions).toHaveLength(1);
    } finally {
      await client.close();
    }
  });
});

describe("several clusters", () => {
  test("status summarises every instance and a write without instance is refused", async () => {
    const dir = scratchDir("multi");
    const file = join(dir, "clusters.json");
    writeFileSync(file, JSON.stringify({ instances: { lab: { url: sim().url, tokenId: sim().tokenId, tokenSecret: sim().tokenSecret }, gone: { url: "http://127.0.0.1:9", tokenId: "root@pam!xx", tokenSecret: "12345678-aaaa" } } }));
    await withSession({ PATH: process.env.PATH ?? "", PROXMOX_CONFIG: file, PROXMOX_TIMEOUT_MS: "2000" }, async (s) => {
      const status = await callTool(s, "proxmox_status");
      expect(status.isError).toBe(false);
      expect(status.text).toContain("[gone] UNREACHABLE");
      const write = await callTool(s, "proxmox_start_resource", { vmid: 100, confirm: true });
      expect(write.text).toContain("never guesses");
      const read = await callTool(s, "proxmox_list_vms", { instance: "lab" });
      expect(read.isError).toBe(false);
    });
  });
});
