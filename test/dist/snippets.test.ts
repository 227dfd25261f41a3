// Every json / toml / yaml code block in README.md and docs/*.md must parse, and every MCP
// server entry in them must be one an agent can start: a command, string arguments, string
// environment values naming real PROXMOX_* settings, and npx pointing at the published launcher.
// A reader pastes these; a stray comma or a misspelt variable costs them an evening.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NPM_LAUNCHER } from "../../scripts/dist-config.ts";
import { parseToml, parseYaml } from "./mini-parsers.ts";
import { ROOT } from "./helpers.ts";

type Json = Record<string, unknown>;

interface Block {
  file: string;
  line: number;
  lang: "json" | "jsonc" | "toml" | "yaml";
  code: string;
}

function codeBlocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, indent = "", fence = "```", info = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? "").trimStart().startsWith(fence)) body.push((lines[j] ?? "").slice(indent.length)), j++;
    const lang = info.toLowerCase() === "yml" ? "yaml" : info.toLowerCase();
    if (lang === "json" || lang === "jsonc" || lang === "toml" || lang === "yaml") blocks.push({ file, line: i + 1, lang, code: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** Removes // and /* *\/ comments outside strings, for jsonc blocks. */
function stripJsonComments(code: string): string {
  let out = "";
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"') {
      const start = i;
      for (i++; i < code.length && code[i] !== '"'; i++) if (code[i] === "\\") i++;
      out += code.slice(start, i + 1);
    } else if (c === "/" && code[i + 1] === "/") while (i < code.length && code[i] !== "\n") i++;
    else if (c === "/" && code[i + 1] === "*") i = code.indexOf("*/", i) + 1;
    else out += c;
  }
  return out;
}

function parse(block: Block): unknown {
  if (block.lang === "json") return JSON.parse(block.code);
  if (block.lang === "jsonc") return JSON.parse(stripJsonComments(block.code));
  if (block.lang === "toml") return parseToml(block.code);
  return parseYaml(block.code);
}

/** MCP server entries wherever the agents keep them: mcpServers, servers, mcp.servers, mcp_servers. */
function serverEntries(doc: unknown): Json[] {
  if (typeof doc !== "object" || doc === null) return [];
  const d = doc as Json;
  const maps = [d.mcpServers, d.servers, (d.mcp as Json | undefined)?.servers, d.mcp_servers];
  return maps.flatMap((m) => (typeof m === "object" && m !== null ? Object.values(m as Json) : [])) as Json[];
}

// The settings the server really reads: every PROXMOX_* name its configuration code mentions.
const KNOWN_ENV = new Set(
  [...readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })]
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...readFileSync(join(ROOT, "src", f), "utf8").matchAll(/PROXMOX_[A-Z_]+/g)].map((m) => m[0])),
);

const FILES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const BLOCKS = FILES.flatMap(codeBlocks);

describe("config snippets in README.md and docs/", () => {
  test("there are json, toml and yaml snippets to check", () => {
    const langs = new Set(BLOCKS.map((b) => b.lang));
    for (const lang of ["json", "toml", "yaml"]) expect(langs.has(lang as Block["lang"])).toBe(true);
  });

  for (const block of BLOCKS) {
    test(`${block.file}:${block.line} (${block.lang}) parses and every server entry in it can be started`, () => {
      const doc = parse(block);
      for (const entry of serverEntries(doc)) {
        expect(typeof entry.command).toBe("string");
        if (entry.args !== undefined) expect((entry.args as unknown[]).every((a) => typeof a === "string")).toBe(true);
        if (entry.command === "npx") expect(entry.args as string[]).toContain(NPM_LAUNCHER);
        for (const [name, value] of Object.entries((entry.env ?? {}) as Json)) {
          expect({ name, type: typeof value }).toEqual({ name, type: "string" });
          expect({ name, known: KNOWN_ENV.has(name) }).toEqual({ name, known: true });
        }
      }
    });
  }
});

describe("the mini parsers refuse what a real parser refuses", () => {
  test("TOML: a duplicate key, an unterminated string and a missing value", () => {
    expect(() => parseToml('a = 1\na = 2')).toThrow();
    expect(() => parseToml('a = "x')).toThrow();
    expect(() => parseToml("a = ")).toThrow();
  });

  test("YAML: bad indentation, a duplicate key and an unclosed flow list", () => {
    expect(() => parseYaml("a:\n  b: 1\n   c: 2")).toThrow();
    expect(() => parseYaml("a: 1\na: 2")).toThrow();
    expect(() => parseYaml("a: [1, 2")).toThrow();
  });

  test("TOML and YAML read a server entry into the same structure", () => {
    const toml = parseToml('[mcp_servers.p]\ncommand = "x"\nargs = ["-y", "pkg"]\nenv = { A = "1" }');
    const yaml = parseYaml('mcp_servers:\n  p:\n    command: x\n    args: ["-y", "pkg"]\n    env:\n      A: "1"');
    expect(toml as unknown).toEqual(yaml as unknown);
  });
});
