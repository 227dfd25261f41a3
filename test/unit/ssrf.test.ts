// The download guard, written as the attacks it stops: a model pointing the Proxmox node at
// loopback, cloud metadata, the admin's private network, or a name that resolves there.
import { describe, expect, test } from "bun:test";
import { checkPublicHost, forbiddenAddress } from "../../src/security/ssrf.ts";

const resolvesTo = (...addresses: string[]) => async () => addresses;

describe("SSRF guard for proxmox_download_to_storage", () => {
  for (const [address, reason] of [
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "link-local"],
    ["10.0.0.5", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.254", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared (carrier-grade NAT)"],
    ["0.0.0.0", "this-network"],
    ["224.0.0.251", "multicast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fd12:3456::1", "unique local (private)"],
  ] as const) {
    test(`refuses ${address} (${reason})`, () => {
      expect(forbiddenAddress(address)).toBe(reason);
    });
  }

  test("refuses loopback hidden in an IPv4-mapped IPv6 address", () => {
    expect(forbiddenAddress("::ffff:127.0.0.1")).toContain("loopback");
    expect(forbiddenAddress("::ffff:7f00:1")).toContain("loopback");
  });

  test("refuses a private address behind NAT64 and 6to4", () => {
    expect(forbiddenAddress("64:ff9b::a00:5")).toContain("private");
    expect(forbiddenAddress("2002:c0a8:0101::1")).toContain("private");
  });

  test("allows public addresses", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "198.51.100.7", "2606:4700::1111", "2001:db8::1"]) expect(forbiddenAddress(address)).toBeUndefined();
  });

  test("refuses localhost and its subdomains without asking DNS", async () => {
    const never = async () => {
      throw new Error("must not resolve");
    };
    expect(await checkPublicHost("localhost", never)).toContain("loopback");
    expect(await checkPublicHost("evil.localhost", never)).toContain("loopback");
  });

  test("refuses a public-looking name that resolves to cloud metadata", async () => {
    expect(await checkPublicHost("images.example.com", resolvesTo("169.254.169.254"))).toBe("images.example.com resolves to 169.254.169.254 (link-local)");
  });

  test("refuses a name when any one of its addresses is private", async () => {
    expect(await checkPublicHost("mirror.example.com", resolvesTo("93.184.216.34", "10.1.2.3"))).toContain("10.1.2.3 (private)");
  });

  test("refuses a name that does not resolve: what cannot be checked is not sent", async () => {
    const fails = async () => {
      throw new Error("ENOTFOUND");
    };
    expect(await checkPublicHost("nowhere.invalid", fails)).toContain("does not resolve");
    expect(await checkPublicHost("empty.example.com", resolvesTo())).toContain("does not resolve");
  });

  test("allows a name whose every address is public", async () => {
    expect(await checkPublicHost("cloud-images.ubuntu.com", resolvesTo("185.125.190.37", "2620:2d:4000:1::17"))).toBeUndefined();
  });

  test("an IPv6 literal in brackets is checked as an address", async () => {
    expect(await checkPublicHost("[::1]")).toContain("loopback");
    expect(await checkPublicHost("[fe80::1]")).toContain("link-local");
  });
});
