// The MCP Apps views in a real browser: Debian's chromium, driven by playwright-core, loads
// a small host page that uses the extension's host side (AppBridge) to put the server's
// ui:// view in a sandboxed iframe and hand it a tool result from the compiled binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { type BrowserContext, chromium, type Frame, type Page } from "playwright-core";
import { callTool, connectMcp, envFor, type McpSession, ROOT } from "../helpers/harness.ts";
import { useSimulator } from "../helpers/sim.ts";
import { removeScratchDirs, scratchDir } from "../helpers/tmp.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
export const SCREENSHOT = `${ROOT}dist/artifacts/dashboard.png`;

const sim = useSimulator();
let context: BrowserContext;
let page: Page;
let hostScript: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it).`);
  const built = await Bun.build({ entrypoints: [`${ROOT}test/apps/host.ts`], target: "browser", format: "esm" });
  hostScript = await built.outputs[0]!.text();
  // A fresh profile every run; the flags keep chromium off the network and quiet.
  context = await chromium.launchPersistentContext(scratchDir("chromium-"), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 940, height: 680 } });
  page = await context.newPage();
  mkdirSync(`${ROOT}dist/artifacts`, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  removeScratchDirs();
});

async function viewOf(session: McpSession, tool: string): Promise<string> {
  const { tools } = await session.client.listTools();
  const meta = tools.find((t) => t.name === tool)?._meta as { ui?: { resourceUri?: string } } | undefined;
  const uri = meta?.ui?.resourceUri as string;
  expect(uri).toMatch(/^ui:\/\/proxmox\//);
  const read = await session.client.readResource({ uri });
  const content = read.contents[0] as { mimeType?: string; text?: string };
  expect(content.mimeType).toBe("text/html;profile=mcp-app");
  return content.text as string;
}

async function show(html: string, result: unknown): Promise<Frame> {
  await page.setContent(`<!doctype html><html><body><script type="module">${hostScript.replaceAll("</script", "<\\/script")}</script></body></html>`);
  await page.waitForFunction(() => typeof window.showView === "function");
  await page.evaluate(([h, r]) => window.showView(h as string, r), [html, result] as const);
  const frame = page.frames().find((f) => f !== page.mainFrame()) as Frame;
  await frame.waitForSelector("body[data-rendered]");
  // The iframe as tall as what the view drew, so the screenshot shows the view and no blank.
  const height = await frame.evaluate(() => Math.ceil((document.getElementById("app") as HTMLElement).getBoundingClientRect().bottom) + 14);
  await page.evaluate((h) => {
    const iframe = document.querySelector("iframe") as HTMLIFrameElement;
    iframe.style.height = `${h + 4}px`;
  }, height);
  return frame;
}

describe("MCP Apps views in chromium", () => {
  test("the cluster overview shows every node by name and the guests by state", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const html = await viewOf(session, "proxmox_status");
      const status = await callTool(session, "proxmox_status");
      const frame = await show(html, status.result);
      const names = await frame.$$eval("[data-node] .node-name", (els) => els.map((e) => e.textContent));
      expect(names).toEqual((status.structured?.nodes as { name: string }[]).map((n) => n.name));
      const guests = status.structured?.guests as { by_state: Record<string, number> };
      const states = await frame.$$eval("[data-state]", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-state"), Number(e.querySelector("b")?.textContent)])));
      expect(states).toEqual(guests.by_state);
      await page.locator("iframe").screenshot({ path: SCREENSHOT });
    } finally {
      await session.close();
    }
  });

  test("resource usage history is drawn as charts with one point per sample", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const html = await viewOf(session, "proxmox_resource_usage");
      const usage = await callTool(session, "proxmox_resource_usage", { node: "pve1" });
      const series = usage.structured?.series as { cpu: number[]; mem: number[] };
      expect(series.cpu.length).toBeGreaterThan(10);
      const frame = await show(html, usage.result);
      const charts = await frame.$$eval("[data-testid=chart]", (els) => els.map((e) => ({ metric: e.getAttribute("data-metric"), points: e.querySelector("polyline")?.getAttribute("points")?.trim().split(/\s+/).length })));
      expect(charts).toContainEqual({ metric: "CPU", points: series.cpu.length });
      expect(charts).toContainEqual({ metric: "Memory", points: series.mem.length });
      await page.locator("iframe").screenshot({ path: `${ROOT}dist/artifacts/dashboard-usage.png` });
    } finally {
      await session.close();
    }
  });

  test("a write's dry_run plan is a card naming its target and the requests it would send", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const html = await viewOf(session, "proxmox_stop_resource");
      const vms = await callTool(session, "proxmox_list_vms", { status: "running" });
      const vm = (vms.structured?.items as { vmid: number; name: string; node: string }[])[0] as { vmid: number; name: string; node: string };
      const planned = await callTool(session, "proxmox_stop_resource", { vmid: vm.vmid, dry_run: true });
      expect(planned.structured?.dry_run).toBe(true);
      const frame = await show(html, planned.result);
      expect(await frame.textContent("[data-testid=plan-target] [data-key=vmid]")).toBe(String(vm.vmid));
      expect(await frame.textContent("[data-testid=plan-target] [data-key=node]")).toBe(vm.node);
      expect(await frame.textContent("[data-testid=plan-action]")).toContain(String(vm.vmid));
      expect(await frame.textContent(".requests")).toContain(`/nodes/${vm.node}/qemu/${vm.vmid}/status/shutdown`);
      await page.locator("iframe").screenshot({ path: `${ROOT}dist/artifacts/dashboard-plan.png` });
    } finally {
      await session.close();
    }
  });

  test("a node name holding markup is shown as text, never run or parsed as HTML", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const html = await viewOf(session, "proxmox_status");
      const hostile = '<img src=x onerror="document.body.dataset.pwned=1">';
      const node = { name: hostile, online: true, ip: null, cpu: 0.5, cpus: 4, mem_bytes: 1, maxmem_bytes: 2, uptime_s: 1 };
      const frame = await show(html, { content: [{ type: "text", text: "x" }], structuredContent: { instance: "default", cluster: { name: hostile, quorate: true, nodes: 1 }, version: { version: "9", release: "9" }, nodes: [node], guests: { total: 0, by_state: {} }, unavailable: [] } });
      expect(await frame.textContent("[data-node] .node-name")).toBe(hostile);
      expect(await frame.$$("img")).toHaveLength(0);
      expect(await frame.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    } finally {
      await session.close();
    }
  });

  test("the view runs under a policy that allows no network and no other script", async () => {
    const session = await connectMcp(envFor(sim()));
    try {
      const html = await viewOf(session, "proxmox_status");
      const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("connect-src 'none'");
      expect(csp).not.toContain("unsafe-inline");
      // Nothing loaded from elsewhere: one inline script, one inline style, no src or href.
      expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
      expect(html).not.toContain(sim().tokenSecret);
    } finally {
      await session.close();
    }
  });
});
