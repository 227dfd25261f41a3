// Configuration errors a newcomer understands: plain words, no library wording, "did you
// mean" for names from other tools, and secret paste mistakes caught before the first 401.
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatConfigProblems, loadConfig } from "../../src/config/env.ts";
import { loadInstances } from "../../src/config/instances.ts";
import { KNOWN_VARIABLES } from "../../src/config/names.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const SECRET = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const valid = { PROXMOX_URL: "https://pve.example.local:8006", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET: SECRET };
// Words valibot puts in its own messages.
const LIBRARY_WORDS = /Invalid (key|type|length)|Expected|received|never|undefined/;

function problems(env: Record<string, string | undefined>): string {
  const result = loadInstances(env);
  if (result.ok) throw new Error("expected start-up to be refused");
  return formatConfigProblems(result.problems);
}

function fileWith(content: string): string {
  const file = join(scratchDir("words"), "f");
  writeFileSync(file, content);
  return file;
}

describe("plain words", () => {
  test("an empty environment names each missing variable with an example, in no library's wording", () => {
    const text = problems({});
    expect(text).toContain("PROXMOX_URL is required: the address of a Proxmox node, e.g. https://pve.example.local:8006");
    expect(text).toContain("PROXMOX_TOKEN_ID is required");
    expect(text).toContain("PROXMOX_TOKEN_SECRET is required");
    expect(text).not.toMatch(LIBRARY_WORDS);
  });

  test("a config file with a missing url, a wrong type and an unknown key says each in plain words", () => {
    const file = fileWith(JSON.stringify({ instances: { home: { tokenId: "root@pam!mcp", readOnly: "yes", tokenSecretFlie: "/x" } } }));
    const text = problems({ PROXMOX_CONFIG: file });
    expect(text).toContain('instance "home": url is required');
    expect(text).toContain("readOnly must be true or false");
    expect(text).toContain('"tokenSecretFlie" is not a setting; did you mean "tokenSecretFile"?');
    expect(text).not.toMatch(LIBRARY_WORDS);
  });

  test("a config file that is not an object of instances says what the file must look like", () => {
    expect(problems({ PROXMOX_CONFIG: fileWith("[]") })).toContain('the file must be an object with "instances"');
    expect(problems({ PROXMOX_CONFIG: fileWith("{}") })).not.toMatch(LIBRARY_WORDS);
  });

  test("a bare host name in PROXMOX_URL gets the URL it most likely means", () => {
    expect(problems({ ...valid, PROXMOX_URL: "pve.lan" })).toContain("write https://pve.lan:8006");
    expect(problems({ ...valid, PROXMOX_URL: "10.0.0.5:8006" })).toContain("write https://10.0.0.5:8006");
  });
});

describe("did you mean", () => {
  test("every PROXMOX_ variable the server reads is known, so a near miss of it is caught and it is never taken for a typo", () => {
    const root = new URL("../../src/", import.meta.url).pathname;
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
    const read = new Set(files.flatMap((f) => [...readFileSync(join(root, f), "utf8").matchAll(/env\.(PROXMOX_[A-Z_]+)/g)].map((m) => m[1] as string)));
    const unknown = [...read].filter((name) => !name.startsWith("PROXMOX_MCP_") && !(KNOWN_VARIABLES as readonly string[]).includes(name));
    expect(unknown).toEqual([]);
  });

  for (const [wrong, right] of [
    ["PROXMOX_HOST", "PROXMOX_URL"],
    ["PROXMOX_API_URL", "PROXMOX_URL"],
    ["PVE_URL", "PROXMOX_URL"],
    ["PROXMOX_TOKEN", "PROXMOX_TOKEN_SECRET"],
    ["PROXMOX_TOKEN_NAME", "PROXMOX_TOKEN_ID"],
    ["PROXMOX_INSECURE", "PROXMOX_TLS_INSECURE"],
    ["PROXMOX_URI", "PROXMOX_URL"],
    ["proxmox_url", "PROXMOX_URL"],
  ] as const) {
    test(`${wrong} set instead of ${right} suggests ${right}`, () => {
      const env: Record<string, string | undefined> = { ...valid, [wrong]: "x" };
      delete env[right];
      expect(problems(env)).toContain(`${wrong} is not a setting proxmox-mcp reads; did you mean ${right}?`);
    });
  }

  test("PROXMOX_USER and PROXMOX_PASSWORD explain that the server signs in with an API token", () => {
    const text = problems({ PROXMOX_URL: "https://pve.lan", PROXMOX_USER: "root@pam", PROXMOX_PASSWORD: "hunter2" });
    expect(text).toContain("PROXMOX_USER is not used: proxmox-mcp signs in with an API token, not a user name and password");
    expect(text).toContain("PROXMOX_PASSWORD is not used");
    expect(text).not.toContain("hunter2");
  });

  test("another tool's variable beside a complete configuration is left alone", () => {
    expect(loadInstances({ ...valid, PROXMOX_HOST: "pve.lan", PROXMOX_USER: "root@pam" }).ok).toBe(true);
  });
});

describe("secret paste mistakes are caught at start-up, saying what to paste", () => {
  const cases: [string, string, string][] = [
    ["a quoted secret", `"${SECRET}"`, "is wrapped in quotes"],
    ["a single-quoted secret", `'${SECRET}'`, "is wrapped in quotes"],
    ["surrounding whitespace", ` ${SECRET} `, "has spaces or line breaks around the secret"],
    ["id=secret", `root@pam!mcp=${SECRET}`, "holds the token id and the secret joined by '='"],
    ["the whole header", `PVEAPIToken=root@pam!mcp=${SECRET}`, "holds a whole Authorization header"],
    ["the whole header line", `Authorization: PVEAPIToken=root@pam!mcp=${SECRET}`, "holds a whole Authorization header"],
    ["the token id", "root@pam!mcp", "holds a token id (user@realm!name), not the secret"],
  ];
  for (const [what, pasted, says] of cases) {
    test(`${what} in PROXMOX_TOKEN_SECRET`, () => {
      const text = problems({ ...valid, PROXMOX_TOKEN_SECRET: pasted });
      expect(text).toContain(`PROXMOX_TOKEN_SECRET ${says}`);
      expect(text).not.toContain(SECRET);
    });
    test(`${what} in PROXMOX_TOKEN_SECRET_FILE`, () => {
      const file = fileWith(`${pasted}\n`);
      const text = problems({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: file });
      expect(text).toContain(`PROXMOX_TOKEN_SECRET_FILE (${file}) ${says}`);
      expect(text).not.toContain(SECRET);
    });
  }

  test("a secret file ending in one line break (as echo writes it) is fine", () => {
    const result = loadConfig({ ...valid, PROXMOX_TOKEN_SECRET: undefined, PROXMOX_TOKEN_SECRET_FILE: fileWith(`${SECRET}\r\n`) });
    expect(result.ok && result.config.tokenSecret).toBe(SECRET);
  });

  test("the secret pasted into PROXMOX_TOKEN_ID after '=' is explained and masked", () => {
    const text = problems({ ...valid, PROXMOX_TOKEN_ID: `root@pam!mcp=${SECRET}` });
    expect(text).toContain("PROXMOX_TOKEN_ID holds the secret too");
    expect(text).not.toContain(SECRET);
  });

  test("a user without a token name in PROXMOX_TOKEN_ID shows the form with the token's name", () => {
    expect(problems({ ...valid, PROXMOX_TOKEN_ID: "mcp@pve" })).toContain("add the token's name after '!', e.g. mcp@pve!agent");
  });
});
