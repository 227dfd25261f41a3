// The binary as a person uses it: flags, commands, start-up errors, and what it refuses to read.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { envFor, ROOT, runBinary } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const sim = useSimulator();
const PATH_ONLY = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const SECRET = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

describe("command line", () => {
  test("--version prints the package version", async () => {
    const run = await runBinary(["--version"], PATH_ONLY);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  test("--help names every command and the required variables", async () => {
    const run = await runBinary(["--help"], PATH_ONLY);
    for (const word of ["tools", "call", "tour", "--demo", "PROXMOX_URL", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET"]) expect(run.stdout).toContain(word);
  });

  test("an unknown command is a usage error with exit code 2", async () => {
    const run = await runBinary(["frobnicate"], PATH_ONLY);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command");
  });

  test("tools lists the default set with each tool's toolset and tier, without any configuration", async () => {
    const run = await runBinary(["tools"], PATH_ONLY);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toHaveLength(ALL_TOOLS.filter((t) => t.inDefault).length);
    expect(run.stdout).toMatch(/proxmox_destroy_resource\s+provision\s+tier 3 \(destructive\)/);
  });

  test("tools with PROXMOX_TOOLSETS=all lists every tool", async () => {
    const run = await runBinary(["tools"], { ...PATH_ONLY, PROXMOX_TOOLSETS: "all" });
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toHaveLength(ALL_TOOLS.length);
  });

  test("tools with an unknown toolset exits 2 naming the accepted values", async () => {
    const run = await runBinary(["tools"], { ...PATH_ONLY, PROXMOX_TOOLSETS: "powr" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'powr'");
    expect(run.stderr).toContain("accepted: default, all, inventory, power");
  });

  test("tools --json gives name, title, tier, toolset and description", async () => {
    const run = await runBinary(["tools", "--json"], PATH_ONLY);
    const tools = JSON.parse(run.stdout) as { name: string; tier: number; toolset: string }[];
    expect(tools.find((t) => t.name === "proxmox_start_resource")).toMatchObject({ tier: 2, toolset: "power" });
  });

  test("call runs one tool and prints its text answer", async () => {
    const run = await runBinary(["call", "proxmox_status"], envFor(sim()));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nodes online");
  });

  test("call exits 1 and explains on stderr when the tool fails", async () => {
    const run = await runBinary(["call", "proxmox_get_resource", '{"vmid": "abc"}'], envFor(sim()));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("vmid");
    expect(run.stdout).toBe("");
  });

  test("call with arguments that are not JSON is a usage error", async () => {
    const run = await runBinary(["call", "proxmox_status", "{vmid:1"], envFor(sim()));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("must be JSON");
  });

  test("--demo serves the simulated cluster with no environment at all", async () => {
    const run = await runBinary(["--demo", "call", "proxmox_list_vms"], PATH_ONLY);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("VMs");
  });

  test("tour takes the tour as aligned tables and shows a write being refused, with no audit JSON", async () => {
    const run = await runBinary(["tour"], PATH_ONLY);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("proxmox_status");
    expect(run.stdout).toContain("refused before any request");
    expect(run.stdout).toMatch(/^vmid {2}name +node {2}status/m);
    expect(run.stdout).not.toContain("\t");
    expect(run.stdout + run.stderr).not.toContain('"audit":true');
  });

  test("`bun run tour` (the README's first command) takes the same tour and exits, rather than waiting for an MCP client", async () => {
    const proc = Bun.spawn([process.execPath, "run", "tour"], { cwd: ROOT, env: PATH_ONLY, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(stdout).toContain("refused before any request");
  });

  test("the old 'demo' command is not taken for --demo: it names the tour and the MCP server apart", async () => {
    const run = await runBinary(["demo"], PATH_ONLY);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("`proxmox-mcp tour` prints a guided tour");
    expect(run.stderr).toContain("`proxmox-mcp --demo` serves it to an MCP client");
  });

  test("doctor --demo checks the simulated cluster and exits instead of starting an MCP server", async () => {
    const run = await runBinary(["doctor", "--demo"], PATH_ONLY);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("the simulated demo cluster");
    expect(run.stdout).toContain("Ready: an agent can use this configuration.");
  });

  test("doctor checks every instance of PROXMOX_CONFIG instead of asking for PROXMOX_URL", async () => {
    const dir = scratchDir("doctor");
    const file = join(dir, "instances.json");
    const inst = { url: sim().url, tokenId: sim().tokenId, tokenSecret: sim().tokenSecret };
    writeFileSync(file, JSON.stringify({ instances: { home: inst, lab: { ...inst, tokenSecret: "00000000-0000-0000-0000-000000000000" } } }));
    const run = await runBinary(["doctor"], { ...PATH_ONLY, PROXMOX_CONFIG: file });
    expect(run.stdout).toContain("[home]");
    expect(run.stdout).toContain("[lab]");
    expect(run.stdout).not.toContain("PROXMOX_URL is required");
    expect(run.stdout).toContain("1 of 2 instances are not ready.");
    expect(run.code).toBe(1);
  });
});

describe("start-up configuration errors", () => {
  test("no environment: one message listing every missing variable, exit code 2", async () => {
    const run = await runBinary([], PATH_ONLY);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("cannot start");
    for (const name of ["PROXMOX_URL", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET"]) expect(run.stderr).toContain(name);
  });

  test("malformed values are all reported together and the secret is never printed", async () => {
    const run = await runBinary([], { ...PATH_ONLY, PROXMOX_URL: "pve.local", PROXMOX_TOKEN_ID: SECRET, PROXMOX_TOKEN_SECRET: SECRET, PROXMOX_TIMEOUT_MS: "-5" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_URL");
    expect(run.stderr).toContain("PROXMOX_TOKEN_ID");
    expect(run.stderr).toContain("PROXMOX_TIMEOUT_MS");
    expect(run.stderr).not.toContain(SECRET);
    expect(run.stdout).not.toContain(SECRET);
  });

  test("PROXMOX_TLS_INSECURE logs a warning on stderr", async () => {
    const run = await runBinary(["call", "proxmox_status"], envFor(sim(), { PROXMOX_TLS_INSECURE: "YES" }));
    expect(run.stderr).toContain("NOT verified");
  });
});

describe("the binary ignores files in the folder it starts in", () => {
  test("a .env enabling destructive tools in the working directory has no effect", async () => {
    const dir = scratchDir("dotenv");
    writeFileSync(join(dir, ".env"), "PROXMOX_ENABLE_DESTRUCTIVE=1\nPROXMOX_READ_ONLY=0\n");
    const run = await runBinary(["call", "proxmox_force_stop_resource", '{"vmid": 100, "confirm": true, "destructive": true}'], envFor(sim()), dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("PROXMOX_ENABLE_DESTRUCTIVE");
    expect(sim().requests).toHaveLength(0);
  });

  test("a .env supplying the whole configuration is not read either", async () => {
    const dir = scratchDir("dotenv");
    writeFileSync(join(dir, ".env"), `PROXMOX_URL=${sim().url}\nPROXMOX_TOKEN_ID=root@pam!mcp\nPROXMOX_TOKEN_SECRET=${SECRET}\n`);
    const run = await runBinary(["call", "proxmox_status"], PATH_ONLY, dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_URL");
  });

  test("a bunfig.toml preloading a script in the working directory is not run", async () => {
    const dir = scratchDir("bunfig");
    const marker = join(dir, "preloaded");
    writeFileSync(join(dir, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");`);
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    await runBinary(["--version"], PATH_ONLY, dir);
    expect(existsSync(marker)).toBe(false);
  });
});
