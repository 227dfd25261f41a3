// Replaced at compile time by scripts/compile.ts; running from source reads package.json.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = process.env.PROXMOX_MCP_BUILD_VERSION ?? pkg.version;
