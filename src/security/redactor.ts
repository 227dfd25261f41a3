// Every string that leaves the process passes through a Redactor: tool results, error
// text, log lines. Registered secrets are masked wherever they appear, and so is anything
// shaped like a PVE token header, so a secret we were never told about (a second
// instance's, one echoed back by a proxy) is masked too.

const MASK = "[REDACTED]";

// Security: PVE and proxies sometimes echo the Authorization header in error bodies.
// "PVEAPIToken=user@realm!name=SECRET" → keep the token id, mask what follows its last '='.
const TOKEN_HEADER = /PVEAPIToken[= ]([^\s=;,"']+)=([^\s;,"'&]+)/gi;
// A UUID-form secret right after a token name, e.g. in "root@pam!mcp=aaaaaaaa-bbbb-…".
const TOKEN_UUID = /(![A-Za-z][A-Za-z0-9._-]*[=:]\s*)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const AUTH_HEADER = /(authorization["']?\s*[:=](?![\s"']*(?:\[REDACTED\]|PVEAPIToken))\s*["']?)[^"'\r\n,}]+/gi;
// What each of the three patterns must contain, in characters JSON never escapes: text
// without any of these cannot match them, raw or serialized. Nearly all text is such text.
const MAY_MATCH_PATTERN = /pveapitoken|authorization|![A-Za-z][A-Za-z0-9._-]*[=:]/i;

/** A run of a secret this long is a leak; shorter runs are too common to mask. */
export const WINDOW = 12;
/** Probes: every WINDOW-long run of a secret holds one of its PROBE-long pieces at these offsets. */
const PROBE = WINDOW / 2;

export class Redactor {
  private secrets: string[] = [];
  /** The secrets as they appear inside a JSON string, for the whole-message check. */
  private inJson: string[] = [];
  /** Forms at least WINDOW long: any WINDOW-long run of them is masked (a cut field leaves one). */
  private windowed: string[] = [];
  /** Pieces of `windowed` (and their JSON forms) that every such run contains. */
  private probes: string[] = [];

  /**
   * Registers a secret; its raw, URL-encoded and JSON-escaped forms are masked from now on.
   * `minLength` keeps ordinary words from being masked: PVE token secrets are UUIDs.
   */
  register(secret: string | undefined, minLength = 6): void {
    if (!secret || secret.length < minLength) return;
    // A lone surrogate cannot be URL-encoded; mask the well-formed text instead of throwing.
    const wellFormed = secret.toWellFormed();
    for (const form of new Set([secret, wellFormed, encodeURIComponent(wellFormed), JSON.stringify(secret).slice(1, -1)])) {
      if (!this.secrets.includes(form)) this.secrets.push(form);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
    this.inJson = this.secrets.map((form) => JSON.stringify(form).slice(1, -1));
    this.windowed = this.secrets.filter((form) => form.length >= WINDOW);
    const probes = new Set<string>();
    for (const form of [...this.windowed, ...this.inJson.filter((form) => form.length >= WINDOW)]) {
      // A window [i, i+WINDOW) holds the piece starting at the next multiple of PROBE.
      for (let at = 0; at + PROBE <= form.length; at += PROBE) probes.add(form.slice(at, at + PROBE));
      probes.add(form.slice(-PROBE));
    }
    this.probes = [...probes];
  }

  /**
   * A redactor that also masks `extra`, for one call's own secrets (a guest password).
   * Scoped to the call, so any length counts: PVE accepts 5-character passwords.
   */
  withExtra(extra: readonly string[]): Redactor {
    const child = new Redactor();
    child.secrets = [...this.secrets];
    child.inJson = [...this.inJson];
    child.windowed = [...this.windowed];
    child.probes = [...this.probes];
    for (const secret of extra) child.register(secret, 1);
    return child;
  }

  /** Masks every run of a registered secret at least WINDOW characters long (what a cut leaves). */
  private maskRuns(text: string): string {
    if (!this.probes.some((probe) => text.includes(probe))) return text;
    const ranges: [number, number][] = [];
    for (const form of this.windowed) {
      for (let i = 0; i + WINDOW <= form.length; i++) {
        const piece = form.slice(i, i + WINDOW);
        for (let at = text.indexOf(piece); at >= 0; at = text.indexOf(piece, at + 1)) {
          // Grow the run both ways as far as text and secret agree.
          let start = at;
          let end = at + WINDOW;
          let j = i;
          while (start > 0 && j > 0 && text[start - 1] === form[j - 1]) {
            start--;
            j--;
          }
          let k = i + WINDOW;
          while (end < text.length && k < form.length && text[end] === form[k]) {
            end++;
            k++;
          }
          ranges.push([start, end]);
        }
      }
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = "";
    let last = 0;
    for (const [start, end] of ranges) {
      if (end <= last) continue;
      out += text.slice(last, Math.max(last, start)) + (start >= last ? MASK : "");
      last = end;
    }
    return out + text.slice(last);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    // Security: a field cut at 60 or 300 characters leaves part of a secret; the window catches it.
    out = this.maskRuns(out);
    if (!MAY_MATCH_PATTERN.test(out)) return out;
    return out
      .replace(TOKEN_HEADER, (_m, id: string) => `PVEAPIToken=${id}=${MASK}`)
      .replace(TOKEN_UUID, (_m, prefix: string) => `${prefix}${MASK}`)
      .replace(AUTH_HEADER, (_m, prefix: string) => `${prefix}${MASK}`);
  }

  /**
   * A redacted deep copy, or the value itself when nothing in it needs masking; the input
   * is never mutated (it may be shared state).
   */
  redactDeep<T>(value: T): T {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined; // cycles or BigInt: walk it
    }
    if (json !== undefined && this.rulesOut(json)) return value;
    return this.walk(value, 0) as T;
  }

  /**
   * The value as JSON text, masked: what a transport writes. Serialized once when nothing in
   * it needs masking, which is nearly always; throws as JSON.stringify does.
   */
  serialize(value: unknown): string {
    const json = JSON.stringify(value);
    return this.rulesOut(json) ? json : JSON.stringify(this.walk(value, 0));
  }

  /**
   * True when the serialized form of a value holds nothing to mask. JSON escapes each
   * character on its own, so a string holding a secret serializes to text holding the
   * secret's escaped form: one scan of the whole message rules out every string in it
   * (tools/list, a 10,000-guest answer) instead of three regexes per string.
   */
  private rulesOut(json: string): boolean {
    return !this.inJson.some((form) => json.includes(form)) && !this.probes.some((probe) => json.includes(probe)) && !MAY_MATCH_PATTERN.test(json);
  }

  /**
   * Like redactDeep for a value just parsed from `text`. When the text holds no backslash,
   * every string in the value appears in it character for character, so the text itself
   * rules the value out and no second serialization is made (a 10,000-guest inventory is
   * megabytes). Text with escapes (which could spell a secret as "\u002d") takes the walk.
   */
  redactParsed<T>(value: T, text: string): T {
    if (!text.includes("\\") && !this.secrets.some((form) => text.includes(form)) && !this.probes.some((probe) => text.includes(probe)) && !MAY_MATCH_PATTERN.test(text)) return value;
    return this.redactDeep(value);
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.redact(value);
    if (depth > 64 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item) => this.walk(item, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[this.redact(key)] = this.walk(item, depth + 1);
    return copy;
  }
}
