// Which storages to read for a content type, and reading many without a flood.

export interface StorageTarget {
  storage: string;
  node: string;
}

/**
 * Storages holding a content type, each read once: a shared storage (NFS, PBS…) appears
 * under every node in /cluster/resources, but its content is the same from any online one.
 */
export function pickStorages(
  resources: readonly { type: string; storage?: string; node?: string; content?: string; shared?: number | boolean; status?: string }[],
  content: string,
  filter: { node?: string; storage?: string },
): StorageTarget[] {
  const seen = new Set<string>();
  const out: StorageTarget[] = [];
  const candidates = resources
    .filter((r) => r.type === "storage" && r.storage && r.node)
    .filter((r) => (r.content ?? "").split(",").includes(content))
    .filter((r) => !filter.storage || r.storage === filter.storage)
    .filter((r) => !filter.node || r.node === filter.node)
    // Available ones first, so a shared storage is read through an online node.
    .sort((a, b) => Number(b.status === "available") - Number(a.status === "available"));
  for (const r of candidates) {
    const shared = r.shared === 1 || r.shared === true;
    const key = shared ? `shared:${r.storage}` : `${r.storage}@${r.node}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ storage: r.storage as string, node: r.node as string });
  }
  return out;
}

/** Runs fn over items with at most `limit` in flight: concurrent, but never a flood. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export interface SkippedStorage extends StorageTarget {
  reason: string;
}

/**
 * pickStorages, minus the local storages of nodes /cluster/resources reports offline (or
 * whose storage is not available): reading one would wait out pveproxy's 30 s for the
 * dead node and end in a 595. Each one left out is returned with the reason, to be said.
 */
export function readableStorages(
  resources: Parameters<typeof pickStorages>[0],
  nodes: readonly { type: string; node?: string; status?: string }[],
  content: string,
  filter: { node?: string; storage?: string },
): { targets: StorageTarget[]; skipped: SkippedStorage[] } {
  const offline = new Set(nodes.filter((n) => n.type === "node" && n.node && n.status !== "online").map((n) => n.node as string));
  const status = new Map(resources.filter((r) => r.type === "storage").map((r) => [`${r.storage}@${r.node}`, r.status]));
  const targets: StorageTarget[] = [];
  const skipped: SkippedStorage[] = [];
  for (const t of pickStorages(resources, content, filter)) {
    const state = status.get(`${t.storage}@${t.node}`);
    if (offline.has(t.node)) skipped.push({ ...t, reason: `node ${t.node} is offline` });
    else if (state !== undefined && state !== "available") skipped.push({ ...t, reason: `storage is ${state} on ${t.node}` });
    else targets.push(t);
  }
  return { targets, skipped };
}
