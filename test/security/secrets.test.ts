// The token secret is planted everywhere it could come back — PVE and proxies echoing the
// Authorization header, error status lines, network errors, log lines at debug level,
// stacks, cluster data, start-up problems — and must never appear on stdout (every
// JSON-RPC byte), on stderr, or in a tool result. Every run uses the compiled binary with
// PROXMOX_LOG_LEVEL=debug. A test also checks the planted value really passed through
// the server (it shows up masked), so none passes because the secret never got there.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Simulator } from "../../src/sim/index.ts";
import { envFor, runBinary } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { findSecret, rawCall, SECRET, spawnRaw, TOKEN_ID } from "./support.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const sim = useSimulator({ taskDurationMs: 200, tokenSecret: SECRET });
const DEBUG = { PROXMOX_LOG_LEVEL: "debug" };
const HEADER = `PVEAPIToken=${TOKEN_ID}=${SECRET}`;
const MASK = "[REDACTED]";
const T = 30_000;

interface Transcript {
  stdout: string;
  stderr: string;
  answers: string[];
  code: number;
}

/** Runs calls against the binary over raw stdio and returns every byte it wrote. */
async function transcript(env: Record<string, string>, calls: [string, Record<string, unknown>, Record<string, unknown>?][]): Promise<Transcript> {
  const server = spawnRaw(env);
  const answers: string[] = [];
  try {
    await server.initialize();
    for (const [name, args, meta] of calls) answers.push((await rawCall(server, name, args, meta)).text);
  } finally {
    await server.closeStdin();
  }
  const code = await server.exited;
  return { stdout: server.stdout(), stderr: server.stderr(), answers, code };
}

/** Neither stream carries the secret, whole or in part, nor the header that holds it. */
function expectNoSecret(run: { stdout: string; stderr: string }): void {
  expect(findSecret(run.stdout, SECRET)).toBeUndefined();
  expect(findSecret(run.stderr, SECRET)).toBeUndefined();
  expect(run.stdout).not.toContain(HEADER);
  expect(run.stderr).not.toContain(HEADER);
}

function secretFile(content: string): string {
  const dir = scratchDir("secret");
  const file = join(dir, "secret");
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** The environment with the secret given one of the two ways a user can give it. */
function envWith(s: Simulator, source: "env" | "file", extra: Record<string, string> = {}): Record<string, string> {
  const env = envFor(s, { ...DEBUG, ...extra });
  if (source === "file") {
    delete env.PROXMOX_TOKEN_SECRET;
    env.PROXMOX_TOKEN_SECRET_FILE = secretFile(`${SECRET}\n`);
  }
  return env;
}

// A stopped guest of the demo cluster: starting it is a write that reaches PVE.
const STOPPED_VM = 105;

describe("PVE echoing the Authorization header", () => {
  for (const status of [500, 400, 401, 403, 502, 595]) {
    test(`an error ${status} that quotes the header shows neither the header nor the secret`, async () => {
      sim().injectFault({ path: "/cluster/resources", fault: { kind: "echo-auth", status } });
      const run = await transcript(envWith(sim(), "env"), [["proxmox_list_vms", {}]]);
      expectNoSecret(run);
      // PVE's own text is kept (masked), except for a 401, which the server words itself.
      if (status !== 401) expect(run.answers[0]).toContain(MASK);
    }, T);
  }

  test("an error that quotes the header in answer to a write shows neither", async () => {
    sim().injectFault({ method: "POST", fault: { kind: "echo-auth", status: 500 } });
    const run = await transcript(envWith(sim(), "env"), [["proxmox_start_resource", { vmid: STOPPED_VM, confirm: true }]]);
    expectNoSecret(run);
    expect(run.answers[0]).toContain(MASK);
  }, T);

  test("with the secret read from PROXMOX_TOKEN_SECRET_FILE, the echoed header shows neither", async () => {
    sim().injectFault({ path: "/cluster/resources", fault: { kind: "echo-auth", status: 500 } });
    const run = await transcript(envWith(sim(), "file"), [["proxmox_list_vms", {}]]);
    expectNoSecret(run);
    expect(run.answers[0]).toContain(MASK);
  }, T);
});

// ---------------------------------------------------------------------------------------
// A proxy in front of PVE that quotes what it received. Each mode is one way to quote it.

type ProxyMode =
  | "html-502"
  | "html-200"
  | "html-401-login"
  | "json-message"
  | "json-param-errors"
  | "json-data"
  | "url-encoded"
  | "redirect"
  | "status-line";

interface Proxy {
  url: string;
  /** The Authorization headers it received: proof the header went through it. */
  seen: string[];
  stop(): void;
}

function htmlPage(title: string, auth: string): string {
  return `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>Request headers:</p><pre>Host: pve.example\nAuthorization: ${auth}\nAccept: application/json</pre><hr>nginx</body></html>`;
}

function startProxy(mode: ProxyMode): Proxy {
  const seen: string[] = [];
  if (mode === "status-line") {
    // Bun.serve cannot set a reason phrase, so this one speaks HTTP/1.1 on a raw socket.
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket, data) {
          const auth = /^authorization:\s*(.*)$/im.exec(data.toString())?.[1]?.trim() ?? "";
          seen.push(auth);
          const body = "";
          socket.write(`HTTP/1.1 500 Bad credentials ${auth}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
          socket.end();
        },
      },
    });
    return { url: `http://127.0.0.1:${listener.port}`, seen, stop: () => listener.stop(true) };
  }
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const auth = request.headers.get("authorization") ?? "";
      seen.push(auth);
      const json = (status: number, body: unknown) => Response.json(body, { status });
      switch (mode) {
        case "html-502":
          return new Response(htmlPage("502 Bad Gateway", auth), { status: 502, headers: { "Content-Type": "text/html" } });
        case "html-200":
          return new Response(htmlPage("Welcome", auth), { status: 200, headers: { "Content-Type": "text/html" } });
        case "html-401-login":
          return new Response(htmlPage("Login required", auth), { status: 401, headers: { "Content-Type": "text/html", "WWW-Authenticate": `Bearer realm="${auth}"` } });
        case "json-message":
          return json(500, { data: null, message: `proxy refused the request carrying Authorization: ${auth} (token ${auth.split("=").pop()})\n` });
        case "json-param-errors":
          return json(400, { data: null, errors: { vmid: `rejected with ${auth}`, secret: auth.split("=").pop() } });
        case "json-data":
          // A 200 whose data quotes the header: a guest named after it, tagged with the secret.
          return json(200, { data: [{ id: "qemu/100", type: "qemu", vmid: 100, node: "pve1", name: auth, status: "running", tags: auth.split("=").pop(), maxcpu: 1, maxmem: 1, mem: 1, cpu: 0, uptime: 1 }] });
        case "url-encoded":
          return json(500, { data: null, message: `upstream said: ${encodeURIComponent(auth)} / ${encodeURIComponent(auth.split("=").pop() ?? "")}` });
        case "redirect":
          return new Response(`<a href="https://login.example/?auth=${encodeURIComponent(auth)}">moved</a>`, { status: 302, headers: { Location: `https://login.example/?token=${auth.split("=").pop()}` } });
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

const PROXY_MODES: { mode: ProxyMode; what: string; masked: boolean }[] = [
  { mode: "html-502", what: "an HTML 502 page quoting the request headers", masked: false },
  { mode: "html-200", what: "an HTML page with status 200 quoting the request headers", masked: false },
  { mode: "html-401-login", what: "an HTML login page (401) quoting the header, also in WWW-Authenticate", masked: false },
  { mode: "json-message", what: "a JSON error whose message quotes the header and the bare secret", masked: true },
  { mode: "json-param-errors", what: "a 400 whose per-parameter errors quote the header and the secret", masked: true },
  { mode: "json-data", what: "a 200 whose data quotes the header (a guest named after it)", masked: true },
  { mode: "url-encoded", what: "an error quoting the header URL-encoded", masked: true },
  { mode: "redirect", what: "a redirect to a login page carrying the secret", masked: false },
  { mode: "status-line", what: "an HTTP status line (reason phrase) quoting the header", masked: true },
];

describe("a proxy in front of PVE quoting the Authorization header", () => {
  for (const { mode, what, masked } of PROXY_MODES) {
    test(`${what}: no secret in any answer, log line or JSON-RPC message`, async () => {
      const proxy = startProxy(mode);
      try {
        const run = await transcript(envWith(sim(), "env", { PROXMOX_URL: proxy.url }), [
          ["proxmox_status", {}],
          ["proxmox_list_vms", {}],
          ["proxmox_start_resource", { vmid: STOPPED_VM, node: "pve1", type: "qemu", confirm: true }],
        ]);
        expect(proxy.seen).toContain(HEADER);
        expectNoSecret(run);
        if (masked) expect(run.answers.join("\n")).toContain(MASK);
      } finally {
        proxy.stop();
      }
    }, T);
  }

  test("with the secret from PROXMOX_TOKEN_SECRET_FILE, a proxy quoting the header shows no secret", async () => {
    const proxy = startProxy("json-message");
    try {
      const run = await transcript(envWith(sim(), "file", { PROXMOX_URL: proxy.url }), [["proxmox_list_vms", {}]]);
      expect(proxy.seen).toContain(HEADER);
      expectNoSecret(run);
      expect(run.answers[0]).toContain(MASK);
    } finally {
      proxy.stop();
    }
  }, T);

  test("a token header the server was never told about (another token's) is masked by its shape", async () => {
    const other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ data: null, message: `token PVEAPIToken=ops@pve!ci=${other} and pveapitoken ops@pve!ci=${other} and authorization: Bearer ${other}` }, { status: 500 }),
    });
    try {
      const run = await transcript(envWith(sim(), "env", { PROXMOX_URL: `http://127.0.0.1:${server.port}` }), [["proxmox_status", {}]]);
      expect(run.answers[0]).toContain(MASK);
      expect(findSecret(run.stdout, other)).toBeUndefined();
      expect(findSecret(run.stderr, other)).toBeUndefined();
    } finally {
      server.stop(true);
    }
  }, T);
});

// ---------------------------------------------------------------------------------------

describe("network errors", () => {
  test("a URL whose host name holds the secret: the DNS failure names the URL with the secret masked", async () => {
    const run = await transcript(envWith(sim(), "env", { PROXMOX_URL: `http://${SECRET}.invalid:8006` }), [["proxmox_status", {}]]);
    expectNoSecret(run);
    expect(run.answers[0]).toContain(`${MASK}.invalid`);
  }, T);

  test("a URL whose path holds the secret: the refused connection names the URL with the secret masked", async () => {
    const run = await transcript(envWith(sim(), "file", { PROXMOX_URL: `http://127.0.0.1:9/${SECRET}` }), [["proxmox_status", {}]]);
    expectNoSecret(run);
    expect(run.answers[0]).toContain(MASK);
  }, T);

  test("doctor's DNS check on a host name holding the secret prints it masked", async () => {
    const run = await runBinary(["doctor"], envWith(sim(), "env", { PROXMOX_URL: `http://${SECRET}.invalid:8006` }));
    expectNoSecret(run);
    expect(run.stdout).toContain(MASK);
  }, T);
});

describe("log lines and stacks", () => {
  test("a debug line for a request whose path holds the secret shows it masked", async () => {
    const run = await transcript(envWith(sim(), "env"), [["proxmox_node_status", { node: SECRET }]]);
    expectNoSecret(run);
    expect(run.stderr).toContain(`/nodes/${MASK}/status`);
  }, T);

  test("an unexpected exception (data: null for a task's status) leaves no stack in the answer and no secret on stderr", async () => {
    // The UPID's user field carries the secret, so it is in every URL and log line of the call.
    const upid = `UPID:pve1:0000C346:165A0CE4:68D7279C:qmstart:100:${SECRET}:`;
    sim().injectFault({ path: /\/tasks\//, fault: { kind: "null-data" } });
    const run = await transcript(envWith(sim(), "env"), [["proxmox_get_task_status", { upid }]]);
    expectNoSecret(run);
    expect(run.answers[0]).not.toMatch(/^\s+at\s/m);
    expect(run.answers[0]).not.toContain(".ts:");
    expect(run.stderr).toContain(MASK);
  }, T);

  test("JSON-RPC messages the transport rejects are logged with a secret-named key masked", async () => {
    const server = spawnRaw(envWith(sim(), "env"));
    await server.initialize();
    await server.write(`${JSON.stringify({ jsonrpc: "2.0", id: 7, [SECRET]: HEADER })}\n`);
    await server.write(`${JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "proxmox_status", arguments: {} }, [HEADER]: 1 })}\n`);
    const answer = await server.request("ping");
    expect(answer.result).toBeDefined();
    await server.closeStdin();
    await server.exited;
    expectNoSecret({ stdout: server.stdout(), stderr: server.stderr() });
    expect(server.stderr()).toContain(MASK);
  }, T);
});

describe("the secret in the cluster's own data", () => {
  test("a guest description and a task log line holding the header are masked in results, progress and resources", async () => {
    const s = sim();
    const guest = s.state.guests.get(100);
    if (!guest) throw new Error("the demo cluster has no guest 100");
    guest.config.description = `API access: ${HEADER}`;
    s.scriptNextTask({ outcome: "ok", durationMs: 600, logLines: [`using ${HEADER}`, `token secret ${SECRET} accepted`, "50% done"] });
    const server = spawnRaw(envWith(s, "env"));
    try {
      await server.initialize();
      const resource = await rawCall(server, "proxmox_get_resource", { vmid: 100 });
      expect(resource.text).toContain(MASK);
      await server.request("resources/read", { uri: "proxmox://default/guests/100" });
      const started = await rawCall(server, "proxmox_start_resource", { vmid: STOPPED_VM, confirm: true, wait: true, wait_timeout_s: 5 }, { progressToken: "p1" });
      expect(started.text).toContain("finished OK");
    } finally {
      await server.closeStdin();
    }
    await server.exited;
    expectNoSecret({ stdout: server.stdout(), stderr: server.stderr() });
    expect(server.lines().some((m) => m.method === "notifications/progress")).toBe(true);
  }, T);

  // BUG (src/tools/guests.ts flattenConfig, src/tools/backups.ts NOTES_MAX, src/tools/snapshots.ts
  // description.slice): long text from PVE is shortened before the registry redacts it, so a
  // bare secret cut by the shortening is no longer recognised and its first part is shown.
  test("a bare secret in long notes is masked even where the answer shortens the notes", async () => {
    const s = sim();
    const guest = s.state.guests.get(100);
    const snapshot = guest?.snapshots[0];
    const nas = s.state.storage("nas-backup");
    const backup = nas ? s.state.volumes(nas, "*").find((vol) => vol.vmid === 100) : undefined;
    if (!guest || !snapshot || !backup) throw new Error("the demo cluster lacks guest 100's snapshot or backup");
    guest.config.description = `${"n".repeat(285)} ${SECRET}`;
    snapshot.description = `${"s".repeat(185)} ${SECRET}`;
    backup.notes = `${"b".repeat(105)} ${SECRET}`;
    const run = await transcript(envWith(s, "env"), [
      ["proxmox_get_resource", { vmid: 100 }],
      ["proxmox_list_snapshots", { vmid: 100 }],
      ["proxmox_list_backups", { vmid: 100 }],
    ]);
    expectNoSecret(run);
  }, T);
});

describe("the command line", () => {
  test("call prints an echoed header on neither stream", async () => {
    sim().injectFault({ path: "/cluster/resources", fault: { kind: "echo-auth", status: 500 } });
    const run = await runBinary(["call", "proxmox_list_vms"], envWith(sim(), "env"));
    expect(run.code).toBe(1);
    expectNoSecret(run);
    expect(run.stderr).toContain(MASK);
  }, T);

  test("doctor prints an echoed header on neither stream", async () => {
    sim().injectFault({ path: "/version", fault: { kind: "echo-auth", status: 500 } });
    const run = await runBinary(["doctor"], envWith(sim(), "file"));
    expectNoSecret(run);
    expect(run.stdout).toContain(MASK);
  }, T);
});

describe("start-up problems", () => {
  test("a secret with a space in it is refused without being echoed", async () => {
    const run = await runBinary([], { ...envFor(sim(), DEBUG), PROXMOX_TOKEN_SECRET: `${SECRET} x` });
    expect(run.code).toBe(2);
    expectNoSecret(run);
  }, T);

  test("a bad PROXMOX_URL next to the secret is reported without the secret", async () => {
    const run = await runBinary([], envFor(sim(), { ...DEBUG, PROXMOX_URL: `ftp://root:${SECRET}@pve.example` }));
    expect(run.code).toBe(2);
    expectNoSecret(run);
  }, T);

  test("an unreadable PROXMOX_TOKEN_SECRET_FILE is reported by its path, never its content", async () => {
    const file = secretFile(`${SECRET}\n`);
    const env = envFor(sim(), { ...DEBUG, PROXMOX_TOKEN_SECRET_FILE: `${file}.missing` });
    delete env.PROXMOX_TOKEN_SECRET;
    const run = await runBinary([], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(".missing");
    expectNoSecret(run);
  }, T);

  // BUG (src/config/env.ts loadConfig): "PROXMOX_TOKEN_SECRET_FILE (<value>) cannot be read"
  // echoes the value; a user who pastes the secret itself there sees it printed to stderr
  // (and into the agent's log), because only PROXMOX_TOKEN_SECRET is registered that early.
  test("the secret pasted into PROXMOX_TOKEN_SECRET_FILE by mistake is not echoed in the start-up error", async () => {
    const env = envFor(sim(), { ...DEBUG, PROXMOX_TOKEN_SECRET_FILE: SECRET });
    delete env.PROXMOX_TOKEN_SECRET;
    const run = await runBinary([], env);
    expect(run.code).toBe(2);
    expectNoSecret(run);
  }, T);

  // BUG (src/config/instances.ts loadInstances): a PROXMOX_CONFIG that is not JSON is reported
  // with JSON.parse's message, which quotes the offending token: an unquoted secret
  // ("tokenSecret": abcd…) comes out as `Unexpected identifier "abcd1234"`.
  test("a PROXMOX_CONFIG that is not JSON is reported without quoting what it holds", async () => {
    const unquoted = "abc7e7aa-c0de-4bad-9f00-d15c105ed0ff";
    const dir = scratchDir("config");
    const file = join(dir, "instances.json");
    writeFileSync(file, `{"instances": {"home": {"url": "${sim().url}", "tokenId": "${TOKEN_ID}", "tokenSecret": ${unquoted}}}}`);
    const run = await runBinary([], { PATH: process.env.PATH ?? "/usr/bin:/bin", PROXMOX_CONFIG: file, ...DEBUG });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_CONFIG");
    expect(findSecret(run.stderr, unquoted)).toBeUndefined();
    expect(run.stderr).not.toContain(unquoted.slice(0, 8));
  }, T);
});
