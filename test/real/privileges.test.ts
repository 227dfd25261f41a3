// The privileges each tool needs come from the official schema's permission checks; the
// token recipes in SECURITY.md and the README must grant exactly what that table asks.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { judgeTiers, type Permissions, permissionFacts, TOOL_REQUESTS, toolNeeds, toolTier } from "../../src/pve/privileges.ts";
import { AUDITOR_PRIVS } from "../../src/sim/access.ts";
import { startSimulator } from "../../src/sim/index.ts";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { ask } from "../helpers/in-process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const security = readFileSync(`${ROOT}SECURITY.md`, "utf8");
const readme = readFileSync(`${ROOT}README.md`, "utf8");

/** Role name → privileges, from `pveum role add NAME --privs "…"` lines, plus PVE's built-in PVEAuditor. */
function roles(doc: string): Record<string, string[]> {
  const out: Record<string, string[]> = { PVEAuditor: AUDITOR_PRIVS };
  for (const m of doc.matchAll(/pveum role add (\S+) --privs "([^"]+)"/g)) out[m[1] as string] = (m[2] as string).split(",");
  return out;
}

/** What GET /access/permissions reports for a token granted these roles on / (propagated to every top path). */
function grantedOnRoot(...privs: string[][]): Permissions {
  const all = Object.fromEntries(privs.flat().map((p) => [p, 1]));
  return Object.fromEntries(["/", "/access", "/nodes", "/pool", "/sdn", "/storage", "/vms"].map((p) => [p, all]));
}

const pveumLines = (doc: string) => [...doc.matchAll(/^pveum .*$/gm)].map((m) => m[0].trim());

describe("privileges from the official schema", () => {
  test("every tool has its requests listed, with the tier its definition declares", () => {
    for (const tool of ALL_TOOLS) {
      expect(TOOL_REQUESTS[tool.name], tool.name).toBeDefined();
      expect(toolTier(tool.name), tool.name).toBe(tool.tier);
    }
    expect(Object.keys(TOOL_REQUESTS).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
  });

  test("every listed request is an operation of the official schema", () => {
    for (const [tool, entry] of Object.entries(TOOL_REQUESTS)) {
      for (const [method, template] of entry.requests) expect(permissionFacts(method, template), `${tool}: ${method} ${template}`).toBeDefined();
    }
  });

  test("migrate needs VM.Migrate, as the schema's check says", () => {
    expect(toolNeeds("proxmox_migrate_resource").some((n) => n.privs.includes("VM.Migrate") && n.path === "/vms/{vmid}")).toBe(true);
  });

  test("the read tools' requests against the simulator are all in the table (nothing asked that doctor does not check)", async () => {
    const sim = startSimulator({ taskDurationMs: 50 });
    try {
      const upid = sim.tasks.tasks.find((t) => t.endtime !== undefined)?.upid as string;
      const calls: [string, Record<string, unknown>][] = [
        ["proxmox_status", {}],
        ["proxmox_list_vms", {}],
        ["proxmox_get_resource", { vmid: 100 }],
        ["proxmox_recent_tasks", { node: "pve1", vmid: 100 }],
        ["proxmox_list_backups", {}],
        ["proxmox_list_templates", {}],
        ["proxmox_get_task_status", { upid }],
        ["proxmox_node_status", { node: "pve1" }],
        ["proxmox_guest_info", { vmid: 100 }],
        ["proxmox_list_snapshots", { vmid: 100 }],
        ["proxmox_ha_status", {}],
        ["proxmox_whoami", {}],
      ];
      for (const [tool, args] of calls) {
        sim.resetLog();
        await ask(sim, tool, args);
        const listed = new Set((TOOL_REQUESTS[tool]?.requests ?? []).map(([m, t]) => `${m} ${t}`));
        const made = sim.requests.filter((r) => r.template).map((r) => `${r.method} ${r.template}`);
        // apt/update is best effort (it needs Sys.Modify, a write privilege): not asked of a read token.
        for (const request of made.filter((m) => !m.endsWith("/apt/update"))) expect(listed.has(request), `${tool} made ${request}`).toBe(true);
      }
    } finally {
      await sim.stop();
    }
  });
});

describe("SECURITY.md and README token recipes", () => {
  const r = roles(security);

  test("the README's token lines are SECURITY.md's read-only recipe, word for word", () => {
    const lines = pveumLines(readme);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(pveumLines(security)).toContain(line);
  });

  test("the read-only recipe (PVEAuditor on /) makes every read tool work, and SECURITY.md says what it cannot see", () => {
    const [read] = judgeTiers(grantedOnRoot(r.PVEAuditor as string[]));
    expect(read?.missing).toEqual([]);
    expect(read?.partial).toEqual([]);
    expect(read?.hidden.join(" ")).toContain("backup volumes");
    expect(security).toContain("does **not** see: backup volumes");
  });

  test("adding the backup-viewer role shows the backups", () => {
    const [read] = judgeTiers(grantedOnRoot(r.PVEAuditor as string[], r.MCPBackupViewer as string[]));
    expect(read?.hidden).toEqual([]);
  });

  test("the operator role grants every privilege the write and destructive tools need (VM.Migrate included)", () => {
    expect(r.MCPOperator).toContain("VM.Migrate");
    const tiers = judgeTiers(grantedOnRoot(r.MCPOperator as string[]));
    for (const t of tiers) expect({ tier: t.tier, missing: t.missing, partial: t.partial }).toEqual({ tier: t.tier, missing: [], partial: [] });
  });

  test("SECURITY.md's list of what the operator role adds names every privilege of the role beyond the auditor's", () => {
    const prose = /\*\*Safe writes\*\* \(adds ([^)]*)\)/.exec(security)?.[1] ?? "";
    for (const priv of ["VM.PowerMgmt", "VM.Snapshot", "VM.Backup", "VM.Allocate", "VM.Clone", "VM.Migrate", "Datastore.AllocateSpace"]) expect(prose).toContain(priv);
  });
});

describe("doctor and whoami judge a token by the same table", () => {
  test("whoami with the operator recipe's token finds the write tier complete", async () => {
    const sim = startSimulator({ token: "operator", operatorPrivileges: r().MCPOperator });
    try {
      const a = await ask(sim, "proxmox_whoami");
      const write = a.data.tiers.find((t: { tier: string }) => t.tier === "write");
      expect(write.missing).toEqual([]);
      expect(write.works).toBe(true);
    } finally {
      await sim.stop();
    }
  });

  test("whoami with an operator role lacking VM.Migrate names it and the tool that needs it", async () => {
    const sim = startSimulator({ token: "operator", operatorPrivileges: (r().MCPOperator as string[]).filter((p) => p !== "VM.Migrate") });
    try {
      const a = await ask(sim, "proxmox_whoami");
      expect(a.text).toContain("VM.Migrate on /vms (proxmox_migrate_resource)");
    } finally {
      await sim.stop();
    }
  });
});

function r() {
  return roles(security);
}

describe("doctor", () => {
  async function doctor(profile: "auditor" | "privsep-no-acl" | "pool") {
    const { runDoctor } = await import("../../src/doctor.ts");
    const { createLogger } = await import("../../src/log.ts");
    const { Redactor } = await import("../../src/security/redactor.ts");
    const sim = startSimulator({});
    try {
      const creds = sim.tokenFor(profile);
      const lines: string[] = [];
      const code = await runDoctor({ PROXMOX_URL: sim.url, PROXMOX_TOKEN_ID: creds.tokenId, PROXMOX_TOKEN_SECRET: creds.tokenSecret }, createLogger(new Redactor(), "error", () => {}), (l) => lines.push(l), () => {});
      return { code, text: lines.join("\n") };
    } finally {
      await sim.stop();
    }
  }

  test("with the README's read-only token: ready, and it says backups are hidden and why", async () => {
    const { code, text } = await doctor("auditor");
    expect(code).toBe(0);
    expect(text).toContain("backup volumes: Datastore.AllocateSpace on /storage");
    expect(text).toContain("VM.Migrate on /vms (proxmox_migrate_resource)");
  });

  test("with a privilege-separated token without ACL: not ready, and the pveum line that fixes it", async () => {
    const { code, text } = await doctor("privsep-no-acl");
    expect(code).toBe(1);
    expect(text).toContain("pveum acl modify / --tokens 'mcp@pve!privsep' --roles PVEAuditor");
  });

  test("with a pool-scoped token: the write privileges are held on the pool only, not missing", async () => {
    const { text } = await doctor("pool");
    expect(text).toContain("VM.PowerMgmt on /vms held only on");
    expect(text).toContain("/pool/prod");
  });
});
