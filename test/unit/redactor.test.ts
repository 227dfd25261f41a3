import { describe, expect, test } from "bun:test";
import { Redactor } from "../../src/security/redactor.ts";
import { prng } from "../../src/sim/cluster.ts";

const SECRET = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

function redactor(): Redactor {
  const r = new Redactor();
  r.register(SECRET);
  return r;
}

describe("the redactor", () => {
  test("masks a registered secret wherever it appears", () => {
    expect(redactor().redact(`error: secret=${SECRET}!`)).toBe("error: secret=[REDACTED]!");
  });

  test("masks the URL-encoded form of a secret", () => {
    const r = new Redactor();
    r.register("a+b/c=d&e");
    expect(r.redact(`query=${encodeURIComponent("a+b/c=d&e")}`)).not.toContain("c%3Dd");
  });

  test("masks a PVEAPIToken header value it was never told about, keeping the token id", () => {
    const out = new Redactor().redact("echo: Authorization: PVEAPIToken=admin@pve!ci=11111111-2222-3333-4444-555555555555");
    expect(out).not.toContain("11111111-2222");
    expect(out).toContain("admin@pve!ci");
  });

  test("masks a UUID-form secret written after a token name", () => {
    expect(new Redactor().redact("token root@pam!mcp=11111111-2222-3333-4444-555555555555 failed")).not.toContain("11111111");
  });

  test("leaves ordinary UUIDs such as a VM's smbios uuid alone", () => {
    const text = "smbios1: uuid=7d3b1a2c-1111-2222-3333-444455556666";
    expect(new Redactor().redact(text)).toBe(text);
  });

  test("redacts deep copies without touching the original", () => {
    const original = { a: [{ b: `x ${SECRET}` }] };
    const copy = redactor().redactDeep(original);
    expect(JSON.stringify(copy)).not.toContain(SECRET);
    expect(original.a[0]?.b).toContain(SECRET);
  });

  test("ignores secrets too short to mask safely", () => {
    const r = new Redactor();
    r.register("ab");
    expect(r.redact("about")).toBe("about");
  });

  test("a message with nothing to mask is passed on as it is, without a copy", () => {
    const message = { jsonrpc: "2.0", id: 2, result: { tools: [{ name: "proxmox_status", description: "Cluster overview.", inputSchema: { type: "object" } }] } };
    expect(redactor().redactDeep(message)).toBe(message);
  });

  test("a secret deep in a message is masked in a copy, and the message is left as it was", () => {
    const message = { result: { content: [{ type: "text", text: `PVE said: ${SECRET}` }] } };
    const out = redactor().redactDeep(message);
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(message.result.content[0]?.text).toContain(SECRET);
  });

  test("the whole-message check agrees with masking string by string, for generated messages", () => {
    // Fragments chosen to defeat a check on serialized JSON: characters JSON escapes,
    // secrets holding them, and the words the header patterns look for.
    const tricky = 'a"b\\c\nd\u0001e';
    const r = new Redactor();
    r.register(SECRET);
    r.register(tricky);
    const parts = [SECRET, tricky, "PVEAPIToken=", "root@pam!mcp=", "Authorization: x", "authorization", "\n", '"', "\\", "\u2028", "\ud800", "plain", " ", "=", "!", "é", "11111111-2222-3333-4444-555555555555"];
    const random = prng(20261125);
    const pick = () => parts[Math.floor(random() * parts.length)] ?? "";
    const text = () => Array.from({ length: 1 + Math.floor(random() * 4) }, pick).join("");
    const stringByString = (value: unknown): unknown =>
      typeof value === "string" ? r.redact(value) : Array.isArray(value) ? value.map(stringByString) : value && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [r.redact(k), stringByString(v)])) : value;
    for (let i = 0; i < 2000; i++) {
      const message = { id: i, result: { [text()]: [text(), { note: text(), n: 1 }], text: text() } };
      expect(r.redactDeep(message)).toEqual(stringByString(message) as typeof message);
    }
  });
});

describe("masking a parsed PVE answer", () => {
  test("masks the secret in an answer without escapes, and returns the very value when there is nothing to mask", () => {
    const text = `{"data":[{"name":"a ${SECRET}"}]}`;
    expect(JSON.stringify(redactor().redactParsed(JSON.parse(text), text))).not.toContain(SECRET.slice(0, 12));
    const clean = JSON.parse('{"data":[{"name":"web-01"}]}');
    expect(redactor().redactParsed(clean, '{"data":[{"name":"web-01"}]}')).toBe(clean);
  });

  test("masks a secret the answer spells with JSON escapes", () => {
    const text = `{"data":{"d":"${SECRET.replaceAll("-", "\\u002d")}"}}`;
    expect(JSON.stringify(redactor().redactParsed(JSON.parse(text), text))).not.toContain(SECRET.slice(0, 12));
  });
});

describe("serializing a message for the wire", () => {
  test("a message with nothing to mask is its plain JSON", () => {
    const message = { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "VM 100 web-01: running" }] } };
    expect(redactor().serialize(message)).toBe(JSON.stringify(message));
  });

  test("a secret deep in a message, or half of it cut by a bound, is masked in the text", () => {
    const message = { jsonrpc: "2.0", id: 1, result: { structuredContent: { notes: [`key ${SECRET}`, `cut ${SECRET.slice(0, 14)}…`] } } };
    const text = redactor().serialize(message);
    expect(text).not.toContain(SECRET.slice(0, 12));
    expect(JSON.parse(text).result.structuredContent.notes[0]).toBe("key [REDACTED]");
  });
});
