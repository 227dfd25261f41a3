// The PVE node fetches what proxmox_download_to_storage names, from inside the admin's
// network. A model must not be able to point the hypervisor at loopback, link-local
// (cloud metadata at 169.254.169.254) or private services: the URL's host is resolved
// here and every address it resolves to is checked, unless the admin allows private ones.
//
// Limits (documented in SECURITY.md): the node resolves the name again itself, so a name
// whose DNS answer differs there (split horizon, rebinding) is not caught here; the admin's
// own switch PROXMOX_DOWNLOAD_ALLOW_PRIVATE=1 is the only way to allow private targets.

type Range = [base: bigint, bits: number, label: string];

function v4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6(text: string): bigint | undefined {
  let s = text.toLowerCase().replace(/^\[|\]$/g, "").split("%")[0] as string;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const n = v4(tail[1] as string);
    if (n === undefined) return undefined;
    s = `${s.slice(0, -(tail[1] as string).length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array(Math.max(0, fill)).fill("0"), ...rest];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

const V4_RANGES: Range[] = [
  [v4("0.0.0.0") as bigint, 8, "this-network"],
  [v4("10.0.0.0") as bigint, 8, "private"],
  [v4("100.64.0.0") as bigint, 10, "shared (carrier-grade NAT)"],
  [v4("127.0.0.0") as bigint, 8, "loopback"],
  [v4("169.254.0.0") as bigint, 16, "link-local"],
  [v4("172.16.0.0") as bigint, 12, "private"],
  [v4("192.0.0.0") as bigint, 24, "IETF protocol assignments"],
  [v4("192.168.0.0") as bigint, 16, "private"],
  [v4("198.18.0.0") as bigint, 15, "benchmarking"],
  [v4("224.0.0.0") as bigint, 4, "multicast"],
  [v4("240.0.0.0") as bigint, 4, "reserved"],
];

const V6_RANGES: Range[] = [
  [0n, 128, "unspecified"],
  [1n, 128, "loopback"],
  [v6("fe80::") as bigint, 10, "link-local"],
  [v6("fc00::") as bigint, 7, "unique local (private)"],
  [v6("fec0::") as bigint, 10, "site-local"],
  [v6("ff00::") as bigint, 8, "multicast"],
];

const NAT64 = (v6("64:ff9b::") as bigint) >> 32n;

const inRange = (value: bigint, width: number, [base, bits]: Range) => value >> BigInt(width - bits) === base >> BigInt(width - bits);

/** Why an address may not be a download source, or undefined when it is public. */
export function forbiddenAddress(address: string): string | undefined {
  const four = v4(address);
  if (four !== undefined) return V4_RANGES.find((r) => inRange(four, 32, r))?.[2];
  const six = v6(address);
  if (six === undefined) return "not an IP address";
  // IPv4 inside IPv6 (::ffff:a.b.c.d mapped, ::a.b.c.d compatible, 64:ff9b::/96 NAT64, 2002::/16 6to4): the IPv4 decides.
  const high = six >> 32n;
  let inner: bigint | undefined;
  if (high === 0xffffn || (high === 0n && six > 1n) || high === NAT64) inner = six & 0xffffffffn;
  else if (six >> 112n === 0x2002n) inner = (six >> 80n) & 0xffffffffn;
  if (inner !== undefined) {
    const reason = V4_RANGES.find((r) => inRange(inner, 32, r))?.[2];
    if (reason) return `${reason} (IPv4 inside IPv6)`;
  }
  return V6_RANGES.find((r) => inRange(six, 128, r))?.[2];
}

export type Resolver = (host: string) => Promise<string[]>;

// node:dns and node:net from process.getBuiltinModule: the one-file binary loads every module it
// imports at start, and only a download that names a host needs them.
const systemResolver: Resolver = async (host) => (await process.getBuiltinModule("node:dns/promises").lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Undefined when every address `host` resolves to is public; otherwise what is wrong, in words
 * for the model ("resolves to 127.0.0.1 (loopback)"). A name that does not resolve is refused:
 * what cannot be checked is not sent.
 */
export async function checkPublicHost(host: string, resolve: Resolver = systemResolver): Promise<string | undefined> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (/^localhost$|\.localhost$/i.test(bare)) return `${host} is loopback (localhost)`;
  if (process.getBuiltinModule("node:net").isIP(bare)) {
    const reason = forbiddenAddress(bare);
    return reason ? `${host} is a ${reason} address` : undefined;
  }
  let addresses: string[];
  try {
    addresses = await resolve(bare);
  } catch {
    return `${host} does not resolve from this server, so it cannot be checked to be a public address`;
  }
  if (addresses.length === 0) return `${host} does not resolve from this server, so it cannot be checked to be a public address`;
  for (const address of addresses) {
    const reason = forbiddenAddress(address);
    if (reason) return `${host} resolves to ${address} (${reason})`;
  }
  return undefined;
}
