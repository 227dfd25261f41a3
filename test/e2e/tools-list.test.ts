// The wire contract: tools/list exactly as a client receives it, pinned by a snapshot.
// A change to any tool's name, description, annotations or schemas shows up in review as a
// diff of __snapshots__/tools-list.test.ts.snap; regenerate with `bun test --update-snapshots`.
import { describe, expect, test } from "bun:test";
import { ALL_TOOLS } from "../../src/tools/index.ts";
import { connectMcp, envFor, runBinary } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";

const sim = useSimulator();

async function listed(extra: Record<string, string>) {
  const session = await connectMcp(envFor(sim(), extra));
  try {
    return (await session.client.listTools()).tools;
  } finally {
    await session.close();
  }
}

describe("tools/list", () => {
  test("with PROXMOX_TOOLSETS=all, every tool's name, title, description, annotations and schemas match the snapshot", async () => {
    const tools = await listed({ PROXMOX_TOOLSETS: "all" });
    expect(tools.map((t) => t.name)).toEqual(ALL_TOOLS.map((t) => t.name));
    expect(tools).toMatchSnapshot();
  });

  test("without PROXMOX_TOOLSETS, the default set is listed, and its names match the snapshot", async () => {
    const env = envFor(sim());
    delete env.PROXMOX_TOOLSETS;
    const session = await connectMcp(env);
    try {
      const names = (await session.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(ALL_TOOLS.filter((t) => t.inDefault).map((t) => t.name));
      expect(names).toMatchSnapshot();
    } finally {
      await session.close();
    }
  });

  test("a named set with the read-only ceiling lists only that set's reads", async () => {
    const tools = await listed({ PROXMOX_TOOLSETS: "snapshots", PROXMOX_READ_ONLY: "1" });
    expect(tools.map((t) => t.name)).toEqual(["proxmox_list_snapshots"]);
  });

  test("an unknown toolset stops the server at start-up, naming the accepted values", async () => {
    const run = await runBinary([], envFor(sim(), { PROXMOX_TOOLSETS: "inventory,shell" }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PROXMOX_TOOLSETS: unknown toolset 'shell'");
    expect(run.stderr).toContain("accepted: default, all");
  });
});
