// The real registry and client in this process, talking to a simulator over loopback: the
// path an agent's call takes, without spawning the binary (fast enough for many scenarios).
import type { TokenProfile } from "../../src/sim/access.ts";
import type { Simulator } from "../../src/sim/index.ts";
import type { Config } from "../../src/config/env.ts";
import { testRegistry } from "./runtime.ts";

export function simRegistry(sim: Simulator, options: { token?: TokenProfile; config?: Partial<Config> } = {}) {
  const creds = options.token ? sim.tokenFor(options.token) : { tokenId: sim.tokenId, tokenSecret: sim.tokenSecret };
  return testRegistry({ config: { url: sim.url, tokenId: creds.tokenId, tokenSecret: creds.tokenSecret, timeoutMs: 5000, ...options.config }, fetchImpl: fetch });
}

/** Calls a tool and returns text + structured content; fails the test on an internal error. */
export async function ask(sim: Simulator, tool: string, args: Record<string, unknown> = {}, options: { token?: TokenProfile; config?: Partial<Config> } = {}) {
  const { registry, pve } = simRegistry(sim, options);
  const outcome = await registry.call(tool, args);
  return { ...outcome, data: outcome.structured as Record<string, unknown> & Record<string, any>, pve };
}
