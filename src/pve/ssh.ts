// The one way this server runs anything over SSH: `pct exec` on a container's node, for
// proxmox_guest_exec (PVE's API has no container exec). Through the system's OpenSSH client,
// spawned with an argument vector (no local shell), with strict host-key checking against
// the admin's known_hosts file only: never trust on first use, never a key learnt on the way.
import type { SshConfig } from "../config/exec.ts";

export interface SshRun {
  state: "exited" | "timeout";
  exitcode: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  waitedMs: number;
}

export class SshRefusal extends Error {}

/**
 * One argument for the remote shell, single-quoted: ssh hands the server one string, and
 * quoting every argument this way is what makes the remote side see exactly this vector.
 */
export function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** `pct exec <vmid> -- <argv…>`, every argument quoted. */
export function pctExecCommand(vmid: number, argv: readonly string[]): string {
  return ["pct", "exec", String(vmid), "--", ...argv.map(shellQuote)].join(" ");
}

/** The ssh argument vector: every option that decides trust is set here, none comes from a config file. */
export function sshArgs(config: SshConfig, node: string, host: string, remote: string): string[] {
  return [
    "-F",
    "/dev/null",
    "-T",
    "-p",
    String(config.port),
    "-l",
    config.user,
    "-i",
    config.keyFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    // Security: the node's key must already be in the admin's file, under the node's name.
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${config.knownHosts}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    `HostKeyAlias=${node}`,
    "-o",
    "UpdateHostKeys=no",
    "-o",
    "CheckHostIP=no",
    "-o",
    "PasswordAuthentication=no",
    "-o",
    "KbdInteractiveAuthentication=no",
    "-o",
    "ForwardAgent=no",
    "-o",
    "ForwardX11=no",
    "-o",
    "ClearAllForwardings=yes",
    "-o",
    "PermitLocalCommand=no",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
    "--",
    host,
    remote,
  ];
}

const HOST_KEY_FAILURE = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No (ED25519|RSA|ECDSA)? ?host key is known|host key for .* has changed/i;

/** Reads a stream to its end, keeping at most `cap` bytes and counting all of them. */
async function capped(stream: ReadableStream<Uint8Array>, cap: number): Promise<{ text: string; bytes: number }> {
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    if (keptBytes < cap) {
      const part = chunk.subarray(0, cap - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
  }
  return { text: Buffer.concat(kept).toString("utf8"), bytes };
}

/**
 * Runs `pct exec` for the container on its node. A host key that does not match refuses
 * (SshRefusal) — ssh checks it before it sends the command, so nothing ran.
 */
export async function sshPctExec(opts: { config: SshConfig; node: string; host: string; vmid: number; argv: readonly string[]; timeoutMs: number; capBytes: number; signal?: AbortSignal }): Promise<SshRun> {
  const started = performance.now();
  const proc = Bun.spawn(["ssh", ...sshArgs(opts.config, opts.node, opts.host, pctExecCommand(opts.vmid, opts.argv))], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    // No agent, no user config from the server's environment: only what sshArgs says.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/" },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGTERM");
  }, opts.timeoutMs);
  const onAbort = () => proc.kill("SIGTERM");
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const [out, err, code] = await Promise.all([capped(proc.stdout, opts.capBytes), capped(proc.stderr, opts.capBytes), proc.exited]);
    const waitedMs = Math.round(performance.now() - started);
    if (timedOut) return { state: "timeout", exitcode: null, stdout: out.text, stderr: err.text, stdoutBytes: out.bytes, stderrBytes: err.bytes, waitedMs };
    if (code === 255 && HOST_KEY_FAILURE.test(err.text)) {
      throw new SshRefusal(`the host key node ${opts.node} (${opts.host}:${opts.config.port}) presented is not the one PROXMOX_SSH_KNOWN_HOSTS holds for '${opts.node}'`);
    }
    if (code === 255 && out.bytes === 0) {
      throw new Error(`ssh to node ${opts.node} (${opts.host}:${opts.config.port}) failed: ${err.text.trim().split("\n").at(-1)?.slice(0, 200) || "exit 255"}`);
    }
    return { state: "exited", exitcode: code, stdout: out.text, stderr: err.text, stdoutBytes: out.bytes, stderrBytes: err.bytes, waitedMs };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
