// Small parsers for configuration values, each returning a value or a plain-words problem.
// None of them fails open: a value that is not understood is a problem, never "off".

export const BOOLEAN_WORDS = "true/false, 1/0, yes/no, on/off";
const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

export type Parsed<T> = { value: T } | { problem: string };

/** A switch: unset is `fallback`; one of the documented words (any case) is its value; anything else is a problem. */
export function parseBoolean(name: string, raw: string | undefined, fallback = false): Parsed<boolean> {
  if (raw === undefined || raw.trim() === "") return { value: fallback };
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return { value: true };
  if (FALSE_WORDS.has(word)) return { value: false };
  return { problem: `${name} must be one of ${BOOLEAN_WORDS} (any case); got ${showValue(raw)}` };
}

/**
 * PROXMOX_ENABLE_DESTRUCTIVE: exactly "1" turns tier 3 on; unset leaves it off. Any other
 * value is a mistake (someone meant to set something), so it stops start-up instead of
 * quietly meaning "no".
 */
export function parseDestructiveSwitch(name: string, raw: string | undefined): Parsed<boolean> {
  if (raw === undefined || raw === "") return { value: false };
  if (raw === "1") return { value: true };
  return { problem: `${name} must be exactly 1 to allow destructive tools, or unset to keep them off; got ${showValue(raw)}` };
}

// pve-common src/PVE/JSONSchema.pm $PVE_TAG_RE (case-insensitive).
export const PVE_TAG_RE = /^[a-z0-9_][a-z0-9_\-+.]*$/i;

/** A tag list as PVE writes it: separated by ',', ';' or spaces; every tag must be a valid PVE tag. Tags compare case-insensitively. */
export function parseTagList(name: string, raw: string | readonly string[] | undefined): Parsed<string[]> {
  if (raw === undefined) return { value: [] };
  const parts = (typeof raw === "string" ? [raw] : raw).flatMap((s) => s.split(/[,;\s]+/)).filter(Boolean);
  const bad = parts.filter((t) => !PVE_TAG_RE.test(t));
  if (bad.length > 0) {
    return { problem: `${name}: ${bad.map(showValue).join(", ")} ${bad.length === 1 ? "is not a valid Proxmox tag" : "are not valid Proxmox tags"} (a tag starts with a letter, digit or _ and holds letters, digits, _ - + .); separate tags with ',', ';' or spaces, e.g. prod;critical` };
  }
  return { value: [...new Set(parts.map((t) => t.toLowerCase()))] };
}

const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/** Node names separated by ',', ';' or spaces. */
export function parseNodeList(name: string, raw: string | readonly string[] | undefined): Parsed<string[] | undefined> {
  if (raw === undefined) return { value: undefined };
  const parts = (typeof raw === "string" ? [raw] : raw).flatMap((s) => s.split(/[,;\s]+/)).filter(Boolean);
  const bad = parts.filter((n) => !NODE_RE.test(n));
  if (bad.length > 0) return { problem: `${name}: ${bad.map(showValue).join(", ")} ${bad.length === 1 ? "is not a node name" : "are not node names"}; write e.g. pve1,pve2` };
  return { value: parts.length > 0 ? [...new Set(parts)] : undefined };
}

// Anything shaped like a PVE token secret (a UUID), with or without dashes.
const UUID_LIKE = /[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/gi;

/** Security: masks every UUID-shaped run, so a secret pasted into the wrong variable is not printed in an error. */
export function maskSecretLike(text: string): string {
  return text.replace(UUID_LIKE, "<secret hidden>");
}

/** A value shown in an error: short, one line, and masked. */
export function showValue(raw: string): string {
  const oneLine = maskSecretLike(raw).replace(/[\u0000-\u001f\u007f]/g, "?");
  return JSON.stringify(oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine);
}
