// The simulated PVE API on Bun.serve: PVE's auth, envelope, status lines and error
// bodies; every request checked against the official schema first; faults on demand.
import type { AddressInfo } from "node:net";
import { SimAccess, type SimToken, simToken, SIM_TOKENS, type TokenProfile } from "./access.ts";
import { type ClusterSpec, demoCluster, generatedCluster, type RealWorld, type SimCluster, standaloneCluster } from "./cluster.ts";
import { EXTRA_HANDLERS } from "./handlers/api-extras.ts";
import { type HandlerContext, SimError, WithTotal } from "./handlers/common.ts";
import { DAY2_HANDLERS } from "./handlers/day2.ts";
import { READ_HANDLERS } from "./handlers/reads.ts";
import { WRITE_HANDLERS } from "./handlers/writes.ts";
import { seedHistory, type TaskRunner as TaskRunnerType, TaskRunner, type TaskScript } from "./tasks.ts";
import { checkRequest, type Method, type WireParams } from "./validate.ts";

export interface SimulatorOptions {
  port?: number;
  hostname?: string;
  tokenId?: string;
  tokenSecret?: string;
  cluster?: ClusterSpec;
  taskDurationMs?: number;
  authFailureDelayMs?: number;
  /** Effective privileges GET /access/permissions reports (default: everything on /). */
  permissions?: Record<string, Record<string, number>>;
  /** Which of the simulator's tokens `tokenId`/`tokenSecret` are (default root); the others are accepted too. */
  token?: TokenProfile;
  /** Privileges of the "operator" token (SECURITY.md's MCPOperator role on /). */
  operatorPrivileges?: readonly string[];
  /** One node without a cluster (the PVE 8.4 capture) instead of the three-node homelab. */
  standalone?: boolean;
  /** Real clusters' behaviours (offline delay, storage order, PVE ≤ 8.3 errors, HA delay). */
  real?: Partial<RealWorld>;
  /** Real guests' states: VM 104 paused, VM 105 io-error (QMP status). */
  qmpStates?: boolean;
  /** HA-managed guests besides 101 (which always is). */
  haGuests?: number[];
  /** Guest-agent failures: VM 103 answers in PVE 6's `result.error` form, VM 100 with a 500. */
  agentErrors?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: WireParams;
  status: number;
  template?: string;
}

export type Fault =
  | { kind: "latency"; delayMs: number }
  | { kind: "status"; status: number; message?: string }
  | { kind: "html"; status?: number }
  | { kind: "malformed-json" }
  | { kind: "empty-body" }
  | { kind: "truncated" }
  | { kind: "null-data" }
  | { kind: "hang" }
  | { kind: "echo-auth"; status?: number };

export interface FaultRule {
  method?: string;
  path?: string | RegExp;
  times?: number;
  fault: Fault;
}

export interface Simulator {
  url: string;
  tokenId: string;
  tokenSecret: string;
  /** The credentials of one of the simulator's tokens, to call as it. */
  tokenFor(profile: TokenProfile): { tokenId: string; tokenSecret: string };
  state: SimCluster;
  tasks: TaskRunnerType;
  requests: RecordedRequest[];
  rejections: RecordedRequest[];
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  scriptNextTask(script: TaskScript): void;
  setNodeOnline(node: string, online: boolean): void;
  resetLog(): void;
  stop(): Promise<void>;
}

const HANDLERS = { ...READ_HANDLERS, ...WRITE_HANDLERS, ...EXTRA_HANDLERS, ...DAY2_HANDLERS };
const PVE_HEADERS = { "Content-Type": "application/json;charset=UTF-8", Server: "pve-api-daemon/3.0", "Cache-Control": "max-age=0", Pragma: "no-cache" };
const PREFIX = "/api2/json";

/**
 * PVE's status line carries the first line of the message. Before libpve-http-server-perl
 * 5.2.0 (PVE ≤ 8.3) the JSON body had no `message`: the reason phrase was the only text.
 */
function errorResponse(status: number, message: string, errors?: Record<string, string>, legacy = false): Response {
  const body = JSON.stringify({ data: null, ...(legacy ? {} : { message: `${message}\n` }), ...(errors ? { errors } : {}) });
  const reason = message.split("\n")[0]?.slice(0, 200) ?? "";
  // Bun.serve always sends the standard reason phrase; the legacy front (below) sends this one.
  return new Response(body, { status, statusText: reason, headers: legacy ? { ...PVE_HEADERS, [REASON_HEADER]: encodeURIComponent(reason) } : PVE_HEADERS });
}

const REASON_HEADER = "x-sim-reason";

/**
 * A node:http front that sends PVE's own reason phrase (Bun.serve cannot): with PVE ≤ 8.3's
 * bodies, which carry no message, the status line is the only place an error's text is.
 */
function reasonPhraseFront(target: string, hostname: string): { url: string; close(): void } {
  // From process.getBuiltinModule, not an import: the binary is one bundle, whose imports of
  // Node's modules all load at start, and node:http takes about 4.5 ms to load (test/dist/startup-imports.test.ts).
  const front = process.getBuiltinModule("node:http").createServer(async (req, res) => {
    let answer: Response;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === "string")) as Record<string, string>;
      answer = await fetch(`${target}${req.url ?? "/"}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    } catch {
      // The simulator behind stopped while a request was in flight (a test ended).
      res.statusCode = 502;
      res.end();
      return;
    }
    res.statusCode = answer.status;
    const reason = answer.headers.get(REASON_HEADER);
    if (reason) res.statusMessage = decodeURIComponent(reason);
    answer.headers.forEach((value, key) => {
      if (key !== REASON_HEADER && key !== "content-length" && key !== "date") res.setHeader(key, value);
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  front.listen(0, hostname);
  const address = front.address() as AddressInfo;
  return { url: `http://${hostname}:${address.port}`, close: () => front.close() };
}

// PVE ≤ 8.4 guarded guest-agent reads with VM.Monitor; 9.x split it into VM.GuestAgent.*.
const renameForLegacy = (privs: string[]) => (privs.some((p) => p.startsWith("VM.GuestAgent.")) ? ["VM.Monitor"] : privs);

async function readParams(request: Request, url: URL): Promise<WireParams> {
  const params: WireParams = {};
  const add = (key: string, value: string) => {
    const prev = params[key];
    params[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  };
  if (request.method === "GET" || request.method === "DELETE") {
    url.searchParams.forEach((value, key) => add(key, value));
    return params;
  }
  const text = await request.text();
  if ((request.headers.get("content-type") ?? "").includes("application/json") && text) {
    for (const [key, value] of Object.entries(JSON.parse(text) as Record<string, unknown>)) add(key, typeof value === "string" ? value : typeof value === "boolean" ? (value ? "1" : "0") : String(value));
  } else {
    new URLSearchParams(text).forEach((value, key) => add(key, value));
  }
  return params;
}

/** "PVEAPIToken=user@realm!name=secret": the token id and secret split at the last '='. */
function parseToken(header: string | null): { tokenId: string; secret: string } | undefined {
  const m = /^PVEAPIToken[= ](.*)$/.exec(header ?? "");
  if (!m) return undefined;
  const value = decodeURIComponent((m[1] as string).split(";")[0] as string);
  const eq = value.lastIndexOf("=");
  return eq > 0 ? { tokenId: value.slice(0, eq), secret: value.slice(eq + 1) } : undefined;
}

export function startSimulator(options: SimulatorOptions = {}): Simulator {
  const profile = options.token ?? "root";
  const tokenId = options.tokenId ?? SIM_TOKENS[profile].id;
  const tokenSecret = options.tokenSecret ?? SIM_TOKENS[profile].secret;
  const cluster = options.cluster ? generatedCluster(options.cluster) : options.standalone ? standaloneCluster() : demoCluster();
  if (options.permissions) cluster.permissions = options.permissions;
  cluster.real = { ...cluster.real, ...options.real };
  if (options.qmpStates) {
    const paused = cluster.guests.get(104);
    const ioError = cluster.guests.get(105);
    for (const [g, state] of [[paused, "paused"], [ioError, "io-error"]] as const) {
      if (!g) continue;
      g.status = "running";
      g.qmpstatus = state;
      g.startedAt = cluster.now() - 7200;
      g.mem = Math.round(g.maxmem * 0.5);
    }
  }
  for (const vmid of options.haGuests ?? []) {
    const g = cluster.guests.get(vmid);
    if (g) g.ha = { state: g.status === "running" ? "started" : "stopped" };
  }
  if (options.agentErrors) {
    const pve6 = cluster.guests.get(103);
    const failing = cluster.guests.get(100);
    if (pve6) pve6.agentError = "result-error";
    if (failing) failing.agentError = "http-500";
  }
  const access = new SimAccess(cluster);
  const tokens = new Map<string, SimToken>();
  for (const p of Object.keys(SIM_TOKENS) as TokenProfile[]) {
    const t = simToken(p, options.operatorPrivileges);
    tokens.set(t.id, t);
  }
  const main: SimToken = { ...simToken(profile, options.operatorPrivileges), id: tokenId, secret: tokenSecret };
  tokens.set(tokenId, main);
  const tasks = new TaskRunner(options.taskDurationMs ?? 1200);
  seedHistory(tasks, cluster.nodes.map((n) => n.name), [...cluster.guests.values()].slice(0, 200), cluster.now());
  let faults: FaultRule[] = [];
  const hanging = new Set<() => void>();
  const requests: RecordedRequest[] = [];
  const rejections: RecordedRequest[] = [];

  const takeFault = (method: string, path: string): Fault | undefined => {
    const rule = faults.find((r) => (!r.method || r.method === method) && (!r.path || (typeof r.path === "string" ? path === r.path || path.startsWith(`${r.path}?`) : r.path.test(path))));
    if (!rule) return undefined;
    if (rule.times !== undefined && --rule.times <= 0) faults = faults.filter((r) => r !== rule);
    return rule.fault;
  };

  const fail = (status: number, message: string, errors?: Record<string, string>) => errorResponse(status, message, errors, cluster.real.legacyErrors);

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const method = request.method as Method;
    if (!url.pathname.startsWith(`${PREFIX}/`)) return new Response("not found", { status: 404 });
    const rawPath = url.pathname.slice(PREFIX.length);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const params = await readParams(request, url).catch(() => ({}) as WireParams);
    const record: RecordedRequest = { method, path, params, status: 0 };
    requests.push(record);
    const answer = (response: Response) => {
      record.status = response.status;
      return response;
    };

    const fault = takeFault(method, path);
    if (fault) {
      switch (fault.kind) {
        case "latency":
          await Bun.sleep(fault.delayMs);
          break;
        case "status":
          return answer(fail(fault.status, fault.message ?? `simulated error ${fault.status}`));
        case "html":
          return answer(new Response("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><hr>nginx</body></html>", { status: fault.status ?? 502, headers: { "Content-Type": "text/html" } }));
        case "malformed-json":
          return answer(new Response('{"data": [1, 2,, }', { status: 200, headers: PVE_HEADERS }));
        case "empty-body":
          return answer(new Response("", { status: 200, headers: PVE_HEADERS }));
        case "truncated":
          return answer(new Response('{"data":[{"id":"qemu/100","type":"qe', { status: 200, headers: PVE_HEADERS }));
        case "null-data":
          return answer(new Response('{"data":null}', { status: 200, headers: PVE_HEADERS }));
        case "hang":
          await new Promise<void>((resolve) => hanging.add(resolve));
          return answer(new Response("", { status: 504 }));
        case "echo-auth":
          return answer(fail(fault.status ?? 500, `upstream rejected request with header Authorization: ${request.headers.get("authorization") ?? ""}`));
      }
    }

    const token = parseToken(request.headers.get("authorization"));
    const known = token ? tokens.get(token.tokenId) : undefined;
    if (!token || !known || known.secret !== token.secret) {
      if (options.authFailureDelayMs) await Bun.sleep(options.authFailureDelayMs);
      return answer(new Response("", { status: 401, statusText: token ? "authentication failure" : "No ticket", headers: PVE_HEADERS }));
    }

    const check = checkRequest(method, rawPath, params);
    if (!check.ok) {
      record.status = check.status;
      rejections.push(record);
      return fail(check.status, check.message, check.status === 400 ? check.errors : undefined);
    }
    record.template = check.template;
    const handler = HANDLERS[`${method} ${check.template}`];
    if (!handler) return answer(fail(501, `Method '${method} ${check.template}' not implemented in the simulator`));
    const p = { ...params, ...check.pathParams };
    // The schema's permission check, before the handler runs (PVE's RESTHandler does the same).
    const denied = access.denied(known, method, check.template, p, cluster.real.legacyErrors ? renameForLegacy : undefined);
    if (denied) return answer(fail(403, denied));
    const ctx: HandlerContext = { cluster, tasks, p, user: known.id, token: known, access };
    try {
      const result = check.template === "/access/permissions" ? (known === main && options.permissions ? options.permissions : known.profile === "root" ? cluster.permissions : access.effective(known)) : handler(ctx);
      const body = result instanceof WithTotal ? { total: result.total, data: result.data } : { data: result ?? null };
      return answer(new Response(JSON.stringify(body), { status: 200, headers: PVE_HEADERS }));
    } catch (error) {
      if (error instanceof SimError) {
        // pveproxy waits for a dead node before it gives up with 595 (about 30 s on a real cluster).
        if (error.status === 595 && cluster.real.offlineDelayMs > 0) await Bun.sleep(cluster.real.offlineDelayMs);
        return answer(fail(error.status, error.message));
      }
      return answer(fail(500, error instanceof Error ? error.message : String(error)));
    }
  };

  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    // Bun closes idle connections after 10 s by default; a hung-node fault must outlast that.
    idleTimeout: 120,
    fetch: handle,
  });

  const direct = `http://${server.hostname}:${server.port}`;
  const front = cluster.real.legacyErrors ? reasonPhraseFront(direct, options.hostname ?? "127.0.0.1") : undefined;

  return {
    url: front?.url ?? direct,
    tokenId,
    tokenSecret,
    tokenFor: (p) => ({ tokenId: SIM_TOKENS[p].id, tokenSecret: SIM_TOKENS[p].secret }),
    state: cluster,
    tasks,
    requests,
    rejections,
    injectFault: (rule) => {
      faults.push({ ...rule });
    },
    clearFaults: () => {
      faults = [];
    },
    scriptNextTask: (script) => tasks.script(script),
    setNodeOnline: (node, online) => {
      const n = cluster.node(node);
      if (n) n.online = online;
    },
    resetLog: () => {
      requests.length = 0;
      rejections.length = 0;
    },
    stop: async () => {
      for (const release of hanging) release();
      hanging.clear();
      tasks.stop();
      front?.close();
      server.stop(true);
    },
  };
}
