// The API token secret as pasted. Common paste mistakes pass a shape check and end in a 401
// that suggests the token was deleted; each is recognised here and explained at start-up.
// Security: no problem text quotes the pasted value.

const TOKEN_ID_RE = /^(([^\s:/]+)@([A-Za-z][A-Za-z0-9.\-_]+))!([A-Za-z][A-Za-z0-9.\-_]+)$/;
const WHAT_TO_PASTE = "paste only the secret PVE showed once when the token was created, a UUID (36 characters: 8-4-4-4-12 hex digits)";

export type SecretCheck = { secret: string } | { problem: string };

/**
 * Checks a secret taken from `source` (a variable name, or "<VAR> (path)" for a file).
 * A file may end with one line break (what `echo` or an editor writes); nothing else around
 * the secret is accepted.
 */
export function checkSecret(source: string, raw: string, fromFile: boolean): SecretCheck {
  const value = fromFile ? raw.replace(/\r?\n$/, "") : raw;
  const inner = value.trim();
  if (inner === "") return { problem: fromFile ? `${source} is empty; ${WHAT_TO_PASTE}` : `${source} is empty` };
  if (/^PVEAPIToken[=\s]/i.test(inner) || /^Authorization:/i.test(inner) || /PVEAPIToken=/i.test(inner)) {
    return { problem: `${source} holds a whole Authorization header (PVEAPIToken=user@realm!name=secret); put user@realm!name in PROXMOX_TOKEN_ID and ${WHAT_TO_PASTE}` };
  }
  if (/^(["'`]).*\1$/s.test(inner)) {
    return { problem: `${source} is wrapped in quotes, which would be sent as part of the secret; remove them and ${WHAT_TO_PASTE}` };
  }
  if (value !== inner) {
    return { problem: `${source} has spaces or line breaks around the secret, which would be sent as part of it; ${WHAT_TO_PASTE}` };
  }
  if (/\s/.test(inner)) {
    return { problem: `${source} holds more than one word or line; ${WHAT_TO_PASTE}` };
  }
  const eq = inner.lastIndexOf("=");
  if (eq > 0 && TOKEN_ID_RE.test(inner.slice(0, eq))) {
    return { problem: `${source} holds the token id and the secret joined by '='; put the part before '=' (user@realm!name) in PROXMOX_TOKEN_ID and only the part after it in the secret` };
  }
  if (TOKEN_ID_RE.test(inner)) {
    return { problem: `${source} holds a token id (user@realm!name), not the secret; the id goes in PROXMOX_TOKEN_ID, and for the secret ${WHAT_TO_PASTE}` };
  }
  return { secret: inner };
}

/** PROXMOX_TOKEN_ID paste mistakes that a shape check alone would describe vaguely. */
export function tokenIdMistake(name: string, raw: string): string | undefined {
  const value = raw.trim();
  if (/PVEAPIToken/i.test(value)) return `${name} holds a whole Authorization header; it takes only user@realm!tokenname, e.g. mcp@pve!agent, and the secret goes in PROXMOX_TOKEN_SECRET`;
  const eq = value.indexOf("=");
  if (eq > 0 && TOKEN_ID_RE.test(value.slice(0, eq))) return `${name} holds the secret too (after '='); keep only the part before '=', e.g. mcp@pve!agent, and put the secret in PROXMOX_TOKEN_SECRET`;
  if (/^[^\s@!]+@[A-Za-z][A-Za-z0-9.\-_]+$/.test(value)) return `${name} names a user but no token; add the token's name after '!', e.g. ${value}!agent (see README: Create a Proxmox API token)`;
  return undefined;
}
