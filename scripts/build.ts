// `bun run build`: compiles dist/proxmox-mcp for this machine. The end-to-end tests run it.
import { compileBinary } from "./compile.ts";

const outfile = new URL("../dist/proxmox-mcp", import.meta.url).pathname;
const started = performance.now();
await compileBinary({ outfile });
console.error(`built ${outfile} in ${Math.round(performance.now() - started)} ms`);
