// TLS without switching it off: a real HTTPS listener with a certificate the test made.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { envFor, runBinary } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { startTlsFront, type TlsFront } from "../helpers/tls.ts";
import { removeScratchDirs } from "../helpers/tmp.ts";

afterAll(removeScratchDirs);

const sim = useSimulator();
let front: TlsFront;

beforeAll(async () => {
  front = await startTlsFront(sim().url);
});
afterAll(() => front.stop());

const status = (extra: Record<string, string>) => runBinary(["call", "proxmox_status"], envFor(sim(), { PROXMOX_URL: front.url, ...extra }));
const WRONG = Array.from({ length: 32 }, () => "AB").join(":");

describe("TLS verification", () => {
  test("by default an untrusted certificate is refused, naming the three options", async () => {
    const run = await status({});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("PROXMOX_CA_FILE");
    expect(run.stderr).toContain("PROXMOX_TLS_FINGERPRINT");
    expect(run.stderr).toContain("PROXMOX_TLS_INSECURE");
  });

  test("trusting the cluster CA with PROXMOX_CA_FILE keeps verification on and works", async () => {
    const run = await status({ PROXMOX_CA_FILE: front.caFile });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nodes online");
  });

  test("the right PROXMOX_TLS_FINGERPRINT is accepted", async () => {
    const run = await status({ PROXMOX_TLS_FINGERPRINT: front.fingerprint });
    expect(run.code).toBe(0);
  });

  test("a wrong fingerprint is refused with both fingerprints in the message, before the token is sent", async () => {
    sim().resetLog();
    const run = await status({ PROXMOX_TLS_FINGERPRINT: WRONG });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(front.fingerprint);
    expect(run.stderr).toContain(WRONG);
    expect(sim().requests).toHaveLength(0);
  });

  test("PROXMOX_TLS_INSECURE accepts the certificate and warns", async () => {
    const run = await status({ PROXMOX_TLS_INSECURE: "true" });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("NOT verified");
  });

  test("doctor shows the fingerprint to pin when verification fails", async () => {
    const run = await runBinary(["doctor"], envFor(sim(), { PROXMOX_URL: front.url }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`PROXMOX_TLS_FINGERPRINT=${front.fingerprint}`);
  });
});
