// proxmox_find through the compiled binary: one call, every cluster, by name, tag, vmid, IP or MAC.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Simulator, startSimulator } from "../../src/sim/index.ts";
import { callTool, envFor, type McpSession, withSession } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

const sim = useSimulator();

interface Hit {
  instance: string;
  vmid: number;
  matched: string;
  value: string;
}
const hitsOf = (structured: Record<string, unknown> | undefined) => (structured?.hits ?? []) as Hit[];

async function find(args: Record<string, unknown>) {
  return withSession(envFor(sim()), (s: McpSession) => callTool(s, "proxmox_find", args));
}

describe("proxmox_find on one cluster", () => {
  test("a word finds the guests whose names hold it and those tagged with it", async () => {
    const answer = await find({ query: "web" });
    expect(answer.isError).toBe(false);
    expect(hitsOf(answer.structured).map((h) => `${h.vmid} ${h.matched}`)).toEqual(["100 name", "202 tag"]);
    expect(answer.text).toContain("web-01");
  });

  test("a tag finds every guest carrying it, VMs and containers", async () => {
    const answer = await find({ query: "prod", by: "tag" });
    expect(hitsOf(answer.structured).map((h) => h.vmid)).toEqual([100, 101, 200, 201]);
  });

  test("digits find the guest with that vmid", async () => {
    const answer = await find({ query: "202" });
    expect(hitsOf(answer.structured)).toEqual([expect.objectContaining({ vmid: 202, matched: "vmid" })]);
  });

  test("an IP finds the running VM whose guest agent reports it, and names the guests that could not be asked", async () => {
    const ip = sim().state.guests.get(103)?.ip as string;
    const answer = await find({ query: ip });
    expect(hitsOf(answer.structured)).toEqual([expect.objectContaining({ vmid: 103, matched: "ip", value: ip })]);
    // VM 102 runs without a guest agent: it is named, not silently skipped.
    const unasked = answer.structured?.unasked as { vmid: number; reason: string }[];
    expect(unasked).toContainEqual(expect.objectContaining({ vmid: 102 }));
    expect(answer.text).toContain("Could not ask");
  });

  test("an IP finds a running container from the host's view of its interfaces", async () => {
    const ip = sim().state.guests.get(201)?.ip as string;
    const answer = await find({ query: ip, by: "ip" });
    expect(hitsOf(answer.structured).map((h) => h.vmid)).toEqual([201]);
  });

  test("a MAC in any case or separator finds the guest whose config holds it, stopped ones too", async () => {
    const net0 = String(sim().state.guests.get(104)?.config.net0);
    const mac = /([0-9A-F]{2}(:[0-9A-F]{2}){5})/.exec(net0)?.[1] as string;
    const answer = await find({ query: mac.toLowerCase().replaceAll(":", "-") });
    expect(hitsOf(answer.structured)).toEqual([expect.objectContaining({ vmid: 104, matched: "mac" })]);
  });

  test("nothing found says so, with zero hits", async () => {
    const answer = await find({ query: "no-such-guest" });
    expect(answer.isError).toBe(false);
    expect(answer.structured?.total).toBe(0);
    expect(answer.text).toContain("0 guests match");
  });

  test("by ip with a query that is not an address is refused, saying the accepted form", async () => {
    const answer = await find({ query: "web", by: "ip" });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("192.168.1.20");
  });
});

describe("proxmox_find across clusters", () => {
  let lab: Simulator;
  let configPath: string;
  beforeAll(() => {
    lab = startSimulator({ tokenSecret: "77777777-8888-9999-aaaa-bbbbbbbbbbbb" });
    const dir = scratchDir("find");
    configPath = join(dir, "instances.json");
  });
  afterAll(async () => {
    await lab.stop();
    removeScratchDirs();
  });

  const env = (labUrl: string) => {
    writeFileSync(configPath, JSON.stringify({ instances: { home: { url: sim().url, tokenId: sim().tokenId, tokenSecret: sim().tokenSecret }, lab: { url: labUrl, tokenId: lab.tokenId, tokenSecret: lab.tokenSecret } } }));
    const base = envFor(sim());
    delete base.PROXMOX_URL;
    delete base.PROXMOX_TOKEN_ID;
    delete base.PROXMOX_TOKEN_SECRET;
    return { ...base, PROXMOX_CONFIG: configPath };
  };

  test("without an instance, every cluster is searched and each hit names its cluster", async () => {
    const answer = await withSession(env(lab.url), (s) => callTool(s, "proxmox_find", { query: "pihole" }));
    expect(answer.isError).toBe(false);
    expect(hitsOf(answer.structured).map((h) => `${h.instance}/${h.vmid}`)).toEqual(["home/200", "lab/200"]);
    expect(answer.text).toContain("across 2 clusters");
  });

  test("an unreachable cluster is reported beside the hits of the others", async () => {
    const answer = await withSession(env("http://127.0.0.1:9"), (s) => callTool(s, "proxmox_find", { query: "pihole" }));
    expect(answer.isError).toBe(false);
    expect(hitsOf(answer.structured).map((h) => h.instance)).toEqual(["home"]);
    expect((answer.structured?.failed_instances as { instance: string }[]).map((f) => f.instance)).toEqual(["lab"]);
  });
});
