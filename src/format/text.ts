// THE one way text from Proxmox or from inside a guest enters the text a model reads.
// Such text is data, written by whoever named a guest, wrote a note, or is root inside a
// VM: it must not forge a row, a line, a server notice, or a terminal escape, and it must
// not make an answer as large as the guest likes.
//
// - pveText(value, max): one line, control characters escaped, at most `max` characters
//   (plus a mark saying how much was cut), quoted when it starts like the server's own lines.
// - clipText(value, max): the same bound and escaping without the quoting, for structured content.
// - guestOutput(label, text, maxBytes): multi-line output from inside a guest as a labelled
//   block, every line prefixed, with the count of what was cut; pveOutput the same for
//   multi-line text from Proxmox (a task log).
// - capAnswer(text, maxChars): the last bound on a whole answer's text.

/** Characters that break a line or a table row, steer a terminal, or reorder what a person sees. */
// C0 controls, DEL, C1 controls (NEL among them), line/paragraph separators, bidi overrides
// and isolates, zero-width characters and the BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060\ufeff]/g;

const UNSAFE_ONE = new RegExp(UNSAFE.source);

/**
 * How the server's own lines begin ("Hint: …", "Note: …", "… 3 more not shown", a role
 * label a model may obey, markup). A value that begins like this is quoted, so that even
 * placed at the start of a line it reads as data, never as the server speaking.
 */
const SPEAKS_LIKE_SERVER =
  /^\s*(?:(?:hint|note|notice|warning|warn|error|errors|info|important|attention|caution|refused|not done|done|ok|success|system|server|assistant|user|tool|tools|developer|instruction|instructions|proxmox|proxmox[-_ ]?mcp|mcp|admin|administrator|security|action required|next step|next steps)\b\s*[:>\]]|[#>[<…|`*=~]|-{2,})/i;

/** The longest a cut mark can be: "…[+999999999 chars]". */
const MARK_ROOM = 20;

function escapeChar(ch: string): string {
  switch (ch) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return " ";
    default: {
      const code = ch.codePointAt(0) ?? 0;
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    }
  }
}

/** Control and invisible characters made visible and harmless; lone surrogates replaced. */
export function escapeControls(text: string): string {
  return text.toWellFormed().replace(UNSAFE, escapeChar);
}

/**
 * A value from Proxmox or a guest bounded for structured content: control characters
 * escaped, lone surrogates replaced, at most `max` characters kept and the cut said.
 * Not quoted: use pveText for anything that goes into text content.
 */
export function clipText(value: unknown, max = 200): string {
  if (value === undefined || value === null) return "";
  const raw = typeof value === "string" ? value : typeof value === "object" ? safeJson(value) : String(value);
  const limit = Math.max(1, Math.floor(max));
  if (raw.length <= limit && !UNSAFE_ONE.test(raw) && raw.isWellFormed()) return raw;
  // Security: walk only as far as the bound (cheap even for a 2 MB value), escaping as we go;
  // an escape is never split, and a surrogate pair is never cut in half.
  let out = "";
  let used = 0;
  for (const ch of raw) {
    const piece = ch.length === 1 && ch >= "\ud800" && ch <= "\udfff" ? "\ufffd" : UNSAFE_ONE.test(ch) ? escapeChar(ch) : ch;
    if (out.length + piece.length > limit) break;
    out += piece;
    used += ch.length;
  }
  const cut = raw.length - used;
  return cut > 0 ? `${out}…[+${cut} chars]` : out;
}

/**
 * A free-text value from Proxmox (a name, description, note, task log line, error message,
 * config value) fit to go into one line of text: control characters escaped, at most
 * `max` characters of the value kept, the cut said, and quoted when it would otherwise
 * start like one of the server's own lines.
 */
export function pveText(value: unknown, max = 200): string {
  const out = clipText(value, max);
  return SPEAKS_LIKE_SERVER.test(out) ? `"${out.replaceAll('"', '\\"')}"` : out;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return "[unprintable value]";
  }
}

const encoder = new TextEncoder();

/**
 * Output from inside a guest (what its agent or its root user wrote) as a labelled block.
 * Every line is prefixed with "| ", so none can pass for a line of the server's own; control
 * characters are escaped; at most `maxBytes` of UTF-8 is kept and the end line says how much
 * was cut.
 */
export function guestOutput(label: string, text: unknown, maxBytes = 8 * 1024): string {
  return block(`guest output: ${pveText(label, 80)} — written inside the guest, not by proxmox-mcp`, `guest output: ${pveText(label, 80)}`, text, maxBytes);
}

/** Multi-line text from Proxmox (a task log) as a labelled block, like guestOutput. */
export function pveOutput(label: string, text: unknown, maxBytes = 32 * 1024): string {
  return block(`${pveText(label, 80)} — text from Proxmox, not from proxmox-mcp`, pveText(label, 80), text, maxBytes);
}

function block(head: string, name: string, text: unknown, maxBytes: number): string {
  const raw = text === undefined || text === null ? "" : typeof text === "string" ? text : Array.isArray(text) ? text.map(String).join("\n") : safeJson(text as object);
  const total = encoder.encode(raw).length;
  let kept = raw;
  if (total > maxBytes) {
    // Cut on a character boundary within the byte budget.
    const bytes = encoder.encode(raw).subarray(0, Math.max(0, maxBytes));
    kept = new TextDecoder("utf-8", { fatal: false }).decode(bytes).replace(/\ufffd$/, "");
  }
  const lines = kept.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length > 1 && lines.at(-1) === "") lines.pop();
  const body = lines.map((line) => `| ${escapeControls(line)}`);
  const cutBytes = total - encoder.encode(kept).length;
  const end = cutBytes > 0 ? `[end of ${name}; ${cutBytes} of ${total} bytes cut]` : `[end of ${name}]`;
  return [`[${head}]`, ...body, end].join("\n");
}

/** The most text one answer may carry; structured content is bounded field by field. */
export const MAX_ANSWER_CHARS = 256 * 1024;

/** A whole answer's text, cut at `maxChars` on a line boundary where one is near, saying what was cut. */
export function capAnswer(text: string, maxChars = MAX_ANSWER_CHARS): string {
  if (text.length <= maxChars) return text;
  const room = Math.max(0, maxChars - MARK_ROOM * 4);
  let at = text.lastIndexOf("\n", room);
  if (at < room * 0.9) at = room;
  if (/[\ud800-\udbff]/.test(text[at - 1] ?? "")) at--;
  const cut = text.length - at;
  return `${text.slice(0, at)}\n… answer cut: ${cut} of ${text.length} characters not shown (a size cap of ${maxChars}); narrow the request to see the rest.`;
}
