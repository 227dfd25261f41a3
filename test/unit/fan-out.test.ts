// Per-storage detail on a big cluster is fetched side by side, a few at a time: never one
// node after another (slow), never all at once (a flood on PVE's API daemon).
import { describe, expect, test } from "bun:test";
import { mapBounded } from "../../src/pve/storage.ts";
import { testRegistry } from "../helpers/runtime.ts";

describe("bounded fan-out", () => {
  test("mapBounded keeps the order of its items and never has more than the limit in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await Bun.sleep(n);
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });

  test("proxmox_list_backups reads twelve nodes' backup storages four at a time", async () => {
    const nodes = Array.from({ length: 12 }, (_, i) => `pve${i + 1}`);
    let inFlight = 0;
    let peak = 0;
    const contentReads: string[] = [];
    const fetchImpl = async (input: RequestInfo | URL) => {
      const url = new URL(String(input));
      if (url.pathname.endsWith("/cluster/resources")) {
        const data = nodes.map((node) => ({ type: "storage", id: `storage/${node}/local`, storage: "local", node, content: "backup,iso", shared: 0, status: "available" }));
        return Response.json({ data });
      }
      if (url.pathname.endsWith("/access/permissions")) return Response.json({ data: { "/": { "Datastore.Allocate": 1 } } });
      contentReads.push(url.pathname);
      peak = Math.max(peak, ++inFlight);
      await Bun.sleep(5);
      inFlight--;
      return Response.json({ data: [] });
    };
    const { registry } = testRegistry({ fetchImpl: fetchImpl as typeof fetch });
    const outcome = await registry.call("proxmox_list_backups", {});
    expect(outcome.isError).toBe(false);
    expect(contentReads).toHaveLength(12);
    expect(peak).toBe(4);
  });
});
