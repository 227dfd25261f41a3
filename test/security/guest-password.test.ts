// The attack: a task log (PVE's, or a hostile upstream's) echoes the guest password a
// create call was given. The password must not come back in the answer nor in the
// progress notifications sent while the call waits, even at PVE's minimum length of 5.
import { afterAll, describe, expect, test } from "bun:test";
import { envFor } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { rawCall, SECRET, spawnRaw } from "./support.ts";
import { hostileUpstream, type Upstream } from "./upstream.ts";

const sim = useSimulator({ taskDurationMs: 1500, tokenSecret: SECRET });
const upstreams: Upstream[] = [];
afterAll(async () => {
  for (const u of upstreams) await u.stop();
});

async function createEchoing(password: string) {
  const upstream = hostileUpstream(sim(), {
    // Every task log line quotes the password.
    rewrite: (path, text) => (/\/tasks\/[^/]+\/log$/.test(path) ? text.replace(/"t":"([^"]*)"/g, `"t":"$1 (root password ${password}) 50%"`) : text),
  });
  upstreams.push(upstream);
  const server = spawnRaw(envFor(upstream));
  try {
    await server.initialize();
    const answer = await rawCall(
      server,
      "proxmox_create_container",
      { node: "pve1", hostname: "pw-test", ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", password, wait: true, confirm: true },
      { progressToken: "p1" },
    );
    const progress = server.lines().filter((m) => m.method === "notifications/progress");
    return { answer, progress, stdout: server.stdout(), stderr: server.stderr() };
  } finally {
    await server.closeStdin();
    await server.exited;
  }
}

describe("a guest password echoed by a task log", () => {
  for (const password of ["pw5ch", "longer-password-42"]) {
    test(`a ${password.length}-character password is masked in progress notifications and in the answer`, async () => {
      const run = await createEchoing(password);
      expect(run.answer.isError).toBe(false);
      // The echo really happened: the masked form shows it passed through.
      expect(run.progress.length).toBeGreaterThan(0);
      expect(JSON.stringify(run.progress)).toContain("[REDACTED]");
      expect(run.stdout).not.toContain(password);
      expect(run.stderr).not.toContain(password);
    });
  }
});
