// The container image and the Kubernetes manifests: checked structurally (the YAML parsed,
// not grepped), and the image built with Debian's podman or buildah when the machine has one.
// A build that this machine's sandbox forbids is skipped with the reason, never passed.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { IMAGE_USER, stageContainer } from "../../scripts/container.ts";
import { BINARY, ROOT } from "../helpers/harness.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";
import { VERSION } from "../../src/version.ts";

afterAll(() => {
  removeScratchDirs();
  // The test image is 120 MB in vfs storage: leave none behind.
  if (built.ok && builder) spawnSync(builder, ["--storage-driver", "vfs", "rmi", "-f", TAG], { stdio: "ignore" });
});

type Doc = Record<string, any>;
const K8S = join(ROOT, "deploy/kubernetes");
const docs: Doc[] = readdirSync(K8S)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) => parseAllDocuments(readFileSync(join(K8S, f), "utf8")).map((d) => ({ ...(d.toJS() as Doc), __file: f })));
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const deployment = byKind("Deployment")[0] as Doc;
const pod = deployment?.spec?.template?.spec as Doc;
const container = pod?.containers?.[0] as Doc;

describe("Containerfile", () => {
  const lines = readFileSync(join(ROOT, "Containerfile"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#"));
  const instruction = (name: string) => lines.filter((l) => l.toUpperCase().startsWith(`${name} `));

  test("starts from an empty base and runs nothing at build time (no shell, no package manager in the image)", () => {
    expect(instruction("FROM")).toEqual(["FROM scratch"]);
    expect(instruction("RUN")).toEqual([]);
  });

  test("runs as an unprivileged user, serving HTTP", () => {
    const user = instruction("USER")[0]?.split(/\s+/)[1] ?? "";
    expect(user).toBe(`${IMAGE_USER.uid}:${IMAGE_USER.gid}`);
    expect(JSON.parse(instruction("ENTRYPOINT")[0]?.slice("ENTRYPOINT ".length) ?? "[]")).toEqual(["/usr/local/bin/proxmox-mcp"]);
    expect(JSON.parse(instruction("CMD")[0]?.slice("CMD ".length) ?? "[]")).toEqual(["serve", "--http", "0.0.0.0:8080"]);
  });

  test("the staged root filesystem holds the binary, its libraries, CA certificates and the user, and nothing that can run a shell", () => {
    const { rootfs, files } = stageContainer(BINARY, scratchDir("container"));
    expect(files).toContain("/usr/local/bin/proxmox-mcp");
    expect(files.some((f) => /ld-linux|ld-musl/.test(f))).toBe(true);
    expect(readFileSync(join(rootfs, "etc/passwd"), "utf8")).toContain(`:${IMAGE_USER.uid}:${IMAGE_USER.gid}:`);
    expect(files.filter((f) => /\/(sh|bash|busybox|apt|dpkg)$/.test(f))).toEqual([]);
  });
});

// What a container runtime gives the image, without one: the staged root filesystem mounted
// read-only with /proc and /dev, entered with chroot as the unprivileged user.
const probeRoot = scratchDir("container-rootfs");
stageContainer(BINARY, probeRoot);
const ROOTFS = join(probeRoot, "rootfs");
const jail = (command: string) => [
  "unshare", "-m", "-p", "-f", "--kill-child", "sh", "-c",
  `R=${ROOTFS}; mount --bind $R $R && mount -t proc proc $R/proc && mount --rbind /dev $R/dev && mount -o remount,bind,ro $R && exec chroot --userspec=${IMAGE_USER.uid}:${IMAGE_USER.gid} $R ${command}`,
];
const jailProbe = spawnSync(jail("/usr/local/bin/proxmox-mcp --version")[0] as string, jail("/usr/local/bin/proxmox-mcp --version").slice(1), { encoding: "utf8", timeout: 30_000 });
const jailReason = jailProbe.status === 0 ? "" : `mount namespaces are not allowed here: ${(jailProbe.stderr || jailProbe.error?.message || "").trim().split("\n").at(-1)?.slice(0, 200)}`;
if (jailReason) console.log(`read-only root filesystem run skipped: ${jailReason}`);

describe("the image's root filesystem, read-only (skipped with the reason where mount namespaces are not allowed)", () => {
  test.skipIf(jailReason !== "")("the binary runs from it as the unprivileged user", () => {
    expect(jailProbe.stdout.trim()).toBe(VERSION);
  });

  test.skipIf(jailReason !== "")("serve --http answers /healthz from it, with nothing writable", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const command = jail(`/usr/local/bin/proxmox-mcp serve --http 127.0.0.1:${port}`);
    const proc = Bun.spawn(command, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", PROXMOX_URL: "https://127.0.0.1:1", PROXMOX_TOKEN_ID: "root@pam!mcp", PROXMOX_TOKEN_SECRET: "00000000-0000-0000-0000-000000000000" }, stdout: "ignore", stderr: "ignore" });
    try {
      let health: Response | undefined;
      for (let i = 0; i < 50 && !health; i++) {
        await Bun.sleep(100);
        health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
      }
      expect(health ? "" : "no answer from /healthz").toBe("");
      expect(health?.status).toBe(200);
      expect(((await health?.json()) as { status: string }).status).toBe("ok");
    } finally {
      // unshare ignores SIGTERM while it waits, and the server's death signal is cleared when
      // chroot changes its user: stop the server itself (unshare's child), then unshare.
      const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      for (const child of children) process.kill(Number(child), "SIGKILL");
      await proc.exited;
    }
  }, 20_000);
});

describe("Kubernetes manifests", () => {
  test("a Deployment of several replicas, a Service and a Secret, all listed in the kustomization", () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(byKind("Service")).toHaveLength(1);
    expect(byKind("Secret")).toHaveLength(1);
    const listed = (byKind("Kustomization")[0] as Doc).resources as string[];
    expect(listed.sort()).toEqual(docs.filter((d) => d.kind !== "Kustomization").map((d) => d.__file).sort());
  });

  test("readiness and liveness on /healthz of the container's port", () => {
    const port = container.ports[0];
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.path).toBe("/healthz");
      expect([port.name, port.containerPort]).toContain(probe.httpGet.port);
    }
    expect(container.args).toEqual(["serve", "--http", `0.0.0.0:${port.containerPort}`]);
  });

  test("resource requests and limits for CPU and memory", () => {
    for (const part of ["requests", "limits"]) {
      expect(container.resources[part].cpu).toBeDefined();
      expect(container.resources[part].memory).toBeDefined();
    }
  });

  test("locked down: non-root, read-only root filesystem, no capabilities, no escalation, no service-account token", () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(IMAGE_USER.uid);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } });
  });

  test("every secret reaches the server as a file from the Secret, never as a literal in the Deployment", () => {
    const env = Object.fromEntries((container.env as Doc[]).map((e) => [e.name, e.value]));
    for (const name of ["PROXMOX_TOKEN_SECRET", "PROXMOX_MCP_HTTP_TOKEN", "PROXMOX_AUDIT_KEY"]) expect(env[name]).toBeUndefined();
    const secret = byKind("Secret")[0] as Doc;
    const volume = (pod.volumes as Doc[]).find((v) => v.secret?.secretName === secret.metadata.name) as Doc;
    const mount = (container.volumeMounts as Doc[]).find((m) => m.name === volume.name) as Doc;
    expect(mount.readOnly).toBe(true);
    for (const name of ["PROXMOX_TOKEN_SECRET_FILE", "PROXMOX_MCP_HTTP_TOKEN_FILE", "PROXMOX_AUDIT_KEY_FILE"]) {
      const path = env[name] as string;
      expect(path.startsWith(`${mount.mountPath}/`)).toBe(true);
      expect(Object.keys(secret.stringData)).toContain(path.slice(mount.mountPath.length + 1));
    }
    // Group-readable by the server's own group only (fsGroup), never by others.
    expect(volume.secret.defaultMode & 0o007).toBe(0);
    expect(pod.securityContext.fsGroup).toBe(IMAGE_USER.gid);
  });

  test("the Service selects the Deployment's pods and targets the named port", () => {
    const service = byKind("Service")[0] as Doc;
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(container.ports.map((p: Doc) => p.name)).toContain(service.spec.ports[0].targetPort);
  });
});

// The build, when this machine has a builder. Done once here, so the tests below can skip with the reason.
const builder = ["podman", "buildah"].find((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0);
// One tag per run, removed afterwards: a reused tag would leave the previous image dangling.
const TAG = `localhost/proxmox-mcp-test:run-${process.pid}`;
let built: { ok: boolean; reason: string } = { ok: false, reason: "neither podman nor buildah is installed (apt-get install -y podman buildah)" };
if (builder && existsSync(BINARY)) {
  const context = scratchDir("container-build");
  stageContainer(BINARY, context);
  // vfs and chroot isolation: no overlay mounts or user namespaces needed, which sandboxes often forbid.
  const args = builder === "podman" ? ["--storage-driver", "vfs", "build", "--isolation", "chroot", "-t", TAG, "-f", join(ROOT, "Containerfile"), context] : ["--storage-driver", "vfs", "build", "--isolation", "chroot", "-t", TAG, "-f", join(ROOT, "Containerfile"), context];
  const run = spawnSync(builder, args, { encoding: "utf8", timeout: 240_000 });
  built = run.status === 0 ? { ok: true, reason: "" } : { ok: false, reason: `${builder} build failed here: ${(run.stderr || run.error?.message || "").trim().split("\n").slice(-2).join(" ").slice(0, 300)}` };
  if (!built.ok) console.log(`container build skipped: ${built.reason}`);
}

describe("the image", () => {
  test.skipIf(!built.ok)(`builds with ${builder ?? "podman/buildah"}, runs as uid ${IMAGE_USER.uid} (skipped with the reason when the build cannot run here)`, () => {
    const inspect = spawnSync(builder as string, ["--storage-driver", "vfs", "inspect", ...(builder === "podman" ? ["--type", "image"] : []), TAG], { encoding: "utf8" });
    const info = JSON.parse(inspect.stdout);
    const config = Array.isArray(info) ? info[0].Config : (info.OCIv1?.config ?? info.Docker?.config);
    expect(config.User).toBe(`${IMAGE_USER.uid}:${IMAGE_USER.gid}`);
    expect(config.Entrypoint).toEqual(["/usr/local/bin/proxmox-mcp"]);
  });

  // Running needs more than building (namespaces, cgroups); where it is not allowed the test says so.
  const runArgs = ["--storage-driver", "vfs", "run", "--rm", "--read-only", "--network", "none", "--user", `${IMAGE_USER.uid}:${IMAGE_USER.gid}`, TAG, "--version"];
  const ran = built.ok && builder === "podman" ? spawnSync("podman", runArgs, { encoding: "utf8", timeout: 60_000 }) : undefined;
  const runReason = !ran ? "no image built with podman" : ran.status === 0 ? "" : `podman run is not allowed here: ${(ran.stderr || "").trim().split("\n").at(-1)?.slice(0, 200)}`;
  if (runReason && built.ok) console.log(`container run skipped: ${runReason}`);
  test.skipIf(!ran || ran.status !== 0)("runs with a read-only root filesystem as the unprivileged user and prints its version", () => {
    expect(ran?.stdout.trim()).toBe(VERSION);
  });
});
