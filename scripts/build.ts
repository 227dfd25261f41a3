// `bun run build`: compiles dist/proxmox-mcp for this machine. The end-to-end tests run it.
import { compileBinary } from "./compile.ts";

const outfile = new URL("../dist/proxmox-mcp", import.meta.url).pathname;
const started = performance.now();
// Bytecode as in the release: the tests drive the binary users get (bench/results/bytecode.md).
await compileBinary({ outfile, bytecode: true });
console.error(`built ${outfile} in ${Math.round(performance.now() - started)} ms`);
