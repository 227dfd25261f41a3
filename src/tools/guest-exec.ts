// proxmox_guest_exec: run one command inside a guest. VMs through the QEMU guest agent
// (agent/exec, then agent/exec-status until it exits or the timeout); containers through
// `pct exec` on their node over SSH (src/pve/ssh.ts), as PVE's API has no container exec.
// The command is an argument vector, never a shell string; the output is capped and
// labelled as written inside the guest, so a model does not take it as instructions.
import * as v from "valibot";
import { SSH_VARIABLES } from "../config/exec.ts";
import { InputError, ProxmoxMcpError, RefusedError } from "../errors.ts";
import { guestOutput, pveText } from "../format/text.ts";
import type { Guest } from "../pve/resources.ts";
import { SshRefusal, sshPctExec } from "../pve/ssh.ts";
import { wholeNumber } from "./schemas.ts";
import { defineTool, type ToolContext } from "./types.ts";
import { describeGuest, guestTarget, planTarget, resolveWriteTarget } from "./writes.ts";

/** The most output kept per stream; the rest is counted and said. */
export const MAX_GUEST_OUTPUT = 64 * 1024;
const MAX_ARGS = 64;
const MAX_ARG_CHARS = 4096;

const CommandInput = v.pipe(
  v.union([v.string(), v.array(v.string())], "command must be a string or an array of strings"),
  v.description('The program and its arguments, e.g. ["systemctl", "status", "nginx"]. A string is split on whitespace; no shell runs it (no pipes, quotes or $VARS).'),
);

/** The argument vector: a string split on whitespace, never interpreted. */
export function argvOf(command: string | readonly string[]): string[] {
  const argv = typeof command === "string" ? command.trim().split(/\s+/).filter(Boolean) : [...command];
  if (argv.length === 0 || !argv[0]) throw new InputError("command is empty.", 'Give the program and its arguments, e.g. ["hostname"] or "df -h".');
  if (argv.length > MAX_ARGS) throw new InputError(`command has ${argv.length} arguments; at most ${MAX_ARGS}.`);
  for (const arg of argv) {
    if (arg.length > MAX_ARG_CHARS) throw new InputError(`a command argument is ${arg.length} characters long; at most ${MAX_ARG_CHARS}.`);
    if (arg.includes("\0")) throw new InputError("a command argument contains a NUL character, which no program can receive.");
  }
  return argv;
}

/** The bare name of the program: "/usr/bin/systemctl" → "systemctl". */
export function programName(argv: readonly string[]): string {
  return (argv[0] ?? "").split("/").pop() ?? "";
}

/** Output as structured data carries it: bounded, line breaks and tabs kept, other controls dropped. */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.toWellFormed().replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "");
}

const ExecOutput = v.object({
  vmid: v.number(),
  type: v.string(),
  node: v.string(),
  name: v.string(),
  command: v.array(v.string()),
  via: v.pipe(v.picklist(["qemu-agent", "ssh-pct-exec"]), v.description("How the command ran.")),
  state: v.pipe(v.picklist(["exited", "running"]), v.description("running: it outlived timeout_s and was left running (see pid); exited: see exitcode.")),
  exitcode: v.nullable(v.number()),
  signal: v.nullable(v.number()),
  pid: v.pipe(v.nullable(v.number()), v.description("The agent's process id for a VM command (query it again with a later call); null for containers.")),
  stdout: v.string(),
  stderr: v.string(),
  stdout_bytes: v.number(),
  stderr_bytes: v.number(),
  stdout_truncated: v.boolean(),
  stderr_truncated: v.boolean(),
  waited_s: v.number(),
});
type ExecData = v.InferOutput<typeof ExecOutput>;

interface ExecStatus {
  exited?: number | boolean;
  exitcode?: number;
  signal?: number;
  "out-data"?: string;
  "err-data"?: string;
  "out-truncated"?: number | boolean;
  "err-truncated"?: number | boolean;
}

/** The client's own cut of a string over 64 K characters ("…[+N chars]" at the end). */
const CLIENT_CUT = /…\[\+(\d+) chars\]$/;

function cut(text: string | undefined, agentTruncated: unknown): { text: string; bytes: number; truncated: boolean } {
  let raw = text ?? "";
  // A flood was already cut by the client (src/pve/client.ts): count what it dropped too.
  const clientCut = CLIENT_CUT.exec(raw);
  if (clientCut) raw = raw.slice(0, clientCut.index);
  const bytes = Buffer.byteLength(raw) + (clientCut ? Number(clientCut[1]) : 0);
  const kept = bytes > MAX_GUEST_OUTPUT ? Buffer.from(raw).subarray(0, MAX_GUEST_OUTPUT).toString("utf8").replace(/\ufffd$/, "") : raw;
  return { text: kept, bytes, truncated: clientCut !== null || bytes > MAX_GUEST_OUTPUT || agentTruncated === 1 || agentTruncated === true };
}

async function viaAgent(ctx: ToolContext, guest: Guest, argv: string[], timeoutS: number): Promise<ExecData> {
  const base = ["nodes", guest.node, "qemu", guest.vmid, "agent"] as const;
  const started = performance.now();
  const { pid } = await ctx.pve.post<{ pid: number }>([...base, "exec"], { command: argv }, { signal: ctx.signal });
  if (!Number.isInteger(pid)) throw new ProxmoxMcpError("bad_response", "The guest agent accepted the command but returned no process id; it may be running.", "Check inside the guest before running it again.");
  const deadline = started + timeoutS * 1000;
  let delay = 150;
  let status: ExecStatus = {};
  for (;;) {
    status = (await ctx.pve.get<ExecStatus>([...base, "exec-status"], { pid }, { signal: ctx.signal })) ?? {};
    if (status.exited === 1 || status.exited === true) break;
    const left = deadline - performance.now();
    if (left <= 0) break;
    // The last look is at the deadline itself, so a command is given its whole timeout.
    await Bun.sleep(Math.min(delay, left));
    delay = Math.min(1000, Math.round(delay * 1.5));
  }
  const exited = status.exited === 1 || status.exited === true;
  const out = cut(status["out-data"], status["out-truncated"]);
  const err = cut(status["err-data"], status["err-truncated"]);
  return {
    ...identity(guest, argv),
    via: "qemu-agent",
    state: exited ? "exited" : "running",
    exitcode: exited ? (status.exitcode ?? null) : null,
    signal: exited ? (status.signal ?? null) : null,
    pid,
    stdout: plain(out.text),
    stderr: plain(err.text),
    stdout_bytes: out.bytes,
    stderr_bytes: err.bytes,
    stdout_truncated: out.truncated,
    stderr_truncated: err.truncated,
    waited_s: Math.round((performance.now() - started) / 100) / 10,
  };
}

interface ClusterStatusNode {
  type: string;
  name: string;
  ip?: string;
}

async function viaSsh(ctx: ToolContext, guest: Guest, argv: string[], timeoutS: number): Promise<ExecData> {
  const ssh = ctx.config.exec?.ssh;
  if (!ssh) {
    throw new RefusedError(
      `Refused: ${describeGuest(guest)} is a container, and PVE's API cannot run commands in containers; this server runs \`pct exec\` on the node over SSH only when an admin configured it.`,
      `An admin sets ${SSH_VARIABLES} (a key that logs in to the nodes, and a known_hosts file with their host keys), then restarts the server; see README: Commands inside containers.`,
    );
  }
  let host = ssh.hosts[guest.node];
  if (!host) {
    const entries = (await ctx.pve.get<ClusterStatusNode[] | null>(["cluster", "status"], {}, { signal: ctx.signal })) ?? [];
    host = entries.find((e) => e.type === "node" && e.name === guest.node)?.ip;
    if (!host) throw new ProxmoxMcpError("not_found", `The cluster reports no address for node ${guest.node}.`, `Set PROXMOX_SSH_HOSTS=${guest.node}=<address>.`);
  }
  let run: Awaited<ReturnType<typeof sshPctExec>>;
  try {
    run = await sshPctExec({ config: ssh, node: guest.node, host, vmid: guest.vmid, argv, timeoutMs: timeoutS * 1000, capBytes: MAX_GUEST_OUTPUT, signal: ctx.signal });
  } catch (error) {
    if (error instanceof SshRefusal) {
      throw new RefusedError(`Refused: ${error.message}, so nothing was run.`, "If the node's key really changed (a reinstall), an admin updates PROXMOX_SSH_KNOWN_HOSTS after checking the new fingerprint on the node's console.");
    }
    throw new ProxmoxMcpError("network", error instanceof Error ? error.message : String(error), "Check that the node is reachable on the SSH port and that PROXMOX_SSH_USER may log in with PROXMOX_SSH_KEY_FILE.");
  }
  return {
    ...identity(guest, argv),
    via: "ssh-pct-exec",
    state: run.state === "timeout" ? "running" : "exited",
    exitcode: run.exitcode,
    signal: null,
    pid: null,
    stdout: plain(run.stdout),
    stderr: plain(run.stderr),
    stdout_bytes: run.stdoutBytes,
    stderr_bytes: run.stderrBytes,
    stdout_truncated: run.stdoutBytes > MAX_GUEST_OUTPUT,
    stderr_truncated: run.stderrBytes > MAX_GUEST_OUTPUT,
    waited_s: Math.round(run.waitedMs / 100) / 10,
  };
}

function identity(guest: Guest, argv: string[]) {
  return { vmid: guest.vmid, type: guest.type, node: guest.node, name: guest.name, command: argv };
}

function render(guest: Guest, data: ExecData): string {
  const shown = pveText(data.command.join(" "), 120);
  const where = describeGuest(guest);
  const lines: string[] = [];
  if (data.state === "running") {
    lines.push(
      data.pid !== null
        ? `\`${shown}\` in ${where} is STILL RUNNING after ${data.waited_s} s (agent pid ${data.pid}); it was not stopped and has not finished, so there is no exit code yet.`
        : `\`${shown}\` in ${where} is STILL RUNNING after ${data.waited_s} s as far as is known: the SSH session was closed at the timeout; the command was not killed and has not reported an exit code.`,
    );
  } else {
    lines.push(`\`${shown}\` in ${where} exited with code ${data.exitcode ?? "unknown"}${data.signal ? ` (signal ${data.signal})` : ""} after ${data.waited_s} s.`);
  }
  const label = `${data.via === "qemu-agent" ? "VM" : "CT"} ${guest.vmid}`;
  if (data.stdout_bytes === 0 && data.stderr_bytes === 0) lines.push(data.state === "running" ? "No output yet." : "No output.");
  if (data.stdout_bytes > 0) lines.push(guestOutput(`stdout of ${programName(data.command)} in ${label}${data.stdout_truncated && data.stdout_bytes <= MAX_GUEST_OUTPUT ? " (cut by the agent)" : ""}`, data.stdout, MAX_GUEST_OUTPUT));
  if (data.stderr_bytes > 0) lines.push(guestOutput(`stderr of ${programName(data.command)} in ${label}`, data.stderr, MAX_GUEST_OUTPUT));
  if (data.stdout_bytes > MAX_GUEST_OUTPUT) lines.push(`stdout: ${data.stdout_bytes - MAX_GUEST_OUTPUT} of ${data.stdout_bytes} bytes cut.`);
  if (data.stderr_bytes > MAX_GUEST_OUTPUT) lines.push(`stderr: ${data.stderr_bytes - MAX_GUEST_OUTPUT} of ${data.stderr_bytes} bytes cut.`);
  return lines.join("\n");
}

export const guestExec = defineTool({
  name: "proxmox_guest_exec",
  title: "Run a command in a guest",
  description:
    "Run one command inside a running guest and return its exit code, stdout and stderr (each cut at 64 KB, marked as guest output). VMs: through the QEMU guest agent. Containers: `pct exec` over SSH, when the admin configured it. No shell: pass the program and arguments. A command still running at timeout_s is left running and reported with its pid.",
  tier: 3,
  toolset: "guest",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: v.strictObject({
    ...guestTarget,
    command: CommandInput,
    timeout_s: v.optional(wholeNumber("timeout_s", 1, 300, "Seconds to wait for the command to finish (default 30, max 300)."), 30),
  }),
  output: ExecOutput,
  async handler(args, ctx) {
    const argv = argvOf(args.command);
    // Security: the admin's allowlist, on the program's bare name, before any request.
    const allow = ctx.config.exec?.allow;
    if (allow && !allow.includes(programName(argv))) {
      throw new RefusedError(`Refused: '${pveText(programName(argv), 60)}' is not in PROXMOX_EXEC_ALLOW (${allow.join(", ")}); nothing was run.`, "Use one of the allowed commands, or ask the admin to allow this one.");
    }
    const guest = await resolveWriteTarget(ctx, args);
    if (guest.status !== "running") throw new RefusedError(`${describeGuest(guest)} is ${guest.status}; a command can only run in a running guest.`, "Start it with proxmox_start_resource first.");
    // The plan a person approves (and a dry run answers) before anything runs in the guest.
    const shown = argv.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
    await ctx.approve({
      action: `Run ${pveText(shown, 200)} in ${describeGuest(guest)}`,
      target: planTarget(guest),
      details: [
        guest.type === "qemu" ? "through the QEMU guest agent, as the agent's user (usually root)" : `through \`pct exec\` on node ${guest.node} over SSH as ${ctx.config.exec?.ssh?.user ?? "?"}`,
        `no shell: ${argv.length} argument${argv.length === 1 ? "" : "s"}, passed as they are`,
        `waits up to ${args.timeout_s} s; a longer command keeps running`,
      ],
      irreversible: "whatever the command changes inside the guest",
      requests: guest.type === "qemu" ? [{ method: "POST", segments: ["nodes", guest.node, "qemu", guest.vmid, "agent", "exec"], params: { command: argv } }] : [],
    });
    const data = guest.type === "qemu" ? await viaAgent(ctx, guest, argv, args.timeout_s) : await viaSsh(ctx, guest, argv, args.timeout_s);
    return { text: render(guest, data), data, links: [{ path: `guests/${guest.vmid}`, name: `${guest.name || guest.vmid} (${guest.vmid})` }] };
  },
});
