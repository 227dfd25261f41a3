import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatConfigProblems, loadConfig, normaliseUrl, parseBoolean } from "../../src/config/env.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const SECRET = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const valid = { PROXMOX_URL: "https://pve.example.local:8006", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET: SECRET };

function problems(env: Record<string, string | undefined>): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error("expected the configuration to be refused");
  return result.problems;
}

describe("configuration from the environment", () => {
  test("a complete environment parses with the documented defaults", () => {
    const result = loadConfig(valid);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({ url: "https://pve.example.local:8006", tokenId: "root@pam!mcp", timeoutMs: 30000, logLevel: "info", destructiveEnabled: false, readOnly: false, tls: { insecure: false } });
  });

  test("an empty environment lists every missing variable at once", () => {
    const list = problems({});
    expect(list.some((p) => p.includes("PROXMOX_URL"))).toBe(true);
    expect(list.some((p) => p.includes("PROXMOX_TOKEN_ID"))).toBe(true);
    expect(list.some((p) => p.includes("PROXMOX_TOKEN_SECRET"))).toBe(true);
  });

  test("each problem says what a valid value looks like", () => {
    const list = problems({ ...valid, PROXMOX_URL: "ftp://pve", PROXMOX_TOKEN_ID: "root", PROXMOX_TIMEOUT_MS: "soon" });
    expect(list.join("\n")).toContain("https://");
    expect(list.join("\n")).toContain("user@realm!tokenname");
    expect(list.join("\n")).toContain("milliseconds");
  });

  test("the secret's value never appears in a problem text", () => {
    const list = problems({ ...valid, PROXMOX_TOKEN_ID: `bad ${SECRET}`, PROXMOX_URL: `not a url ${SECRET}` });
    expect(formatConfigProblems(list)).not.toContain(SECRET);
  });

  test("the URL loses trailing slashes and /api2/json and gets port 8006 when none is given", () => {
    expect(normaliseUrl("https://pve.lan/")).toEqual({ url: "https://pve.lan:8006" });
    expect(normaliseUrl("https://pve.lan:8006/api2/json/")).toEqual({ url: "https://pve.lan:8006" });
    expect(normaliseUrl("http://10.0.0.5")).toEqual({ url: "http://10.0.0.5:8006" });
  });

  test("an explicitly written port is kept, even the scheme's default", () => {
    expect(normaliseUrl("https://pve.lan:443")).toEqual({ url: "https://pve.lan:443" });
    expect(normaliseUrl("https://proxy.lan:8443/pve")).toEqual({ url: "https://proxy.lan:8443/pve" });
  });

  test("a URL carrying credentials is refused", () => {
    expect(normaliseUrl("https://root:pw@pve.lan")).toHaveProperty("problem");
  });

  test("a switch accepts true/false, 1/0, yes/no, on/off in any case, and unset is off", () => {
    for (const on of ["true", "TRUE", "1", "yes", "Yes", "on", "ON"]) expect(parseBoolean("X", on)).toEqual({ value: true });
    for (const off of ["false", "0", "no", "off", "Off", "", undefined]) expect(parseBoolean("X", off)).toEqual({ value: false });
  });

  test("destructive tools need PROXMOX_ENABLE_DESTRUCTIVE to be exactly 1", () => {
    const on = loadConfig({ ...valid, PROXMOX_ENABLE_DESTRUCTIVE: "1" });
    const yes = loadConfig({ ...valid, PROXMOX_ENABLE_DESTRUCTIVE: "true" });
    expect(on.ok && on.config.destructiveEnabled).toBe(true);
    expect(yes.ok).toBe(false);
  });

  test("the secret can come from a file", () => {
    const dir = scratchDir("test");
    writeFileSync(join(dir, "secret"), `${SECRET}\n`);
    const result = loadConfig({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: join(dir, "secret") });
    expect(result.ok && result.config.tokenSecret).toBe(SECRET);
  });

  test("a missing secret file is a clear problem", () => {
    expect(problems({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: "/nonexistent/secret" }).join()).toContain("does not exist");
  });

  test("vmid allowlists must be ranges of valid vmids", () => {
    const ok = loadConfig({ ...valid, PROXMOX_ALLOWED_VMIDS: "100-199, 300" });
    expect(ok.ok && ok.config.allowedVmids).toEqual([[100, 199], [300, 300]]);
    expect(problems({ ...valid, PROXMOX_ALLOWED_VMIDS: "5-9" }).join()).toContain("PROXMOX_ALLOWED_VMIDS");
  });

  test("a malformed TLS fingerprint is refused with the expected shape", () => {
    expect(problems({ ...valid, PROXMOX_TLS_FINGERPRINT: "abc" }).join()).toContain("32 hex pairs");
  });
});

describe("values a launcher leaves blank", () => {
  test("an empty optional variable counts as unset", () => {
    const result = loadConfig({ ...valid, PROXMOX_TLS_FINGERPRINT: "", PROXMOX_CA_FILE: "  ", PROXMOX_TIMEOUT_MS: "" });
    expect(result.ok).toBe(true);
  });

  test("an unexpanded ${user_config.x} placeholder counts as unset", () => {
    const result = loadConfig({ ...valid, PROXMOX_TLS_FINGERPRINT: "${user_config.tls_fingerprint}" });
    expect(result.ok && result.config.tls.fingerprint).toBeUndefined();
  });
});
