// One simulated PVE per test file. After every test, the simulator must have seen no
// request that the official PVE schema rejects: such a request is a bug in the server.
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/sim/index.ts";

export function useSimulator(options: SimulatorOptions = {}): () => Simulator {
  let sim: Simulator | undefined;
  beforeAll(() => {
    sim = startSimulator({ taskDurationMs: 300, ...options });
  });
  afterEach(() => {
    const rejected = sim?.rejections.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.params)} → ${r.status}`) ?? [];
    sim?.resetLog();
    sim?.clearFaults();
    expect(rejected).toEqual([]);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  return () => {
    if (!sim) throw new Error("simulator not started");
    return sim;
  };
}
