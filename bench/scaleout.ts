// `bun run bench:scaleout` (after `bun scripts/build.ts`): statelessness under load on real
// parts. Several `proxmox-mcp serve --http` processes on loopback behind nginx (Debian's
// package), driven by a bounded load generator: the SDK's Streamable HTTP client, half the
// clients in the 2025-11-25 era and half in 2026-07-28, every answer checked against what
// was asked. Then a replica is killed mid-run: only the calls in flight on it may fail.
// Writes bench/results/scaleout-run.{md,json} (untracked); `--update` writes the committed
// bench/results/scaleout.{md,json} the README quotes; `--quick` a smoke run to scaleout-quick.
// Not a test: figures depend on the machine.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envFor } from "../test/helpers/mcp.ts";
import { httpClient } from "../test/helpers/http-serve.ts";
import { BINARY, machine, percentile, ROOT, round } from "./lib.ts";
import { startSimHost } from "./sim-host.ts";

const QUICK = process.argv.includes("--quick");
const REPLICAS = [1, 2, 3];
const CLIENTS = 16; // concurrent MCP clients: 8 per protocol era
const CALLS = QUICK ? 240 : 1200; // per run, bounded
const KILL_AT = 0.4; // fraction of calls done when a replica is killed
const REPEATS = QUICK ? 1 : 3; // runs per replica count; the report shows the median by throughput
const WARMUP = 3; // unmeasured calls per client first, so JIT warm-up is not in the figures
const TOKEN = "b7e3f0a91c2d4e5f8a6b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";
const VMIDS = [100, 101, 102, 103, 104, 105];

const started = performance.now();
const log = (message: string) => process.stderr.write(`[scaleout ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

const nginx = spawnSync("sh", ["-c", "command -v nginx || ls /usr/sbin/nginx"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
if (!nginx) {
  console.error("nginx is not installed: apt-get install -y nginx (Debian's package); the benchmark puts it in front of the replicas.");
  process.exit(1);
}

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

interface Replica {
  port: number;
  proc: ReturnType<typeof Bun.spawn>;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const proc = Bun.spawn([BINARY, "serve", "--http", `127.0.0.1:${port}`], { env, stdout: "ignore", stderr: "inherit", stdin: "ignore" });
  for (let i = 0; ; i++) {
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 200) throw new Error(`replica on port ${port} did not start`);
    await Bun.sleep(25);
  }
  return { port, proc };
}

async function startNginx(replicas: Replica[]): Promise<{ url: string; stop: () => Promise<void>; accessLog: string }> {
  const prefix = join(tmpdir(), `pmcp-nginx-${process.pid}-${replicas.length}`);
  for (const dir of ["", "body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(prefix, dir), { recursive: true, mode: 0o777 });
  const port = await freePort();
  const accessLog = join(prefix, "access.log");
  const conf = `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  log_format up '$upstream_addr $status $upstream_status $request_time';
  access_log ${accessLog} up;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream mcp {
${replicas.map((r) => `    server 127.0.0.1:${r.port} max_fails=1 fail_timeout=30s;`).join("\n")}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 300s;
      # A replica that refuses the connection is skipped; a request it already took is not
      # replayed (POST is not idempotent), so it fails: exactly the in-flight cost.
      proxy_next_upstream error timeout;
    }
  }
}
`;
  writeFileSync(join(prefix, "nginx.conf"), conf);
  const proc = Bun.spawn([nginx as string, "-p", prefix, "-c", join(prefix, "nginx.conf")], { stdout: "ignore", stderr: "pipe" });
  const url = `http://127.0.0.1:${port}/mcp`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url.replace(/\/mcp$/, "/healthz")).then((r) => r.ok, () => false);
    if (ok) break;
    await Bun.sleep(50);
  }
  return {
    url,
    accessLog,
    stop: async () => {
      proc.kill();
      await proc.exited;
    },
  };
}

interface RunResult {
  replicas: number;
  killed: boolean;
  calls: number;
  ok: number;
  failed: number;
  wrong: number;
  inFlightAtKill?: number;
  /** Requests nginx logged as failed (502) on the killed replica. */
  failedOnKilled?: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  /** Requests each replica answered (from nginx's access log). */
  perReplica: number[];
  eras: { legacy: number; modern: number };
}

async function run(env: Record<string, string>, count: number, kill: boolean): Promise<RunResult> {
  const replicas = await Promise.all(Array.from({ length: count }, () => startReplica(env)));
  const lb = await startNginx(replicas);
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let inFlight = 0;
  let failed = 0;
  let wrong = 0;
  let inFlightAtKill: number | undefined;
  const eras = { legacy: 0, modern: 0 };
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => httpClient(lb.url, { token: TOKEN, era: i % 2 ? "modern" : "legacy" }).then((client) => ({ client, era: i % 2 ? ("modern" as const) : ("legacy" as const) }))));
  await Promise.all(clients.map(async ({ client }) => {
    for (let i = 0; i < WARMUP; i++) await client.callTool({ name: "proxmox_get_resource", arguments: { vmid: 100 } });
  }));
  const t0 = performance.now();
  await Promise.all(
    clients.map(async ({ client, era }) => {
      while (next < CALLS) {
        const n = next++;
        const vmid = VMIDS[n % VMIDS.length] as number;
        inFlight++;
        const start = performance.now();
        try {
          const result = (await client.callTool({ name: "proxmox_get_resource", arguments: { vmid } })) as { isError?: boolean; structuredContent?: { vmid?: number } };
          latencies.push(performance.now() - start);
          // Stateless means no answer can belong to another request.
          if (result.isError || result.structuredContent?.vmid !== vmid) wrong++;
          eras[era]++;
        } catch {
          failed++;
        } finally {
          inFlight--;
          done++;
        }
        if (kill && inFlightAtKill === undefined && done >= CALLS * KILL_AT) {
          inFlightAtKill = inFlight;
          (replicas[0] as Replica).proc.kill("SIGKILL");
          log(`killed replica on port ${(replicas[0] as Replica).port} with ${inFlight} call(s) in flight`);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map(({ client }) => client.close().catch(() => {})));
  await lb.stop();
  for (const r of replicas) r.proc.kill();
  await Promise.all(replicas.map((r) => r.proc.exited));
  const entries = readFileSync(lb.accessLog, "utf8").trim().split("\n").map((l) => l.split(" "));
  const on = (port: number) => entries.filter(([upstream]) => (upstream ?? "").split(",").some((part) => part.trim().endsWith(`:${port}`)));
  const perReplica = replicas.map((r) => on(r.port).length);
  const failedOnKilled = kill ? on((replicas[0] as Replica).port).filter(([, status]) => status === "502").length : undefined;
  const ok = latencies.length - wrong;
  return { replicas: count, killed: kill, calls: CALLS, ok, failed, wrong, inFlightAtKill, failedOnKilled, seconds: round(seconds, 2), throughput: round(latencies.length / seconds, 1), p50: round(percentile(latencies, 0.5), 2), p99: round(percentile(latencies, 0.99), 2), perReplica, eras };
}

const info = machine();
log(`${QUICK ? "quick" : "full"} run on ${info.nproc} CPUs (${info.cpuModel}); ${CLIENTS} clients, ${CALLS} calls per run`);
const sim = await startSimHost();
const results: RunResult[] = [];
try {
  const env = envFor(sim, { PROXMOX_MCP_HTTP_TOKEN: TOKEN, PROXMOX_LOG_LEVEL: "warn" });
  for (const count of REPLICAS) {
    const runs: RunResult[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await run(env, count, false));
    const result = runs.sort((a, b) => a.throughput - b.throughput)[Math.floor(runs.length / 2)] as RunResult;
    log(`${count} replica(s): ${result.throughput} calls/s, p50 ${result.p50} ms, p99 ${result.p99} ms, failed ${result.failed}, wrong ${result.wrong}, per replica ${result.perReplica.join("/")}`);
    results.push(result);
  }
  const killed = await run(env, REPLICAS.at(-1) as number, true);
  log(`${killed.replicas} replicas, one killed: ${killed.ok}/${killed.calls} ok, failed ${killed.failed} (in flight at the kill: ${killed.inFlightAtKill}), wrong ${killed.wrong}`);
  results.push(killed);
} finally {
  await sim.stop();
}

const rows = results.map((r) => `| ${r.replicas}${r.killed ? ", one killed at 40%" : ""} | ${r.ok}/${r.calls} | ${r.failed}${r.killed ? ` (in flight at the kill: ${r.inFlightAtKill} across all replicas; nginx logged ${r.failedOnKilled} failed on the killed one)` : ""} | ${r.wrong} | ${r.throughput} | ${r.p50} | ${r.p99} | ${r.perReplica.join(" / ")} |`);
const md = `# Scale-out behind nginx

\`bun run bench:scaleout\` — ${new Date().toISOString().slice(0, 10)}, ${info.nproc} CPUs (${info.cpuModel}), Bun ${info.bun}, ${spawnSync(nginx as string, ["-v"], { encoding: "utf8" }).stderr.trim()}.

${CLIENTS} MCP clients over the SDK's Streamable HTTP client (8 in the 2025-11-25 era, 8 in 2026-07-28), ${CALLS} \`proxmox_get_resource\` calls per run through nginx (round robin, keep-alive) to N \`serve --http\` replicas on loopback, against one simulator process. Every answer is checked: it must be for the vmid that call asked about ("wrong" counts any that was not). Each client first makes ${WARMUP} unmeasured calls; each replica count runs ${REPEATS} time(s) and the median run by throughput is shown. In the last run one replica is SIGKILLed when 40% of the calls are done.

| replicas | answered correctly | failed | wrong | calls/s | p50 ms | p99 ms | requests per replica (nginx log) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Calls per era in every run: ${results.map((r) => `${r.eras.legacy}+${r.eras.modern}`).join(", ")} (legacy+modern). A 2025-11-25 session's \`initialize\` and its later calls land on different replicas: nothing is kept between requests. On a machine whose cores are shared (this one: ${info.nproc}, with the simulator, nginx and the load generator on the same cores) more replicas cannot add throughput; the point here is that every call is answered by whichever replica gets it, and that losing a replica costs only what was in flight on it.
`;
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
const base = `bench/results/scaleout${QUICK ? "-quick" : process.argv.includes("--update") ? "" : "-run"}`;
writeFileSync(join(ROOT, `${base}.md`), md);
writeFileSync(join(ROOT, `${base}.json`), `${JSON.stringify({ machine: info, clients: CLIENTS, calls: CALLS, results }, null, 2)}\n`);
log(`wrote ${base}.md`);
process.stdout.write(md);
