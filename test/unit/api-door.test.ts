// proxmox_api, the gated door: every refusal happens before any request reaches Proxmox.
import { describe, expect, test } from "bun:test";
import type { Config } from "../../src/config/env.ts";
import { checkReturns } from "../../src/sim/validate.ts";
import { apiTier } from "../../src/tools/api.ts";
import { testRegistry } from "../helpers/runtime.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

/** The real registry against the simulator; `sent` is every request that reached it. */
function door(config: Partial<Config> = {}) {
  const s = sim();
  const sent: string[] = [];
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname.replace("/api2/json", "")}`);
    return fetch(input, init);
  }) as typeof fetch;
  const { registry } = testRegistry({ config: { url: s.url, tokenId: s.tokenId, tokenSecret: s.tokenSecret, ...config }, fetchImpl });
  return { call: (args: Record<string, unknown>) => registry.call("proxmox_api", args), sent };
}

const ALL_GATES = { confirm: true, destructive: true };

describe("proxmox_api reads", () => {
  test("a GET of a guest's firewall rules answers PVE's data with the schema operation it matched", async () => {
    const { call } = door();
    const outcome = await call({ path: "/nodes/pve1/qemu/100/firewall/rules" });
    expect(outcome.isError).toBe(false);
    expect(outcome.structured).toMatchObject({ method: "GET", template: "/nodes/{node}/qemu/{vmid}/firewall/rules", tier: 1, truncated: false });
    expect(outcome.text).toContain("HTTPS");
  });

  test("a GET needs no gate and is open in read-only mode", async () => {
    const { call } = door({ readOnly: true });
    const outcome = await call({ path: "/pools" });
    expect(outcome.isError).toBe(false);
    expect(JSON.stringify(outcome.structured?.data)).toContain("prod");
  });

  test("a leading /api2/json is accepted and dropped", async () => {
    const { call } = door();
    const outcome = await call({ path: "/api2/json/cluster/firewall/rules" });
    expect(outcome.structured?.path).toBe("/cluster/firewall/rules");
  });

  test("a large answer is cut to the size bound and says how many items were shown", async () => {
    const { call } = door();
    const outcome = await call({ path: "/cluster/resources" });
    expect(outcome.isError).toBe(false);
    // The demo cluster is small: the answer is whole, and counted.
    expect(outcome.structured).toMatchObject({ truncated: false, items: { shown: expect.any(Number), total: expect.any(Number) } });
  });

  test("the simulator's firewall, pool and exec answers are in PVE's documented shapes", async () => {
    const { call } = door();
    for (const [path, template] of [
      ["/cluster/firewall/rules", "/cluster/firewall/rules"],
      ["/nodes/pve1/qemu/100/firewall/rules", "/nodes/{node}/qemu/{vmid}/firewall/rules"],
      ["/pools", "/pools"],
    ] as const) {
      const outcome = await call({ path });
      expect(checkReturns("GET", template, outcome.structured?.data)).toEqual([]);
    }
  });
});

describe("proxmox_api writes", () => {
  test("a POST with confirm adds a firewall rule, and a GET shows it", async () => {
    const { call } = door();
    const added = await call({ method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in", action: "ACCEPT", proto: "tcp", dport: "22", enable: 1, comment: "ssh from admin" }, confirm: true });
    expect(added.isError).toBe(false);
    expect(added.structured?.tier).toBe(2);
    const listed = await call({ path: "/nodes/pve1/qemu/100/firewall/rules" });
    expect(listed.text).toContain("ssh from admin");
  });

  test("a DELETE is tier 3 and, with every gate, deletes", async () => {
    const { call } = door({ destructiveEnabled: true });
    await call({ method: "POST", path: "/pools", params: { poolid: "scratch" }, confirm: true });
    const outcome = await call({ method: "DELETE", path: "/pools/scratch", ...ALL_GATES });
    expect(outcome.isError).toBe(false);
    expect(outcome.structured?.tier).toBe(3);
  });

  test("a write with dry_run answers its plan, one exact request, and sends no write", async () => {
    const { call, sent } = door({ destructiveEnabled: true });
    const outcome = await call({ method: "DELETE", path: "/pools/prod", destructive: true, dry_run: true });
    expect(outcome.isError).toBe(false);
    expect(outcome.text).toContain("DRY RUN");
    expect(outcome.text).toContain("DELETE /pools/prod");
    expect(sent.filter((r) => !r.startsWith("GET"))).toEqual([]);
  });

  test("the tier follows the call: GET 1, POST/PUT 2, DELETE and the named destructive operations 3", () => {
    expect(apiTier({ path: "/cluster/resources" })).toBe(1);
    expect(apiTier({ method: "POST", path: "/pools" })).toBe(2);
    expect(apiTier({ method: "PUT", path: "/pools/prod" })).toBe(2);
    expect(apiTier({ method: "DELETE", path: "/pools/prod" })).toBe(3);
    for (const path of ["/nodes/pve1/qemu/100/status/stop", "/nodes/pve1/lxc/200/status/stop", "/nodes/pve1/qemu/100/status/reset", "/nodes/pve1/qemu/100/snapshot/s1/rollback", "/nodes/pve1/status", "/nodes/pve1/stopall", "//nodes//pve1/disks/initgpt/"]) {
      expect({ path, tier: apiTier({ method: "POST", path }) }).toEqual({ path, tier: 3 });
    }
    expect(apiTier({ method: "PUT", path: "/nodes/pve1/disks/wipedisk" })).toBe(3);
    // An unreadable method is never a read.
    expect(apiTier({ method: "get", path: "/cluster/resources" })).toBe(3);
    expect(apiTier({ method: 1, path: "/cluster/resources" })).toBe(3);
  });
});

describe("proxmox_api refuses before any request", () => {
  test("a path that is not in the schema, naming the methods the path does take", async () => {
    const { call, sent } = door();
    const unknown = await call({ path: "/nodes/pve1/qemu/100/frobnicate" });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain("not an operation in the PVE API schema");
    const wrongMethod = await call({ method: "PUT", path: "/cluster/firewall/rules", confirm: true });
    expect(wrongMethod.text).toContain("That path takes GET, POST");
    expect(sent).toEqual([]);
  });

  test("a parameter the schema rejects, naming it", async () => {
    const { call, sent } = door();
    const outcome = await call({ method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in", action: "ACCEPT", dport: "22", colour: "red" }, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("colour");
    const missing = await call({ method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in" }, confirm: true });
    expect(missing.text).toContain("action");
    expect(sent).toEqual([]);
  });

  test("a POST without confirm", async () => {
    const { call, sent } = door();
    const outcome = await call({ method: "POST", path: "/pools", params: { poolid: "x" } });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("Missing: confirm");
    expect(sent).toEqual([]);
  });

  test("a DELETE with confirm but without destructive and PROXMOX_ENABLE_DESTRUCTIVE", async () => {
    const { call, sent } = door();
    const outcome = await call({ method: "DELETE", path: "/pools/prod", confirm: true });
    expect(outcome.text).toContain("Missing: destructive, PROXMOX_ENABLE_DESTRUCTIVE");
    expect(sent).toEqual([]);
  });

  test("a guest stop dressed as a POST still needs the destructive gates", async () => {
    const { call, sent } = door();
    const outcome = await call({ method: "POST", path: "/nodes/pve1/qemu/100/status/stop", confirm: true });
    expect(outcome.text).toContain("Missing: destructive");
    expect(sent).toEqual([]);
  });

  for (const [method, path, params] of [
    ["POST", "/nodes/pve1/qemu/100/termproxy", {}],
    ["POST", "/nodes/pve1/lxc/200/vncproxy", {}],
    ["POST", "/nodes/pve1/spiceshell", {}],
    ["POST", "/nodes/pve1/vncshell", {}],
    ["POST", "/nodes/pve1/execute", { commands: "[]" }],
    ["POST", "/nodes/pve1/qemu/100/monitor", { command: "info" }],
    ["POST", "/nodes/pve1/qemu/100/agent/exec", { command: ["id"] }],
    ["GET", "/nodes/pve1/qemu/100/agent/file-read", { file: "/etc/shadow" }],
    ["POST", "/access/ticket", { username: "root@pam", password: "x" }],
    ["PUT", "/access/password", { userid: "root@pam", password: "abcdefgh" }],
    ["POST", "/access/users/root@pam/token/new", {}],
    ["GET", "/access/tfa", {}],
  ] as const) {
    test(`the shell, console or credential endpoint ${method} ${path}, with every gate given`, async () => {
      const { call, sent } = door({ destructiveEnabled: true });
      const outcome = await call({ method, path, params, ...ALL_GATES });
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toContain("is not open through proxmox_api");
      expect(sent).toEqual([]);
    });
  }

  test("a vmid outside PROXMOX_ALLOWED_VMIDS, in the path", async () => {
    const { call, sent } = door({ allowedVmids: [[200, 299]] });
    const outcome = await call({ method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in", action: "DROP" }, confirm: true });
    expect(outcome.text).toContain("outside PROXMOX_ALLOWED_VMIDS");
    expect(sent).toEqual([]);
  });

  test("a vmid outside PROXMOX_ALLOWED_VMIDS, in the parameters (a pool's member list)", async () => {
    const { call, sent } = door({ allowedVmids: [[200, 299]] });
    const outcome = await call({ method: "PUT", path: "/pools/prod", params: { vms: "201,104" }, confirm: true });
    expect(outcome.text).toContain("guest 104 is outside PROXMOX_ALLOWED_VMIDS");
    expect(sent).toEqual([]);
  });

  test("a node outside PROXMOX_ALLOWED_NODES", async () => {
    const { call, sent } = door({ allowedNodes: ["pve2"] });
    const outcome = await call({ method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in", action: "DROP" }, confirm: true });
    expect(outcome.text).toContain("outside PROXMOX_ALLOWED_NODES");
    expect(sent).toEqual([]);
  });

  test("a guest with a protected tag: only the inventory look-up is made, no write", async () => {
    const { call, sent } = door({ protectedTags: ["prod"] });
    const outcome = await call({ method: "POST", path: "/nodes/pve1/qemu/100/firewall/rules", params: { type: "in", action: "DROP" }, confirm: true });
    expect(outcome.text).toContain("protected tag prod");
    expect(sent).toEqual(["GET /cluster/resources"]);
  });

  test("read-only mode allows GET only", async () => {
    const { call, sent } = door({ readOnly: true });
    const outcome = await call({ method: "POST", path: "/pools", params: { poolid: "x" }, confirm: true });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain("read-only");
    expect(sent).toEqual([]);
  });

  test("a query string in the path", async () => {
    const { call, sent } = door();
    const outcome = await call({ path: "/cluster/resources?type=vm" });
    expect(outcome.text).toContain("put parameters in params");
    expect(sent).toEqual([]);
  });

  test("a '..' segment", async () => {
    const { call, sent } = door();
    const outcome = await call({ path: "/nodes/pve1/../../access/ticket" });
    expect(outcome.isError).toBe(true);
    expect(sent).toEqual([]);
  });
});
