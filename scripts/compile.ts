// The one place that knows how a proxmox-mcp binary is compiled. `build.ts` (this machine)
// and `release.ts` (every platform) both go through here, so no binary can be built
// without the settings below.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

export interface CompileOptions {
  outfile: string;
  /** What to compile; proxmox-mcp itself unless the benchmark compiles its floor server. */
  entrypoint?: string;
  /** A Bun cross-compile target such as "bun-linux-x64"; omitted means this machine. */
  target?: string;
  bytecode?: boolean;
  minify?: boolean;
}

/**
 * JavaScriptCore's tier-up thresholds × 20 while the binary starts: the code that runs once
 * at start-up (module set-up, the SDK's schema building, the first tools/list) stays in the
 * interpreter instead of being JIT-compiled for nothing. The server restores the normal
 * policy once it serves (src/cli.ts). Spawn → tools/list answered: 48 → 42 ms
 * (bench/results/latest.md; the floor server is compiled the same way).
 */
export const STARTUP_JIT_POLICY = 20;

export async function compileBinary(opts: CompileOptions): Promise<void> {
  const result = await Bun.build({
    entrypoints: [opts.entrypoint ?? new URL("../src/cli.ts", import.meta.url).pathname],
    compile: {
      outfile: opts.outfile,
      ...(opts.target ? { target: opts.target as Bun.Build.CompileTarget } : {}),
      // Security: a compiled Bun binary would otherwise read `.env` and `bunfig.toml`
      // from whatever folder the agent starts it in, so a stray `.env` holding
      // PROXMOX_ENABLE_DESTRUCTIVE=1 could switch on destructive tools.
      autoloadDotenv: false,
      autoloadBunfig: false,
      jitPolicy: STARTUP_JIT_POLICY,
    },
    minify: opts.minify ?? true,
    bytecode: opts.bytecode ?? false,
    format: "esm",
    define: { "process.env.PROXMOX_MCP_BUILD_VERSION": JSON.stringify(VERSION) },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`compiling ${opts.outfile} failed`);
  }
}
