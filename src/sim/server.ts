// The simulated PVE API on Bun.serve: PVE's auth, envelope, status lines and error
// bodies; every request checked against the official schema first; faults on demand.
import { type ClusterSpec, demoCluster, generatedCluster, type SimCluster } from "./cluster.ts";
import { EXTRA_HANDLERS } from "./handlers/api-extras.ts";
import { type HandlerContext, SimError, WithTotal } from "./handlers/common.ts";
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

const HANDLERS = { ...READ_HANDLERS, ...WRITE_HANDLERS, ...EXTRA_HANDLERS };
const PVE_HEADERS = { "Content-Type": "application/json;charset=UTF-8", Server: "pve-api-daemon/3.0", "Cache-Control": "max-age=0", Pragma: "no-cache" };
const PREFIX = "/api2/json";

/** PVE's status line carries the first line of the message. */
function errorResponse(status: number, message: string, errors?: Record<string, string>): Response {
  const body = JSON.stringify({ data: null, message: `${message}\n`, ...(errors ? { errors } : {}) });
  return new Response(body, { status, statusText: message.split("\n")[0]?.slice(0, 200), headers: PVE_HEADERS });
}

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
  const tokenId = options.tokenId ?? "root@pam!mcp";
  const tokenSecret = options.tokenSecret ?? "5f3c1a2e-8b7d-4c6e-9a1f-0d2b4e6c8a10";
  const cluster = options.cluster ? generatedCluster(options.cluster) : demoCluster();
  if (options.permissions) cluster.permissions = options.permissions;
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
          return answer(errorResponse(fault.status, fault.message ?? `simulated error ${fault.status}`));
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
          return answer(errorResponse(fault.status ?? 500, `upstream rejected request with header Authorization: ${request.headers.get("authorization") ?? ""}`));
      }
    }

    const token = parseToken(request.headers.get("authorization"));
    if (!token || token.tokenId !== tokenId || token.secret !== tokenSecret) {
      if (options.authFailureDelayMs) await Bun.sleep(options.authFailureDelayMs);
      return answer(new Response("", { status: 401, statusText: token ? "authentication failure" : "No ticket", headers: PVE_HEADERS }));
    }

    const check = checkRequest(method, rawPath, params);
    if (!check.ok) {
      record.status = check.status;
      rejections.push(record);
      return errorResponse(check.status, check.message, check.status === 400 ? check.errors : undefined);
    }
    record.template = check.template;
    const handler = HANDLERS[`${method} ${check.template}`];
    if (!handler) return answer(errorResponse(501, `Method '${method} ${check.template}' not implemented in the simulator`));
    const ctx: HandlerContext = { cluster, tasks, p: { ...params, ...check.pathParams }, user: tokenId };
    try {
      const result = handler(ctx);
      const body = result instanceof WithTotal ? { total: result.total, data: result.data } : { data: result ?? null };
      return answer(new Response(JSON.stringify(body), { status: 200, headers: PVE_HEADERS }));
    } catch (error) {
      if (error instanceof SimError) return answer(errorResponse(error.status, error.message));
      return answer(errorResponse(500, error instanceof Error ? error.message : String(error)));
    }
  };

  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    // Bun closes idle connections after 10 s by default; a hung-node fault must outlast that.
    idleTimeout: 120,
    fetch: handle,
  });

  return {
    url: `http://${server.hostname}:${server.port}`,
    tokenId,
    tokenSecret,
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
      server.stop(true);
    },
  };
}
