// What the binary tells MCP clients beyond tools: instructions, log lines, exact resource
// errors and resource-list changes, in both protocol eras.
import { describe, expect, test } from "bun:test";
import { LOG_LEVEL_META_KEY, ProtocolError } from "@modelcontextprotocol/client";
import { callTool, connectMcp, envFor } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();
const eras = ["legacy", "modern"] as const;

type Notice = { method: string; params?: Record<string, unknown> };

describe("server instructions", () => {
  for (const era of eras) {
    test(`a ${era} client is told about tiers, toolsets, dry_run and where to start`, async () => {
      const session = await connectMcp(envFor(sim()), { era });
      try {
        const text = session.client.getInstructions() ?? "";
        for (const word of ["proxmox_status", "confirm: true", "PROXMOX_ENABLE_DESTRUCTIVE", "dry_run", "PROXMOX_TOOLSETS"]) expect(text).toContain(word);
        expect(text.split("\n").length).toBeLessThanOrEqual(8);
      } finally {
        await session.close();
      }
    });
  }
});

describe("logging", () => {
  test("the server declares logging", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      expect(session.client.getServerCapabilities()?.logging).toBeDefined();
    } finally {
      await session.close();
    }
  });

  test("a 2025-11-25 client that set the level to debug gets the server's log lines, redacted, and stderr still gets them", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s, { PROXMOX_LOG_LEVEL: "debug" }));
    const lines: Notice["params"][] = [];
    session.client.setNotificationHandler("notifications/message", (n) => {
      lines.push(n.params as Notice["params"]);
    });
    try {
      await session.client.setLoggingLevel("debug");
      await callTool(session, "proxmox_list_vms");
      await Bun.sleep(50);
      const texts = lines.map((l) => String(l?.data));
      expect(texts.some((t) => t.includes("GET /cluster/resources"))).toBe(true);
      expect(lines.every((l) => l?.logger === "proxmox-mcp")).toBe(true);
      expect(JSON.stringify(lines)).not.toContain(s.tokenSecret);
      expect(session.stderr()).toContain("GET /cluster/resources");
    } finally {
      await session.close();
    }
  });

  test("a 2025-11-25 client that set warning gets no debug lines", async () => {
    const session = await connectMcp(envFor(sim(), { PROXMOX_LOG_LEVEL: "debug" }));
    const lines: unknown[] = [];
    session.client.setNotificationHandler("notifications/message", (n) => {
      lines.push(n.params);
    });
    try {
      await session.client.setLoggingLevel("warning");
      await callTool(session, "proxmox_list_vms");
      await Bun.sleep(50);
      expect(lines).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a client that never asked gets no log notifications", async () => {
    const session = await connectMcp(envFor(sim(), { PROXMOX_LOG_LEVEL: "debug" }));
    const lines: unknown[] = [];
    session.client.setNotificationHandler("notifications/message", (n) => {
      lines.push(n.params);
    });
    try {
      await callTool(session, "proxmox_list_vms");
      await Bun.sleep(50);
      expect(lines).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a 2026-07-28 client that puts a log level on a request gets that request's log lines", async () => {
    const session = await connectMcp(envFor(sim()), { era: "modern" });
    const lines: Notice["params"][] = [];
    session.client.setNotificationHandler("notifications/message", (n) => {
      lines.push(n.params as Notice["params"]);
    });
    try {
      await session.client.callTool({ name: "proxmox_list_vms", arguments: {}, _meta: { [LOG_LEVEL_META_KEY]: "debug" } });
      expect(lines.map((l) => String(l?.data)).some((t) => t.includes("GET /cluster/resources"))).toBe(true);
      lines.length = 0;
      await session.client.callTool({ name: "proxmox_list_vms", arguments: {} });
      expect(lines).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

describe("resource not found", () => {
  const cases = [
    { era: "legacy" as const, code: -32002 },
    { era: "modern" as const, code: -32602 },
  ];
  /** The error as it came off the wire: the SDK client folds both codes into one class. */
  const wireError = (received: unknown[], uri: string) =>
    (received as { error?: { code: number; data?: unknown } }[]).map((m) => m.error).find((e) => (e?.data as { uri?: string } | undefined)?.uri === uri);

  for (const { era, code } of cases) {
    test(`reading a guest, node or cluster that does not exist answers ${code} with the URI to a ${era} client`, async () => {
      const session = await connectMcp(envFor(sim()), { era, record: true });
      try {
        for (const uri of ["proxmox://default/guests/99999", "proxmox://default/nodes/nosuchnode", "proxmox://elsewhere/guests/100"]) {
          const error = await session.client.readResource({ uri }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ProtocolError);
          expect({ uri, ...wireError(session.received, uri) }).toEqual({ uri, code, message: expect.stringContaining("not found"), data: { uri } } as never);
        }
      } finally {
        await session.close();
      }
    });
  }

  test("a guest that exists still reads", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const { resources } = await session.client.listResources();
      const guest = resources.find((r) => r.uri.includes("/guests/"));
      const read = await session.client.readResource({ uri: guest?.uri ?? "" });
      expect(read.contents[0]?.uri).toBe(guest?.uri ?? "");
    } finally {
      await session.close();
    }
  });
});

describe("resource list changes", () => {
  test("a clone by this server tells the client the resource list changed", async () => {
    const session = await connectMcp(envFor(sim()));
    let changed = 0;
    session.client.setNotificationHandler("notifications/resources/list_changed", () => {
      changed++;
    });
    try {
      expect(session.client.getServerCapabilities()?.resources?.listChanged).toBe(true);
      const vms = await callTool(session, "proxmox_list_vms");
      const source = (vms.structured?.items as { vmid: number }[])[0]?.vmid;
      const refused = await callTool(session, "proxmox_clone_resource", { vmid: source, newid: 990, name: "clone-990" });
      expect(refused.isError).toBe(true);
      expect(changed).toBe(0);
      const cloned = await callTool(session, "proxmox_clone_resource", { vmid: source, newid: 990, name: "clone-990", confirm: true });
      expect(cloned.isError).toBe(false);
      await Bun.sleep(50);
      expect(changed).toBe(1);
    } finally {
      await session.close();
    }
  });

  test("a poll notices a guest created elsewhere and tells the client", async () => {
    const s = sim();
    const session = await connectMcp(envFor(s, { PROXMOX_INVENTORY_POLL_MS: "150" }));
    let changed = 0;
    session.client.setNotificationHandler("notifications/resources/list_changed", () => {
      changed++;
    });
    try {
      // Tasks started by earlier tests settle first; then nothing changes, so nothing is sent.
      await Bun.sleep(600);
      changed = 0;
      await Bun.sleep(400);
      expect(changed).toBe(0);
      // Another client (not this server) clones a guest straight through the PVE API.
      const other = await connectMcp(envFor(s));
      const vms = await callTool(other, "proxmox_list_vms");
      const source = (vms.structured?.items as { vmid: number }[])[0]?.vmid;
      await callTool(other, "proxmox_clone_resource", { vmid: source, newid: 991, name: "clone-991", confirm: true });
      await other.close();
      const deadline = Date.now() + 3000;
      while (changed === 0 && Date.now() < deadline) await Bun.sleep(50);
      expect(changed).toBeGreaterThanOrEqual(1);
    } finally {
      await session.close();
    }
  });
});
