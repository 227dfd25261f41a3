// Reproducible .tar.gz and .zip writers (and the readers the tests and the npm packaging use),
// written here instead of shelling out: CI images do not all have `zip`, GNU and BSD tar
// disagree on flags, and neither stamps the same owner and time on every machine. Here every
// entry is owned by 0:0, carries one fixed timestamp, and keeps its Unix mode, so the same
// inputs give the same bytes and the executable bit survives into Homebrew and Claude Desktop.

export interface ArchiveEntry {
  /** Path inside the archive, '/'-separated; a trailing '/' marks a directory. */
  name: string;
  /** Unix permission bits, e.g. 0o755. */
  mode: number;
  /** File contents; empty for directories. */
  data: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Seconds since the epoch to stamp on every entry: SOURCE_DATE_EPOCH, else the last commit, else now. */
export function sourceDateEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const git = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: new URL("..", import.meta.url).pathname, stdout: "pipe", stderr: "ignore" });
  const fromGit = Number(git.stdout.toString().trim());
  if (git.exitCode === 0 && Number.isInteger(fromGit) && fromGit > 0) return fromGit;
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------- tar (ustar) + gzip

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar: '${value}' does not fit in ${length} bytes`);
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  // length-1 octal digits and a NUL, as ustar expects.
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

function tarHeader(entry: ArchiveEntry, mtime: number): Uint8Array {
  const block = new Uint8Array(512);
  const isDir = entry.name.endsWith("/");
  let name = entry.name;
  let prefix = "";
  if (encoder.encode(name).length > 100) {
    // ustar splits long paths at a '/' into prefix (155) + name (100).
    const cut = name.lastIndexOf("/", name.length - 2);
    if (cut <= 0) throw new Error(`tar: name too long: ${name}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, entry.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, isDir ? 0 : entry.data.length);
  writeOctal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  block[156] = isDir ? 0x35 : 0x30; // '5' directory, '0' regular file
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 265, 32, "root");
  writeString(block, 297, 32, "root");
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

export function tarGz(entries: readonly ArchiveEntry[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry, mtime));
    if (!entry.name.endsWith("/")) {
      parts.push(entry.data);
      const pad = (512 - (entry.data.length % 512)) % 512;
      if (pad) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(1024)); // two empty blocks end the archive
  // Level 6: level 9 takes 2.5x longer on a 110 MB binary for a 2.5% smaller file.
  return Bun.gzipSync(concat(parts), { level: 6 });
}

function readOctal(block: Uint8Array, offset: number, length: number): number {
  const text = decoder.decode(block.subarray(offset, offset + length)).replace(/[\0 ]+$/g, "").trim();
  return text ? parseInt(text, 8) : 0;
}

function readString(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return decoder.decode(end === -1 ? slice : slice.subarray(0, end));
}

export function readTarGz(archive: Uint8Array): ArchiveEntry[] {
  const tar = Bun.gunzipSync(plain(archive));
  const entries: ArchiveEntry[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const size = readOctal(block, 124, 12);
    const type = String.fromCharCode(block[156] ?? 0x30);
    const prefix = readString(block, 345, 155);
    const base = readString(block, 0, 100);
    const name = prefix ? `${prefix}/${base}` : base;
    const dataStart = offset + 512;
    if (type === "0" || type === "\0" || type === "5") {
      entries.push({ name: type === "5" && !name.endsWith("/") ? `${name}/` : name, mode: readOctal(block, 100, 8), data: tar.slice(dataStart, dataStart + size) });
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return entries;
}

// ---------------------------------------------------------------- zip (deflate)

function dosDateTime(epochSeconds: number): { time: number; date: number } {
  // DOS dates start in 1980; clamp earlier stamps so the fields stay valid.
  const d = new Date(Math.max(epochSeconds * 1000, Date.UTC(1980, 0, 1)));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

export function zip(entries: readonly ArchiveEntry[], mtime: number): Uint8Array {
  const { time, date } = dosDateTime(mtime);
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const isDir = entry.name.endsWith("/");
    const name = encoder.encode(entry.name);
    const deflated = isDir ? new Uint8Array(0) : Bun.deflateSync(plain(entry.data), { level: 6 });
    // Store instead when deflate does not help (tiny files).
    const method = !isDir && deflated.length < entry.data.length ? 8 : 0;
    const body = method === 8 ? deflated : entry.data;
    const crc = isDir ? 0 : Bun.hash.crc32(entry.data) >>> 0;

    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true); // version needed: 2.0 (deflate, directories)
    local.setUint16(6, 0x0800, true); // names are UTF-8
    local.setUint16(8, method, true);
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, body.length, true);
    local.setUint32(22, entry.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    parts.push(new Uint8Array(local.buffer), name, body);

    const record = new DataView(new ArrayBuffer(46));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(4, (3 << 8) | 20, true); // made by Unix, so readers honour the mode bits below
    record.setUint16(6, 20, true);
    record.setUint16(8, 0x0800, true);
    record.setUint16(10, method, true);
    record.setUint16(12, time, true);
    record.setUint16(14, date, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, body.length, true);
    record.setUint32(24, entry.data.length, true);
    record.setUint16(28, name.length, true);
    const unixMode = (isDir ? 0o040000 : 0o100000) | (entry.mode & 0o7777);
    record.setUint32(38, ((unixMode << 16) | (isDir ? 0x10 : 0)) >>> 0, true);
    record.setUint32(42, offset, true);
    central.push(new Uint8Array(record.buffer), name);

    offset += 30 + name.length + body.length;
  }
  const centralBytes = concat(central);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralBytes.length, true);
  end.setUint32(16, offset, true);
  return concat([...parts, centralBytes, new Uint8Array(end.buffer)]);
}

export function readZip(archive: Uint8Array): ArchiveEntry[] {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  let eocd = -1;
  for (let i = archive.length - 22; i >= Math.max(0, archive.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("zip: no end of central directory");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const entries: ArchiveEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error("zip: bad central directory record");
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const localOffset = view.getUint32(at + 42, true);
    const name = decoder.decode(archive.subarray(at + 46, at + 46 + nameLength));
    const localStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    const body = archive.subarray(localStart, localStart + compressed);
    const data = method === 8 ? Bun.inflateSync(plain(body)) : method === 0 ? body.slice() : undefined;
    if (!data) throw new Error(`zip: ${name} uses unsupported method ${method}`);
    if (!name.endsWith("/") && (Bun.hash.crc32(data) >>> 0) !== crc) throw new Error(`zip: CRC mismatch for ${name}`);
    entries.push({ name, mode: (external >>> 16) & 0o7777, data });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Bun's zlib functions take only ArrayBuffer-backed views; copy the rare other kind. */
function plain(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Reads whichever archive format the file name says. */
export async function readArchive(path: string): Promise<ArchiveEntry[]> {
  const bytes = await Bun.file(path).bytes();
  return path.endsWith(".tar.gz") ? readTarGz(bytes) : readZip(bytes);
}
