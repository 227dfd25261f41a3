// Every target's binary that a full `bun run release` left in dist/release: size and
// executable format (ELF / Mach-O / PE, right CPU, right libc). Targets not built are skipped,
// so the suite stays fast on a plain `bun run test`.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readArchive } from "../../scripts/archive.ts";
import { archiveName, TARGETS, type Target } from "../../scripts/dist-config.ts";
import { RELEASE_DIR } from "./helpers.ts";

// A Bun executable is the Bun runtime (~90-110 MB) plus the bundled server. Much smaller means
// a truncated or wrong file; much larger means something got embedded that should not be.
const MIN_BYTES = 40e6;
const MAX_BYTES = 250e6;

async function binaryOf(target: Target): Promise<Uint8Array> {
  const entries = await readArchive(join(RELEASE_DIR, archiveName(target)));
  const entry = entries.find((e) => e.name.endsWith(`/${target.exe}`));
  if (!entry) throw new Error(`${archiveName(target)} holds no ${target.exe}`);
  return entry.data;
}

function format(bin: Uint8Array): { kind: "elf" | "macho" | "pe" | "unknown"; cpu?: string; interpreter?: string; signed?: boolean } {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  if (bin[0] === 0x7f && bin[1] === 0x45 && bin[2] === 0x4c && bin[3] === 0x46) {
    // 64-bit little-endian ELF: e_machine at 18, program headers describe PT_INTERP (3).
    const machine = view.getUint16(18, true);
    const phoff = Number(view.getBigUint64(32, true));
    const phentsize = view.getUint16(54, true);
    const phnum = view.getUint16(56, true);
    let interpreter: string | undefined;
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (view.getUint32(ph, true) === 3) {
        const offset = Number(view.getBigUint64(ph + 8, true));
        const size = Number(view.getBigUint64(ph + 32, true));
        interpreter = new TextDecoder().decode(bin.subarray(offset, offset + size)).replace(/\0+$/, "");
      }
    }
    return { kind: "elf", cpu: machine === 0x3e ? "x64" : machine === 0xb7 ? "arm64" : `machine ${machine}`, interpreter };
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cputype = view.getUint32(4, true);
    // Load commands follow the 32-byte header; LC_CODE_SIGNATURE (0x1d) holds the signature.
    let signed = false;
    for (let i = 0, at = 32; i < view.getUint32(16, true); i++, at += view.getUint32(at + 4, true)) {
      if (view.getUint32(at, true) === 0x1d) signed = true;
    }
    return { kind: "macho", cpu: cputype === 0x01000007 ? "x64" : cputype === 0x0100000c ? "arm64" : `cputype ${cputype}`, signed };
  }
  if (bin[0] === 0x4d && bin[1] === 0x5a) {
    const pe = view.getUint32(0x3c, true);
    if (view.getUint32(pe, true) !== 0x00004550) return { kind: "unknown" };
    const machine = view.getUint16(pe + 4, true);
    return { kind: "pe", cpu: machine === 0x8664 ? "x64" : machine === 0xaa64 ? "arm64" : `machine ${machine}` };
  }
  return { kind: "unknown" };
}

const EXPECTED_KIND = { linux: "elf", darwin: "macho", win32: "pe" } as const;

describe("release binaries in dist/release", () => {
  for (const target of TARGETS) {
    const present = existsSync(join(RELEASE_DIR, archiveName(target)));
    test.skipIf(!present)(`${target.id}: size is plausible and the format is ${EXPECTED_KIND[target.os]} for ${target.cpu}${target.libc ? ` (${target.libc})` : ""}`, async () => {
      const bin = await binaryOf(target);
      expect(bin.length).toBeGreaterThan(MIN_BYTES);
      expect(bin.length).toBeLessThan(MAX_BYTES);
      const found = format(bin);
      expect(found.kind).toBe(EXPECTED_KIND[target.os]);
      expect(found.cpu).toBe(target.cpu);
      if (target.os === "linux") {
        // glibc binaries ask for ld-linux*, musl ones for ld-musl-*.
        expect(found.interpreter ?? "").toMatch(target.libc === "musl" ? /ld-musl-/ : /ld-linux/);
      }
      // macOS on Apple silicon kills arm64 code that carries no signature (ad-hoc is enough).
      if (target.os === "darwin") expect(found.signed).toBe(true);
    });
  }
});
