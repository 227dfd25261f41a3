// The MCP Apps view (runs in the client's sandboxed iframe, not in the server). One script
// for every proxmox-mcp view: it draws what the tool result it is given holds, from the
// result's structuredContent: a cluster overview (proxmox_status), usage charts
// (proxmox_resource_usage) or a write's plan card (a dry_run answer). Every value from
// Proxmox is set as text (textContent, SVG attributes), never parsed as HTML.
import { App } from "@modelcontextprotocol/ext-apps";

type Json = Record<string, unknown>;
type NodeRow = { name: string; online: boolean; cpu: number; cpus: number; mem_bytes: number; maxmem_bytes: number; guests?: Record<string, number> };

const root = document.getElementById("app") as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)} ${units[i]}`;
}

const pct = (f: number) => `${Math.round(f * 1000) / 10}%`;

function bar(fraction: number, label: string): HTMLElement {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const fill = el("span", { class: `fill${f >= 0.9 ? " hot" : f >= 0.75 ? " warm" : ""}` });
  fill.style.width = `${f * 100}%`;
  return el("div", { class: "bar", role: "meter", "aria-label": label, "aria-valuenow": String(Math.round(f * 100)) }, fill);
}

function overview(data: Json): HTMLElement {
  const nodes = (data.nodes as NodeRow[]) ?? [];
  const cluster = data.cluster as { name: string; quorate: boolean } | null;
  const guests = (data.guests as { total?: number; by_state?: Record<string, number> } | undefined) ?? {};
  const section = el("section", { "data-view": "overview" });
  section.append(
    el(
      "header",
      {},
      el("h1", {}, cluster ? `Cluster ${cluster.name}` : "Standalone node"),
      el("span", { class: `badge ${cluster && !cluster.quorate ? "bad" : "ok"}` }, cluster ? (cluster.quorate ? "quorate" : "NOT quorate") : "no cluster"),
    ),
  );
  const states = el("div", { class: "states", "data-testid": "guest-states" });
  for (const [state, count] of Object.entries(guests.by_state ?? {}).sort()) {
    states.append(el("div", { class: `state ${state}`, "data-state": state }, el("b", {}, String(count)), el("span", {}, state)));
  }
  section.append(el("h2", {}, `Guests${guests.total !== undefined ? ` (${guests.total})` : ""}`), states);
  const grid = el("div", { class: "nodes", "data-testid": "nodes" });
  for (const n of nodes) {
    const card = el("article", { class: `node${n.online ? "" : " offline"}`, "data-node": n.name });
    card.append(el("h3", {}, el("span", { class: "node-name" }, n.name), el("small", {}, n.online ? "online" : "offline")));
    if (n.online) {
      card.append(el("label", {}, `CPU ${pct(n.cpu)} of ${n.cpus}`), bar(n.cpu, `CPU of ${n.name}`));
      const mem = n.maxmem_bytes ? n.mem_bytes / n.maxmem_bytes : 0;
      card.append(el("label", {}, `Memory ${bytes(n.mem_bytes)} / ${bytes(n.maxmem_bytes)}`), bar(mem, `memory of ${n.name}`));
    }
    if (n.guests) card.append(el("p", { class: "small" }, Object.entries(n.guests).map(([s, c]) => `${c} ${s}`).join(", ") || "no guests"));
    grid.append(card);
  }
  section.append(el("h2", {}, `Nodes (${nodes.length})`), grid);
  return section;
}

function chart(title: string, values: number[], format: (v: number) => string, max?: number): HTMLElement {
  const w = 320;
  const h = 90;
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - (v / top) * h).toFixed(1)}`).join(" ");
  const box = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", height: h, preserveAspectRatio: "none", role: "img", "aria-label": title });
  box.append(svg("line", { x1: 0, y1: h, x2: w, y2: h, stroke: "currentColor", "stroke-opacity": 0.25, "vector-effect": "non-scaling-stroke" }));
  box.append(svg("polyline", { points, fill: "none", stroke: "currentColor", "stroke-width": 2, "vector-effect": "non-scaling-stroke", "data-points": values.length }));
  const last = values[values.length - 1];
  const figure = el("figure", { class: "chart", "data-testid": "chart", "data-metric": title, "data-points": String(values.length) });
  figure.append(el("figcaption", {}, `${title}${last === undefined ? "" : `: ${format(last)} now, max ${format(Math.max(...values))}`}${max ? ` (scale: 0 to ${format(max)})` : ""}`));
  figure.append(box as unknown as Node);
  return figure;
}

function usage(data: Json): HTMLElement {
  const target = data.target as { kind: string; node: string; vmid: number | null };
  const series = (data.series as { time?: string[]; cpu?: number[]; mem?: number[]; netin?: number[]; netout?: number[] } | undefined) ?? {};
  const capacity = (data.capacity as Record<string, number> | undefined) ?? {};
  const section = el("section", { "data-view": "usage" });
  const what = target.kind === "node" ? `Node ${target.node}` : `${target.kind === "qemu" ? "VM" : "Container"} ${target.vmid} on ${target.node}`;
  section.append(el("header", {}, el("h1", {}, what), el("span", { class: "badge" }, `last ${String(data.timeframe)} · ${String(data.points)} points`)));
  if (series.cpu?.length) section.append(chart("CPU", series.cpu, pct, 1));
  if (series.mem?.length) section.append(chart("Memory", series.mem, bytes, capacity.maxmem ?? capacity.memtotal));
  if (series.netin?.length) section.append(chart("Network in", series.netin, (v) => `${bytes(v)}/s`));
  if (!series.cpu?.length && !series.mem?.length) section.append(el("p", {}, "No data points with values (a stopped guest records only its limits)."));
  return section;
}

function planCard(plan: Json): HTMLElement {
  const target = (plan.target as Record<string, unknown> | undefined) ?? {};
  const section = el("section", { "data-view": "plan", class: "plan" });
  section.append(el("header", {}, el("h1", {}, "Dry run: nothing was changed"), el("span", { class: "badge warm" }, "plan")));
  section.append(el("p", { class: "action", "data-testid": "plan-action" }, String(plan.action ?? "")));
  const t = el("dl", { "data-testid": "plan-target" });
  for (const key of ["name", "vmid", "type", "node", "state"]) {
    if (target[key] === undefined || target[key] === null) continue;
    t.append(el("dt", {}, key), el("dd", { "data-key": key }, String(target[key])));
  }
  section.append(el("h2", {}, "Target"), t);
  const details = (plan.details as string[] | undefined) ?? [];
  if (details.length) section.append(el("h2", {}, "What changes"), el("ul", {}, ...details.map((d) => el("li", {}, String(d)))));
  if (plan.irreversible) section.append(el("p", { class: "irreversible" }, `Cannot be undone: ${String(plan.irreversible)}`));
  const requests = (plan.requests as { method: string; path: string }[] | undefined) ?? [];
  section.append(el("h2", {}, `Requests it would send (${requests.length})`), el("ol", { class: "requests" }, ...requests.map((r) => el("li", {}, el("code", {}, `${r.method} ${r.path}`)))));
  return section;
}

function taskOutcome(data: Json): HTMLElement {
  const section = el("section", { "data-view": "task" });
  section.append(el("header", {}, el("h1", {}, `Task ${String(data.state)}`), el("span", { class: `badge ${data.state === "failed" ? "bad" : "ok"}` }, String(data.upid ?? ""))));
  const tail = (data.log_tail as string[] | undefined) ?? [];
  if (tail.length) section.append(el("pre", {}, tail.join("\n")));
  return section;
}

function render(result: { structuredContent?: Json; content?: { type: string; text?: string }[]; isError?: boolean }): void {
  const data = result.structuredContent;
  let view: HTMLElement;
  if (result.isError || !data) {
    view = el("section", { "data-view": "text" }, el("pre", {}, (result.content ?? []).map((c) => c.text ?? "").join("\n")));
  } else if (data.dry_run === true && data.plan) {
    view = planCard(data.plan as Json);
  } else if (Array.isArray(data.nodes)) {
    view = overview(data);
  } else if (data.target && data.metrics) {
    view = usage(data);
  } else if (typeof data.state === "string") {
    view = taskOutcome(data);
  } else {
    view = el("section", { "data-view": "text" }, el("pre", {}, (result.content ?? []).map((c) => c.text ?? "").join("\n")));
  }
  root.replaceChildren(view);
  document.body.dataset.rendered = view.dataset.view ?? "";
}

const app = new App({ name: "proxmox-mcp", version: "1" }, {});
app.ontoolresult = (params) => render(params as never);
app.connect().catch(() => {
  root.textContent = "This view needs a client that renders MCP Apps.";
});
