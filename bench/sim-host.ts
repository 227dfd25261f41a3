// The simulator in its own process (a child of the bench, on loopback), so that it neither
// shares an event loop with the MCP client being timed nor makes the direct-fetch baseline
// cheaper than the server's own requests: both cross a process boundary to reach it.
// The parent talks to it over Bun's IPC: "requests", "resetLog", "stop".
import type { ClusterSpec } from "../src/sim/index.ts";

export interface SimRecord {
  method: string;
  path: string;
  params: Record<string, string | string[]>;
  status: number;
}

export interface SimHost {
  url: string;
  tokenId: string;
  tokenSecret: string;
  pid: number;
  startMs: number;
  /** What the simulator recorded since the last resetLog (rejections: failed the schema check). */
  log(): Promise<{ requests: SimRecord[]; rejections: number }>;
  resetLog(): Promise<void>;
  stop(): Promise<void>;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Parent side: spawns this file and waits until the simulator listens. */
export async function startSimHost(cluster?: ClusterSpec): Promise<SimHost> {
  const pending = new Map<number, (reply: Reply) => void>();
  let ready: (info: { url: string; tokenId: string; tokenSecret: string; startMs: number }) => void = () => {};
  const readyPromise = new Promise<{ url: string; tokenId: string; tokenSecret: string; startMs: number }>((resolve) => {
    ready = resolve;
  });
  const proc = Bun.spawn(["bun", new URL("./sim-host.ts", import.meta.url).pathname, JSON.stringify(cluster ?? null)], {
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
    ipc(message: { ready?: { url: string; tokenId: string; tokenSecret: string; startMs: number } } & Partial<Reply>) {
      if (message.ready) ready(message.ready);
      else if (typeof message.id === "number") pending.get(message.id)?.(message as Reply);
    },
  });
  const info = await Promise.race([readyPromise, proc.exited.then((code) => Promise.reject(new Error(`the simulator host exited (${code}) before listening`)))]);
  let next = 1;
  const ask = <T>(cmd: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, (reply) => {
        pending.delete(id);
        if (reply.ok) resolve(reply.value as T);
        else reject(new Error(reply.error));
      });
      proc.send({ id, cmd });
    });
  return {
    ...info,
    pid: proc.pid,
    log: () => ask("log"),
    resetLog: () => ask("resetLog"),
    stop: async () => {
      await ask("stop").catch(() => undefined);
      const done = await Promise.race([proc.exited, Bun.sleep(3000).then(() => "timeout" as const)]);
      if (done === "timeout") proc.kill();
    },
  };
}

// Child side.
if (import.meta.main) {
  const { startSimulator } = await import("../src/sim/index.ts");
  const spec = JSON.parse(process.argv[2] ?? "null") as ClusterSpec | null;
  const started = performance.now();
  const sim = startSimulator(spec ? { cluster: spec } : {});
  const startMs = Math.round(performance.now() - started);
  process.on("message", async (message: { id: number; cmd: string }) => {
    const reply = (value: unknown) => process.send?.({ id: message.id, ok: true, value });
    try {
      switch (message.cmd) {
        case "log":
          reply({ requests: sim.requests.map((r) => ({ method: r.method, path: r.path, params: r.params, status: r.status })), rejections: sim.rejections.length });
          break;
        case "resetLog":
          sim.resetLog();
          reply(null);
          break;
        case "stop":
          await sim.stop();
          reply(null);
          setTimeout(() => process.exit(0), 20);
          break;
        default:
          process.send?.({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
      }
    } catch (error) {
      process.send?.({ id: message.id, ok: false, error: String(error) });
    }
  });
  process.send?.({ ready: { url: sim.url, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret, startMs } });
}
