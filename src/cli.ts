#!/usr/bin/env bun
// Command line: argv → config → transport. Only JSON-RPC goes to stdout while serving;
// every other word this process says goes to stderr through the redactor.
import { readFileSync } from "node:fs";
import { type Config, configWarnings, formatConfigProblems, loadConfig, parseBoolean } from "./config/env.ts";
import { loadInstances } from "./config/instances.ts";
import { createLogger, LOG_LEVELS, type LogLevel, type Logger } from "./log.ts";
import { logHub } from "./mcp/logging.ts";
import type { AuditRecord } from "./security/audit.ts";
import { auditKeyFrom, verifyChain } from "./security/audit-chain.ts";
import { Redactor } from "./security/redactor.ts";
import { createRegistry, createRuntime, stdioServerFactory } from "./server.ts";
import { ALL_TOOLS } from "./tools/index.ts";
import { DEFAULT_SELECTION, isSelected, parseToolsets, TOOLSETS } from "./tools/toolsets.ts";
import { TIER_NAMES } from "./tools/types.ts";
import { endStartupSoon } from "./startup.ts";
import { MAX_LINE_BYTES } from "./stdio-limit.ts";
import { StdioTransport } from "./mcp/stdio-transport.ts";
import { VERSION } from "./version.ts";

const USAGE = `proxmox-mcp ${VERSION} — MCP server for Proxmox VE

Usage:
  proxmox-mcp                      serve MCP over stdio (what an agent runs)
  proxmox-mcp tour                 a guided tour of a simulated cluster, printed as tables (start here)
  proxmox-mcp tools [--json]       list the tools offered, with their tiers and toolsets
  proxmox-mcp call TOOL [JSON]     run one tool and print its answer (exit 1 on a tool error)
  proxmox-mcp doctor               check configuration, reach, TLS, token and privileges
                                   of every instance (PROXMOX_CONFIG too); --demo: of the simulated cluster
  proxmox-mcp audit verify FILE    check an audit log's hash chain (needs PROXMOX_AUDIT_KEY)
  proxmox-mcp serve --http [HOST:]PORT
                                   serve MCP over Streamable HTTP at /mcp (stateless; GET /healthz)
  proxmox-mcp --help | --version

Options:
  --demo        use the built-in simulated cluster instead of PROXMOX_URL (also PROXMOX_DEMO=1).
                Alone, it is a silent MCP server waiting for a client on stdin: for a person
                at a terminal, \`proxmox-mcp tour\` is the one that prints something.
  --demo-scenario NAME   a real-world situation for --demo and tour (also PROXMOX_DEMO_SCENARIO):
                homelab, standalone, readonly-token, privsep-token, pool-token, troubled, pve8

Environment:
  PROXMOX_URL                 https://pve.example.local:8006 (port 8006 when none is given)
  PROXMOX_TOKEN_ID            user@realm!tokenname
  PROXMOX_TOKEN_SECRET        the token's secret (or PROXMOX_TOKEN_SECRET_FILE=/path)
  PROXMOX_TLS_INSECURE        true: skip certificate checks (self-signed; prefer the two below)
  PROXMOX_CA_FILE             PEM CA to trust, e.g. pve-root-ca.pem
  PROXMOX_TLS_FINGERPRINT     pin the server certificate's SHA-256 fingerprint (AB:CD:…)
  PROXMOX_TIMEOUT_MS          per-request timeout (default 30000)
  PROXMOX_LOG_LEVEL           debug, info, warn, error (default info; logs go to stderr)
  PROXMOX_ENABLE_DESTRUCTIVE  exactly 1 to allow destructive tools (they also need confirm + destructive)
  PROXMOX_READ_ONLY           true: write tools are not offered at all
                              (switches take true/false, 1/0, yes/no, on/off; anything else stops start-up)
  PROXMOX_TOOLSETS            which tools are listed: default (unset), all, or sets such as
                              default,guest (${Object.keys(TOOLSETS).join(", ")})
  PROXMOX_ALLOWED_VMIDS       writes only to these guests, e.g. 100-199,300
  PROXMOX_ALLOWED_NODES       writes only on these nodes, e.g. pve1,pve2
  PROXMOX_PROTECTED_TAGS      guests with any of these tags refuse every write, e.g. prod;critical
  PROXMOX_AUDIT_LOG           append write audit records (JSON lines) to this file instead of stderr
  PROXMOX_AUDIT_KEY           32+ characters: seal audit lines into a keyed hash chain (or PROXMOX_AUDIT_KEY_FILE)
  PROXMOX_EXEC_ALLOW          proxmox_guest_exec runs only these programs, e.g. hostname,df,systemctl
  PROXMOX_SSH_USER, PROXMOX_SSH_KEY_FILE, PROXMOX_SSH_KNOWN_HOSTS
                              SSH to the nodes for commands in containers (pct exec); see README
  PROXMOX_CONFIG              JSON file naming several clusters (instances); see README. The
                              environment's read-only, allowed vmids/nodes and protected tags still
                              limit every instance
  PROXMOX_MCP_HTTP_TOKEN      bearer token for --http (or PROXMOX_MCP_HTTP_TOKEN_FILE); required off loopback
  PROXMOX_MCP_ALLOWED_HOSTS   extra Host/Origin names accepted by --http, e.g. mcp.example.lan
  PROXMOX_MCP_OAUTH_ISSUER    --http as an OAuth resource server: the authorization server's issuer URL
  PROXMOX_MCP_OAUTH_RESOURCE  this server's public URL (the tokens' audience), e.g. https://mcp.example.com/mcp
  PROXMOX_MCP_HTTP_AUTH       token, oauth or token,oauth (needed only to accept both at once)
`;

interface Cli {
  command: "serve" | "tools" | "call" | "tour" | "doctor" | "audit" | "help" | "version";
  demo: boolean;
  /** Which real-world situation the demo cluster shows (src/sim/scenarios.ts). */
  scenario?: string;
  json: boolean;
  http?: string;
  rest: string[];
}

export function parseArgs(argv: readonly string[], env: Record<string, string | undefined>): Cli | { error: string } {
  const demoSwitch = parseBoolean("PROXMOX_DEMO", env.PROXMOX_DEMO);
  if ("problem" in demoSwitch) return { error: demoSwitch.problem };
  const cli: Cli = { command: "serve", demo: demoSwitch.value || !!env.PROXMOX_DEMO_SCENARIO, scenario: env.PROXMOX_DEMO_SCENARIO, json: false, rest: [] };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") return { ...cli, command: "help" };
    if (arg === "--http") {
      const value = argv[++i];
      if (value === undefined) return { error: "--http needs [host:]port, e.g. --http 127.0.0.1:8080" };
      cli.http = value;
      continue;
    }
    if (arg === "--demo-scenario") {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) return { error: "--demo-scenario needs a name, e.g. --demo-scenario standalone" };
      cli.scenario = value;
      cli.demo = true;
      continue;
    }
    if (arg === "--version" || arg === "-v") return { ...cli, command: "version" };
    if (arg === "--demo") cli.demo = true;
    else if (arg === "--json") cli.json = true;
    else if (arg.startsWith("--")) return { error: `unknown option ${arg}` };
    else positional.push(arg);
  }
  const [command, ...rest] = positional;
  if (command === undefined) return cli;
  if (command === "tools" || command === "call" || command === "tour" || command === "serve" || command === "doctor" || command === "audit") {
    return { ...cli, command, rest, demo: cli.demo || command === "tour" };
  }
  if (command === "demo") {
    return { error: "there is no 'demo' command: `proxmox-mcp tour` prints a guided tour of the simulated cluster; `proxmox-mcp --demo` serves it to an MCP client (and prints nothing)" };
  }
  return { error: `unknown command '${command}'` };
}

async function resolveConfig(cli: Cli, env: Record<string, string | undefined>, log: Logger): Promise<{ configs: Config[]; stop: () => Promise<void> }> {
  if (cli.demo) {
    // Loaded only in demo mode: the simulator and its schema stay out of a normal start-up.
    const { startSimulator } = await import("./sim/index.ts");
    const { demoScenario } = await import("./sim/scenarios.ts");
    const scenario = demoScenario(cli.scenario);
    if ("error" in scenario) throw new ConfigError([scenario.error]);
    const sim = startSimulator(scenario.options);
    // The tour walks the day-2 tools too, so it lists every set unless the person chose some.
    const demoEnv = { ...env, PROXMOX_TOOLSETS: env.PROXMOX_TOOLSETS ?? (cli.command === "tour" ? "all" : undefined), PROXMOX_URL: sim.url, PROXMOX_TOKEN_ID: sim.tokenId, PROXMOX_TOKEN_SECRET: sim.tokenSecret, PROXMOX_TOKEN_SECRET_FILE: undefined, PROXMOX_CA_FILE: undefined, PROXMOX_TLS_FINGERPRINT: undefined };
    const result = loadConfig(demoEnv);
    if (!result.ok) throw new ConfigError(result.problems);
    log.info(`demo mode: serving a simulated cluster at ${sim.url}: ${scenario.about} (nothing here touches a real Proxmox)`);
    return { configs: [result.config], stop: () => sim.stop() };
  }
  const result = loadInstances(env);
  if (!result.ok) throw new ConfigError(result.problems);
  return { configs: result.instances, stop: async () => {} };
}

class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super("configuration");
  }
}

export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const redactor = new Redactor();
  // The secret is masked even before the config parses, in case a problem text quotes it.
  redactor.register(env.PROXMOX_TOKEN_SECRET?.trim());
  const level = (LOG_LEVELS as readonly string[]).includes(env.PROXMOX_LOG_LEVEL?.trim().toLowerCase() ?? "") ? (env.PROXMOX_LOG_LEVEL?.trim().toLowerCase() as LogLevel) : "info";
  const log = createLogger(redactor, level, undefined, logHub);
  const out = (text: string) => process.stdout.write(`${redactor.redact(text)}\n`);

  const cli = parseArgs(argv, env);
  if ("error" in cli) {
    process.stderr.write(`proxmox-mcp: ${cli.error}\n\n${USAGE}`);
    return 2;
  }
  if (cli.command === "version") return out(VERSION), 0;
  if (cli.command === "help") return out(USAGE), 0;
  if (cli.command === "tools" && !cli.demo) {
    const selection = parseToolsets(env.PROXMOX_TOOLSETS);
    const readOnly = parseBoolean("PROXMOX_READ_ONLY", env.PROXMOX_READ_ONLY);
    const problems = ["problem" in selection ? selection.problem : undefined, "problem" in readOnly ? readOnly.problem : undefined].filter((p) => p !== undefined);
    if (problems.length > 0 || "problem" in selection || "problem" in readOnly) {
      process.stderr.write(`${redactor.redact(formatConfigProblems(problems))}\n`);
      return 2;
    }
    return listTools(cli.json, readOnly.value, selection.toolsets, out);
  }
  if (cli.command === "audit") return auditCommand(cli.rest, env, redactor, out);
  if (cli.command === "doctor" && !cli.demo) {
    const { runDoctor } = await import("./doctor.ts");
    return runDoctor(env, log, out, (secret) => redactor.register(secret));
  }

  let resolved: Awaited<ReturnType<typeof resolveConfig>>;
  try {
    resolved = await resolveConfig(cli, env, log);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${redactor.redact(formatConfigProblems(error.problems))}\n`);
      return 2;
    }
    throw error;
  }
  const { configs, stop } = resolved;
  // The demo's simulator listens on loopback over http://: nothing to warn about there.
  if (!cli.demo) for (const config of configs) for (const warning of configWarnings(config, configs.length > 1 ? `instance ${config.name}: ` : "")) log.warn(warning);
  const auditKey = auditKeyFrom(env);
  if (auditKey.problem) {
    process.stderr.write(`proxmox-mcp: ${auditKey.problem}\n`);
    await stop();
    return 2;
  }
  // Security: the key seals the audit chain; it is masked like every other secret.
  redactor.register(auditKey.key);
  const runtime = createRuntime(configs, redactor, log, auditKey.key);
  const tourAudit: AuditRecord[] = [];
  // The tour shows its audit records as a table instead of JSON lines on stderr.
  if (cli.command === "tour") runtime.audit = (record) => void tourAudit.push(record);
  const registry = createRegistry(runtime);

  switch (cli.command) {
    case "doctor": {
      const { runDoctor } = await import("./doctor.ts");
      const code = await runDoctor(env, log, out, (secret) => redactor.register(secret), { configs, source: "the simulated demo cluster" });
      await stop();
      return code;
    }
    case "tools":
      await stop();
      return listTools(cli.json, configs.every((c) => c.readOnly), configs[0]?.toolsets ?? DEFAULT_SELECTION, out);
    case "call": {
      const [name, json] = cli.rest;
      if (!name) {
        process.stderr.write("proxmox-mcp: call needs a tool name, e.g. proxmox-mcp call proxmox_status\n");
        await stop();
        return 2;
      }
      let args: unknown = {};
      if (json !== undefined) {
        try {
          args = JSON.parse(json);
        } catch {
          process.stderr.write(`proxmox-mcp: the arguments must be JSON, e.g. '{"vmid": 100}'\n`);
          await stop();
          return 2;
        }
      }
      const outcome = await registry.call(name, args, { progress: async (p) => log.info(`progress: ${p.message ?? p.progress}`) });
      await stop();
      if (outcome.isError) {
        process.stderr.write(`${outcome.text}\n`);
        return 1;
      }
      out(outcome.text);
      return 0;
    }
    case "tour": {
      const { runTour } = await import("./tour.ts");
      const { demoScenario } = await import("./sim/scenarios.ts");
      const scenario = demoScenario(cli.scenario);
      const code = await runTour(registry, out, tourAudit, "error" in scenario ? undefined : { name: cli.scenario ?? "homelab", ...scenario });
      await stop();
      return code;
    }
    default:
      if (cli.http !== undefined) return serveHttp(cli.http, env, registry, redactor, log, stop);
      if (cli.demo && process.stdin.isTTY) {
        log.info("--demo serves MCP on stdin/stdout and waits for a client; for a guided tour a person can read, run `proxmox-mcp tour` (Ctrl-C to leave)");
      }
      return serveStdio(registry, redactor, log, stop);
  }
}

/** The tools a server with this configuration offers (the registry's rule), each with its set. */
/** `proxmox-mcp audit verify FILE`: 0 when the chain is intact, 1 at the first break, 2 on usage. */
function auditCommand(rest: string[], env: Record<string, string | undefined>, redactor: Redactor, out: (text: string) => void): number {
  const [sub, file] = rest;
  if (sub !== "verify" || !file || rest.length > 2) {
    process.stderr.write("proxmox-mcp: usage: proxmox-mcp audit verify FILE (with PROXMOX_AUDIT_KEY or PROXMOX_AUDIT_KEY_FILE set)\n");
    return 2;
  }
  const { key, problem } = auditKeyFrom(env);
  if (problem || !key) {
    process.stderr.write(`proxmox-mcp: ${problem ?? "audit verify needs the key the log was sealed with: set PROXMOX_AUDIT_KEY or PROXMOX_AUDIT_KEY_FILE."}\n`);
    return 2;
  }
  redactor.register(key);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    process.stderr.write(`proxmox-mcp: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}).\n`);
    return 2;
  }
  const result = verifyChain(text, key);
  const restarts = result.restarts.length ? `; a new chain began at line ${result.restarts.join(", ")} (a process started)` : "";
  if (!result.ok) {
    out(`${file}: BROKEN at line ${result.problem?.line}: ${result.problem?.message}. ${result.records} record(s) before it verified${restarts}.`);
    return 1;
  }
  if (result.records === 0) {
    out(`${file}: no sealed audit records found (was PROXMOX_AUDIT_KEY set when they were written?).`);
    return 1;
  }
  out(`${file}: intact, ${result.records} record(s)${restarts}. Last: seq ${result.last?.seq}, mac ${result.last?.prev}. Keep these two elsewhere: removing lines from the end can only be seen against them.`);
  return 0;
}

function listTools(json: boolean, readOnly: boolean, selection: readonly string[], out: (text: string) => void): number {
  const tools = ALL_TOOLS.filter((t) => isSelected(t, selection) && (!readOnly || t.tier === 1 || t.tierFor !== undefined));
  if (json) {
    out(JSON.stringify(tools.map((t) => ({ name: t.name, title: t.title, tier: t.tier, tierName: TIER_NAMES[t.tier], toolset: t.toolset, description: t.description }))));
    return 0;
  }
  for (const t of tools) out(`${t.name.padEnd(30)} ${t.toolset.padEnd(10)} tier ${t.tier} (${TIER_NAMES[t.tier]})  ${t.title}`);
  // What else exists, on stderr so stdout stays one line per offered tool.
  const more = new Map<string, number>();
  for (const t of ALL_TOOLS) if (!tools.includes(t)) more.set(t.toolset, (more.get(t.toolset) ?? 0) + 1);
  if (more.size > 0) {
    const sets = [...more].map(([set, n]) => `${set} (${n})`).join(", ");
    process.stderr.write(`${[...more.values()].reduce((a, b) => a + b, 0)} more not offered${readOnly ? " (read-only, or not in PROXMOX_TOOLSETS)" : ""}: ${sets}. PROXMOX_TOOLSETS=all lists every set.\n`);
  }
  return 0;
}

async function serveHttp(spec: string, env: Record<string, string | undefined>, registry: ReturnType<typeof createRegistry>, redactor: Redactor, log: Logger, stop: () => Promise<void>): Promise<number> {
  endStartupSoon();
  const { parseListen, startHttpServer, httpToken } = await import("./http.ts");
  const listen = parseListen(spec);
  if ("problem" in listen) {
    process.stderr.write(`proxmox-mcp: ${listen.problem}\n`);
    return 2;
  }
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    const allowedHosts = (env.PROXMOX_MCP_ALLOWED_HOSTS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const { authSettingsFromEnv } = await import("./auth/http-auth.ts");
    const { settings, problems } = authSettingsFromEnv(env, httpToken(env, (message) => log.warn(message)));
    if (problems.length) throw new Error(problems.join("\n  "));
    server = startHttpServer(registry, { ...listen, ...settings, allowedHosts }, log, redactor);
  } catch (error) {
    process.stderr.write(`${redactor.redact(`proxmox-mcp: ${error instanceof Error ? error.message : String(error)}`)}\n`);
    await stop();
    return 2;
  }
  return new Promise<number>((resolve) => {
    const shutdown = () => {
      log.info("shutting down");
      server.stop().then(stop).finally(() => resolve(0));
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  });
}

async function serveStdio(registry: ReturnType<typeof createRegistry>, redactor: Redactor, log: Logger, stop: () => Promise<void>): Promise<number> {
  endStartupSoon();
  const { serveStdio: serve } = await import("@modelcontextprotocol/server/stdio");
  return new Promise<number>((resolve) => {
    // The client closing stdin ends the session: stop the demo simulator and exit cleanly.
    // Security: one oversized message is answered with an error; the session goes on.
    const transport = new StdioTransport(process.stdin, process.stdout, {
      redactor,
      onOversized: (size) => log.warn(`dropped a ${size}-byte message from stdin: over the ${MAX_LINE_BYTES}-byte limit`),
      onClosed: () => {
        log.debug("stdin closed; exiting");
        stop().finally(() => resolve(0));
      },
    });
    serve(stdioServerFactory(registry, transport), { transport, onerror: (error) => log.warn(`transport: ${error.message}`) });
    log.info(`proxmox-mcp ${VERSION} serving MCP on stdio (${registry.tools.length} tools)`);
  });
}

if (import.meta.main) {
  process.on("unhandledRejection", (reason) => {
    const redactor = new Redactor();
    redactor.register(process.env.PROXMOX_TOKEN_SECRET?.trim());
    process.stderr.write(`${redactor.redact(`proxmox-mcp error: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`)}\n`);
  });
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error) => {
      const redactor = new Redactor();
      redactor.register(process.env.PROXMOX_TOKEN_SECRET?.trim());
      process.stderr.write(`${redactor.redact(`proxmox-mcp: fatal: ${error instanceof Error ? error.message : String(error)}`)}\n`);
      process.exit(1);
    },
  );
}
