// `bun scripts/container.ts [--binary PATH] [--out DIR]`: stages the build context for the
// Containerfile. The Bun-compiled binary is not fully static (it links glibc), so the image
// gets exactly the shared libraries `ldd` names, the loader, CA certificates for PVE's
// https and an /etc/passwd naming the unprivileged user: an empty base, nothing to fetch.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const IMAGE_USER = { uid: 65532, gid: 65532, name: "mcp" };
const CA_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"];

/** The shared objects (with the loader) a dynamically linked binary needs, from `ldd`. */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  const libs = new Set<string>();
  for (const line of out.split("\n")) {
    const path = /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
    if (path) libs.add(path);
  }
  return [...libs];
}

export function stageContainer(binary: string, out: string): { rootfs: string; files: string[] } {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run bun run build first`);
  rmSync(out, { recursive: true, force: true });
  const rootfs = join(out, "rootfs");
  const files: string[] = [];
  const put = (from: string, to: string) => {
    const target = join(rootfs, to);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(from, target);
    files.push(to);
  };
  put(binary, "/usr/local/bin/proxmox-mcp");
  chmodSync(join(rootfs, "usr/local/bin/proxmox-mcp"), 0o755);
  for (const lib of sharedLibraries(binary)) put(lib, lib);
  const bundle = CA_BUNDLES.find((p) => existsSync(p));
  if (bundle) put(bundle, "/etc/ssl/certs/ca-certificates.crt");
  mkdirSync(join(rootfs, "etc"), { recursive: true });
  writeFileSync(join(rootfs, "etc/passwd"), `root:x:0:0:root:/:/sbin/nologin\n${IMAGE_USER.name}:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:proxmox-mcp:/:/sbin/nologin\n`);
  writeFileSync(join(rootfs, "etc/group"), `root:x:0:\n${IMAGE_USER.name}:x:${IMAGE_USER.gid}:\n`);
  // An empty /tmp for a runtime that mounts nothing there, and the mount points a runtime
  // fills: the compiled binary reads itself through /proc/self/exe and aborts without /proc.
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  chmodSync(join(rootfs, "tmp"), 0o1777);
  for (const dir of ["proc", "dev", "sys"]) mkdirSync(join(rootfs, dir), { recursive: true });
  return { rootfs, files };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = new URL("../", import.meta.url).pathname;
  const binary = flag("--binary") ?? join(root, "dist/proxmox-mcp");
  const out = flag("--out") ?? join(root, "dist/container");
  const { files } = stageContainer(binary, out);
  console.error(`staged ${out} (${files.length} files); now: podman build -t proxmox-mcp -f Containerfile ${out}`);
}
