// Worker tasks as PVE runs them: a UPID at once, "running" for a while, then "stopped"
// with exitstatus OK or an error, a log ending in TASK OK / TASK ERROR, and the state
// change applied only when the task succeeds.

export interface SimTask {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  endtime?: number;
  exitstatus?: string;
  log: string[];
}

export interface TaskScript {
  type?: string;
  outcome: "ok" | "error";
  error?: string;
  durationMs?: number;
  logLines?: string[];
}

export interface StartTask {
  node: string;
  type: string;
  id: string;
  user: string;
  log: string[];
  /** Applied when the task ends successfully. */
  apply?: () => void;
  /** This task's own length (default: the runner's). */
  durationMs?: number;
  /** The worker dies with this error (PVE checks that run inside the worker, e.g. resize's size check). */
  error?: string;
}

const hex = (n: number, width = 8) => n.toString(16).toUpperCase().padStart(width, "0");

export function formatUpid(t: Pick<SimTask, "node" | "pid" | "pstart" | "starttime" | "type" | "id" | "user">): string {
  return `UPID:${t.node}:${hex(t.pid)}:${hex(t.pstart)}:${hex(t.starttime)}:${t.type}:${t.id}:${t.user}:`;
}

export class TaskRunner {
  readonly tasks: SimTask[] = [];
  private scripts: TaskScript[] = [];
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private running = new Map<string, ReturnType<typeof setTimeout>>();
  private pid = 0x1000;

  constructor(private readonly durationMs: number) {}

  script(script: TaskScript): void {
    this.scripts.push(script);
  }

  byUpid(upid: string): SimTask | undefined {
    return this.tasks.find((t) => t.upid === upid);
  }

  /** A finished task in the history (seeded tasks). */
  record(task: Omit<SimTask, "upid" | "pid" | "pstart">): SimTask {
    const full = { ...task, pid: this.pid++, pstart: 0x165a0ce4 } as SimTask;
    full.upid = formatUpid(full);
    this.tasks.push(full);
    return full;
  }

  start(spec: StartTask): string {
    const index = this.scripts.findIndex((s) => !s.type || s.type === spec.type);
    const script = index >= 0 ? this.scripts.splice(index, 1)[0] : undefined;
    const now = Math.floor(Date.now() / 1000);
    const task: SimTask = { upid: "", node: spec.node, pid: this.pid++, pstart: 0x165a0ce4 + (this.pid % 1000), starttime: now, type: spec.type, id: spec.id, user: spec.user, log: [...(script?.logLines ?? spec.log)] };
    task.upid = formatUpid(task);
    this.tasks.push(task);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.running.delete(task.upid);
      task.endtime = Math.floor(Date.now() / 1000);
      if (script?.outcome === "error" || spec.error) {
        const error = script?.outcome === "error" ? (script.error ?? "command failed: exit code 1") : (spec.error as string);
        task.exitstatus = error;
        task.log.push(`TASK ERROR: ${error}`);
      } else {
        spec.apply?.();
        task.exitstatus = "OK";
        task.log.push("TASK OK");
      }
    }, script?.durationMs ?? spec.durationMs ?? this.durationMs);
    this.timers.add(timer);
    this.running.set(task.upid, timer);
    return task.upid;
  }

  /**
   * DELETE /nodes/{node}/tasks/{upid}: PVE signals the worker, which ends at once with
   * exitstatus "interrupted by signal" (samples/…-stopped-interrupted.json) and without
   * its change. A task that already ended is left as it was.
   */
  kill(upid: string): void {
    const timer = this.running.get(upid);
    const task = this.byUpid(upid);
    if (!timer || !task) return;
    clearTimeout(timer);
    this.timers.delete(timer);
    this.running.delete(upid);
    task.endtime = Math.floor(Date.now() / 1000);
    task.exitstatus = "interrupted by signal";
    task.log.push("received interrupt", "TASK ERROR: interrupted by signal");
  }

  /** A timer of the simulated cluster's own (an HA manager acting later), cleared by stop(). */
  track(timer: ReturnType<typeof setTimeout>): void {
    this.timers.add(timer);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** A few weeks of history per node: backups, starts, updates; some failed. */
export function seedHistory(runner: TaskRunner, nodes: string[], guests: { vmid: number; type: string; node: string; name: string }[], now: number): void {
  const user = "root@pam";
  let t = now - 5 * 86400;
  for (const node of nodes) {
    const mine = guests.filter((g) => g.node === node);
    for (let day = 4; day >= 1; day--) {
      const start = now - day * 86400 - 3 * 3600;
      const ok = !(node === "pve2" && day === 1);
      runner.record({
        node,
        starttime: start,
        endtime: start + 420,
        type: "vzdump",
        id: "",
        user,
        exitstatus: ok ? "OK" : "job errors",
        log: [
          `INFO: starting new backup job: vzdump --mode snapshot --storage nas-backup --all 1 --compress zstd`,
          ...mine.slice(0, 3).flatMap((g) => [`INFO: Starting Backup of VM ${g.vmid} (${g.type})`, `INFO: Finished Backup of VM ${g.vmid} (00:01:12)`]),
          ...(ok ? [] : [`ERROR: Backup of VM ${mine[0]?.vmid ?? 100} failed - unable to open file - No space left on device`]),
          ok ? "INFO: Backup job finished successfully" : "INFO: Backup job finished with errors",
          ok ? "TASK OK" : "TASK ERROR: job errors",
        ],
      });
    }
    runner.record({ node, starttime: now - 2 * 86400, endtime: now - 2 * 86400 + 35, type: "aptupdate", id: "", user, exitstatus: "OK", log: ["starting apt-get update", "Reading package lists...", "TASK OK"] });
    for (const g of mine.slice(0, 2)) {
      t += 3600;
      const type = g.type === "qemu" ? "qmstart" : "vzstart";
      runner.record({ node, starttime: now - 86400 + (t % 3600), endtime: now - 86400 + (t % 3600) + 3, type, id: String(g.vmid), user, exitstatus: "OK", log: [`starting ${g.name}`, "TASK OK"] });
    }
  }
  const failing = guests.find((g) => g.type === "lxc" && g.node === nodes[1]);
  if (failing) {
    runner.record({
      node: failing.node,
      starttime: now - 5 * 3600,
      endtime: now - 5 * 3600 + 4,
      type: "vzstart",
      id: String(failing.vmid),
      user,
      exitstatus: `startup for container '${failing.vmid}' failed`,
      log: [`run_buffer: 571 Script exited with status 1`, `lxc_init: 845 Failed to run lxc.hook.pre-start for container "${failing.vmid}"`, `TASK ERROR: startup for container '${failing.vmid}' failed`],
    });
  }
}
