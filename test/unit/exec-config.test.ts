// PROXMOX_EXEC_ALLOW and the SSH settings for commands in containers: every problem named at start-up.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/env.ts";
import { loadExecConfig } from "../../src/config/exec.ts";
import { pctExecCommand, shellQuote, sshArgs } from "../../src/pve/ssh.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const valid = { PROXMOX_URL: "https://pve.example.local:8006", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" };

function files() {
  const dir = scratchDir("exec");
  const key = join(dir, "key");
  const known = join(dir, "known_hosts");
  writeFileSync(key, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  writeFileSync(known, "pve1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\n");
  return { key, known, dir };
}

describe("exec settings", () => {
  test("none set: no allowlist and no SSH, and no problem", () => {
    expect(loadExecConfig({})).toEqual({ exec: {}, problems: [] });
  });

  test("PROXMOX_EXEC_ALLOW is a list of bare program names", () => {
    expect(loadExecConfig({ PROXMOX_EXEC_ALLOW: "hostname, df ,systemctl" }).exec.allow).toEqual(["hostname", "df", "systemctl"]);
    expect(loadExecConfig({ PROXMOX_EXEC_ALLOW: "df,/bin/sh -c" }).problems.join()).toContain("not a bare command name");
  });

  test("SSH needs all three of user, key and known_hosts, naming what is missing", () => {
    const { key } = files();
    const problems = loadExecConfig({ PROXMOX_SSH_USER: "root", PROXMOX_SSH_KEY_FILE: key }).problems;
    expect(problems.join()).toContain("missing: PROXMOX_SSH_KNOWN_HOSTS");
  });

  test("an unreadable key file or known_hosts, or an empty known_hosts, is a start-up problem", () => {
    const { dir, key } = files();
    const empty = join(dir, "empty");
    writeFileSync(empty, "\n");
    expect(loadExecConfig({ PROXMOX_SSH_USER: "root", PROXMOX_SSH_KEY_FILE: join(dir, "nope"), PROXMOX_SSH_KNOWN_HOSTS: join(dir, "nope2") }).problems).toHaveLength(2);
    expect(loadExecConfig({ PROXMOX_SSH_USER: "root", PROXMOX_SSH_KEY_FILE: key, PROXMOX_SSH_KNOWN_HOSTS: empty }).problems.join()).toContain("is empty");
  });

  test("port and node=host entries are checked; a full set parses", () => {
    const { key, known } = files();
    const base = { PROXMOX_SSH_USER: "root", PROXMOX_SSH_KEY_FILE: key, PROXMOX_SSH_KNOWN_HOSTS: known };
    expect(loadExecConfig({ ...base, PROXMOX_SSH_PORT: "70000" }).problems.join()).toContain("PROXMOX_SSH_PORT");
    expect(loadExecConfig({ ...base, PROXMOX_SSH_HOSTS: "pve1=10.0.0.11,pve2" }).problems.join()).toContain("must be node=host");
    expect(loadExecConfig({ ...base, PROXMOX_SSH_HOSTS: "pve1=10.0.0.11", PROXMOX_SSH_PORT: "2222" }).exec.ssh).toEqual({ user: "root", keyFile: key, knownHosts: known, port: 2222, hosts: { pve1: "10.0.0.11" } });
  });

  test("loadConfig lists exec problems with the others", () => {
    const result = loadConfig({ ...valid, PROXMOX_SSH_USER: "root" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join()).toContain("PROXMOX_SSH_KEY_FILE");
  });
});

describe("the ssh command line", () => {
  test("every argument is single-quoted, so the node's shell interprets none of it", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(pctExecCommand(200, ["sh", "-c", "rm -rf / ; $(id)"])).toBe(`pct exec 200 -- 'sh' '-c' 'rm -rf / ; $(id)'`);
  });

  test("host keys are checked strictly against the admin's file only, under the node's name", () => {
    const args = sshArgs({ user: "root", keyFile: "/k", knownHosts: "/kh", port: 22, hosts: {} }, "pve1", "10.0.0.11", "pct exec 200 -- 'id'");
    const options = args.filter((_, i) => args[i - 1] === "-o");
    expect(options).toEqual(expect.arrayContaining(["StrictHostKeyChecking=yes", "UserKnownHostsFile=/kh", "GlobalKnownHostsFile=/dev/null", "HostKeyAlias=pve1", "BatchMode=yes", "UpdateHostKeys=no", "ForwardAgent=no"]));
    expect(args.slice(0, 2)).toEqual(["-F", "/dev/null"]);
    expect(args.join(" ")).not.toMatch(/StrictHostKeyChecking=(no|accept-new)/);
    expect(args.at(-2)).toBe("10.0.0.11");
  });
});
