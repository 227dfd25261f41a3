import { describe, expect, test } from "bun:test";
import { Redactor } from "../../src/security/redactor.ts";

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
});
