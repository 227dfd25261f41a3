// Small renderers for the text half of a tool answer: short, unambiguous, unit-bearing.
import { pveText } from "./text.ts";

/** The longest a table cell gets: a row stays one row, and one field cannot fill an answer. */
export const MAX_CELL = 200;

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function percent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return "-";
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function duration(seconds: number | undefined): string {
  if (!seconds || seconds <= 0) return "-";
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${Math.floor(seconds % 60)}s`;
}

/** Epoch seconds → ISO 8601 (UTC), the form both models and people parse reliably. */
export function isoTime(epochSeconds: number | undefined): string | null {
  if (epochSeconds === undefined || !Number.isFinite(epochSeconds) || epochSeconds <= 0) return null;
  return new Date(epochSeconds * 1000).toISOString().replace(".000Z", "Z");
}

export function round(n: number | undefined, digits = 3): number {
  if (n === undefined || !Number.isFinite(n)) return 0;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * A tab-separated table: compact for a model's context, still readable by a person.
 * Security: every cell passes pveText, so a name, note or description from PVE cannot add
 * a row, a column or a terminal escape, nor start like the server speaking.
 */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [headers.join("\t"), ...rows.map((r) => r.map((c) => (typeof c === "number" ? String(c) : pveText(c, MAX_CELL))).join("\t"))].join("\n");
}

/** The "N more" line every list ends with when it was cut, so a cut is never silent. */
export function moreLine(more: number, howToNarrow: string): string {
  return more > 0 ? `\n… ${more} more not shown — narrow with ${howToNarrow}, or raise limit.` : "";
}
