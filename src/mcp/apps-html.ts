// The MCP Apps page as a string the build wrote into the code (a Bun macro: src/views/build.ts
// runs when the binary is built). Imported only when a client reads a ui:// resource.
import { buildDashboardHtml } from "../views/build.ts" with { type: "macro" };

export const DASHBOARD_HTML: string = buildDashboardHtml();
