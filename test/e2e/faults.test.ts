// A flaky or hostile Proxmox: every failure is a clear tool error and the server keeps serving.
import { describe, expect, test } from "bun:test";
import { callTool, connectMcp, envFor, type McpSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

async function withFault(fault: Parameters<ReturnType<typeof sim>["injectFault"]>[0]["fault"], extraEnv: Record<string, string> = {}) {
  const session: McpSession = await connectMcp(envFor(sim(), { PROXMOX_TIMEOUT_MS: "1500", ...extraEnv }));
  try {
    sim().injectFault({ path: "/cluster/resources", fault });
    const failed = await callTool(session, "proxmox_list_vms");
    sim().clearFaults();
    const after = await callTool(session, "proxmox_list_vms");
    return { failed, after, stderr: session.stderr() };
  } finally {
    await session.close();
  }
}

describe("faults from Proxmox", () => {
  test("a 500 carries Proxmox's own message", async () => {
    const { failed, after } = await withFault({ kind: "status", status: 500, message: "got timeout" });
    expect(failed.isError).toBe(true);
    expect(failed.text).toContain("got timeout");
    expect(after.isError).toBe(false);
  });

  test("a 595 says the node could not be reached", async () => {
    const { failed } = await withFault({ kind: "status", status: 595, message: "No route to host" });
    expect(failed.text).toContain("could not reach the node");
  });

  test("a 403 names the missing privilege and how to grant it", async () => {
    const { failed } = await withFault({ kind: "status", status: 403, message: "Permission check failed (/vms/100, VM.Audit)" });
    expect(failed.text).toContain("VM.Audit");
    expect(failed.text).toContain("pveum acl");
  });

  test("an HTML page from a proxy is recognised as such", async () => {
    const { failed, after } = await withFault({ kind: "html" });
    expect(failed.text).toContain("HTML page");
    expect(after.isError).toBe(false);
  });

  test("malformed JSON is a clear error", async () => {
    const { failed } = await withFault({ kind: "malformed-json" });
    expect(failed.text).toContain("malformed or truncated JSON");
  });

  test("a truncated body is a clear error", async () => {
    const { failed } = await withFault({ kind: "truncated" });
    expect(failed.isError).toBe(true);
    expect(failed.text).toContain("instead of Proxmox's JSON answer");
  });

  test("an empty body is a clear error", async () => {
    const { failed } = await withFault({ kind: "empty-body" });
    expect(failed.text).toContain("an empty body");
  });

  test("data: null for a list reads as an empty list", async () => {
    const { failed } = await withFault({ kind: "null-data" });
    expect(failed.isError).toBe(false);
    expect(failed.text).toContain("0 VMs");
  });

  test("a hung node fails that call within the timeout and the server keeps serving", async () => {
    const started = performance.now();
    const { failed, after } = await withFault({ kind: "hang" });
    expect(failed.text).toContain("no answer within 1500 ms");
    expect(after.isError).toBe(false);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  test("slow answers within the timeout still succeed", async () => {
    const { failed } = await withFault({ kind: "latency", delayMs: 300 });
    expect(failed.isError).toBe(false);
  });

  test("an error that echoes the Authorization header never shows the secret", async () => {
    const { failed, stderr } = await withFault({ kind: "echo-auth", status: 500 }, { PROXMOX_LOG_LEVEL: "debug" });
    expect(failed.isError).toBe(true);
    expect(failed.text).not.toContain(sim().tokenSecret);
    expect(stderr).not.toContain(sim().tokenSecret);
  });

  test("a wrong token secret is reported as a rejected token without echoing it", async () => {
    const wrong = "deadbeef-0000-1111-2222-333344445555";
    const session = await connectMcp(envFor(sim(), { PROXMOX_TOKEN_SECRET: wrong }));
    try {
      const answer = await callTool(session, "proxmox_status");
      expect(answer.text).toContain("rejected the API token");
      expect(answer.text).not.toContain(wrong);
      expect(session.stderr()).not.toContain(wrong);
    } finally {
      await session.close();
    }
  });

  test("an unreachable Proxmox is a network error naming the URL to check", async () => {
    const session = await connectMcp(envFor(sim(), { PROXMOX_URL: "http://127.0.0.1:9" }));
    try {
      const answer = await callTool(session, "proxmox_status");
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain("Could not reach Proxmox");
    } finally {
      await session.close();
    }
  });
});
