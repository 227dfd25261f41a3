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
