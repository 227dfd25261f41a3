// proxmox_api answers are size-bounded: a large list keeps whole items and says how many.
import { describe, expect, test } from "bun:test";
import { MAX_API_ANSWER_BYTES } from "../../src/tools/api.ts";
import { testRegistry } from "../helpers/runtime.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator({ cluster: { nodes: 4, guests: 1000 } });

describe("proxmox_api on a large cluster", () => {
  test("a 1,000-guest inventory is cut to the bound, keeps whole items and says how many were shown", async () => {
    const s = sim();
    const { registry } = testRegistry({ config: { url: s.url, tokenId: s.tokenId, tokenSecret: s.tokenSecret }, fetchImpl: fetch });
    const outcome = await registry.call("proxmox_api", { path: "/cluster/resources", params: { type: "vm" } });
    expect(outcome.isError).toBe(false);
    const data = outcome.structured as { truncated: boolean; bytes: number; items: { shown: number; total: number }; data: unknown[] };
    expect(data.truncated).toBe(true);
    expect(data.items.total).toBe(1000);
    expect(data.items.shown).toBeLessThan(1000);
    expect(data.data).toHaveLength(data.items.shown);
    expect(Buffer.byteLength(JSON.stringify(data.data))).toBeLessThanOrEqual(MAX_API_ANSWER_BYTES);
    expect(outcome.text).toContain(`${data.items.shown} of 1000 items shown`);
  });
});
