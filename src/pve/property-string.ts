// PVE packs many settings into property strings: "virtio,bridge=vmbr0", "local:iso/x.iso,media=cdrom".
// PVE splits them on ',' and each part on '=', so a value holding either (an iso named
// "x.iso,media=disk", a bridge "vmbr0,firewall=0") would add options the caller never chose.
// Every property string this server sends is built here, and no value may hold a separator.
import { InputError } from "../errors.ts";

/** What splits a property string (',' between options, '=' in key=value, ';' in lists), and what no value needs. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const SEPARATOR = /[,=;\s\u0000-\u001f\u007f]/;

/** One part: a positional value (key null) or key=value, and the argument it came from (for the error). */
export type PropertyPart = readonly [key: string | null, value: string | number, from?: string];

/**
 * "key=value,key=value" from parts; a part whose value is undefined is left out.
 * Security: refuses (InputError, before any request goes out) a value holding a separator.
 */
export function propertyString(parts: readonly (PropertyPart | undefined | false)[]): string {
  const out: string[] = [];
  for (const part of parts) {
    if (!part) continue;
    const [key, value, from] = part;
    const text = String(value);
    if (text === "" || SEPARATOR.test(text)) {
      const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
      throw new InputError(
        `${from ?? key ?? "a value"} ${text === "" ? "must not be empty" : `must not contain ',', '=', ';', spaces or control characters (they separate the options of a Proxmox property string): got ${shown}`}.`,
        "Give the value alone, e.g. local:iso/debian-12.iso or vmbr0; the tool sets the other options itself.",
      );
    }
    out.push(key === null ? text : `${key}=${text}`);
  }
  return out.join(",");
}
