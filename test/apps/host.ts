// A minimal MCP Apps host for the browser test: the extension's host side (AppBridge) loads
// the server's view into a sandboxed iframe, as Claude or VS Code would, and hands it one
// tool result. Bundled for the browser by test/e2e/apps-browser.test.ts.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

declare global {
  interface Window {
    showView(html: string, result: unknown): Promise<void>;
    viewReady?: boolean;
  }
}

window.showView = async (html, result) => {
  const frame = document.createElement("iframe");
  // As hosts do: scripts run, but in an opaque origin with no access to the host page.
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.cssText = "width:900px;height:640px;border:1px solid #ccc;border-radius:8px";
  document.body.replaceChildren(frame);
  const bridge = new AppBridge(null, { name: "proxmox-mcp-test-host", version: "1.0.0" }, { openLinks: {}, serverTools: {}, logging: {} });
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  // Listen before the view loads: it says ui/initialize as soon as its script runs. The
  // iframe's window proxy stays the same when srcdoc navigates it.
  const view = frame.contentWindow as Window;
  await bridge.connect(new PostMessageTransport(view, view));
  frame.srcdoc = html;
  await initialized;
  await bridge.sendToolResult(result as never);
  window.viewReady = true;
};
