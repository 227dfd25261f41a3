// Builds the MCP Apps view into one self-contained HTML document: the script (with the
// ext-apps App class) and the styles inline, a content security policy that allows exactly
// those two (by hash) and nothing else: no network, no frames, no other script or style.
// Run when the binary is built (views.ts imports this as a macro), so the binary carries
// the page and fetches nothing at run time.
import { createHash } from "node:crypto";

const STYLES = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--bg:#fff;--card:#f5f7fa;--line:#d0d5dd;--ok:#12805c;--warm:#b54708;--bad:#c01048;--accent:#2f6fdf}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#98a2b3;--bg:#161a22;--card:#1f2530;--line:#344054}}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{padding:14px}header{display:flex;align-items:center;gap:10px;flex-wrap:wrap}h1{font-size:18px;margin:0}h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:16px 0 6px}
h3{font-size:15px;margin:0 0 8px;display:flex;justify-content:space-between}h3 small{color:var(--muted);font-weight:400}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;background:var(--card);border:1px solid var(--line)}.badge.ok{color:var(--ok)}.badge.bad{color:var(--bad)}.badge.warm{color:var(--warm)}
.nodes{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}.node{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px}.node.offline{opacity:.6}
label{display:block;font-size:12px;color:var(--muted);margin-top:6px}.bar{height:8px;background:var(--line);border-radius:4px;overflow:hidden}.fill{display:block;height:100%;background:var(--accent)}.fill.warm{background:var(--warm)}.fill.hot{background:var(--bad)}
.states{display:flex;gap:8px;flex-wrap:wrap}.state{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:6px 12px;text-align:center}.state b{display:block;font-size:20px}.state span{font-size:12px;color:var(--muted)}.state.running b{color:var(--ok)}.state.stopped b{color:var(--muted)}
.chart{margin:10px 0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:8px;color:var(--accent)}.chart figcaption{color:var(--fg);font-size:13px;margin-bottom:4px}
.plan .action{font-size:16px;font-weight:600}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{color:var(--muted)}dd{margin:0}
.irreversible{color:var(--bad);font-weight:600}code{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;font:12px ui-monospace,monospace;background:var(--card);padding:8px;border-radius:8px}.small{font-size:12px;color:var(--muted);margin:6px 0 0}
`;

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64");

/** The view as one HTML document, and the policy it carries. */
export function buildDashboardHtml(): string {
  const entry = new URL("./dashboard.ts", import.meta.url).pathname;
  // A macro may not call Bun.build while the bundler waits for it, so the CLI bundles the view.
  const result = Bun.spawnSync([process.execPath, "build", entry, "--target=browser", "--format=esm", "--minify"], { stdout: "pipe", stderr: "pipe" });
  if (!result.success) throw new Error(`building the MCP Apps view failed: ${result.stderr.toString().slice(0, 2000)}`);
  // Inline in <script>: a "</script" inside the code would end the element early.
  const script = result.stdout.toString().replaceAll("</script", "<\\/script");
  const styles = STYLES.trim();
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(script)}'`,
    `style-src 'sha256-${sha256(styles)}'`,
    "img-src data:",
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="${csp}"><title>Proxmox</title><style>${styles}</style></head><body><main id="app">Waiting for a tool result…</main><script type="module">${script}</script></body></html>`;
}
