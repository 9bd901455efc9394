import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cidrContains, parseCidr, parseIp } from "./ip.ts";

describe("addresses and ranges", () => {
  const cases: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.200.3.4", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.0/25", "192.168.1.127", true],
    ["192.168.1.0/25", "192.168.1.128", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["10.0.0.9", "10.0.0.9", true],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["2001:db8::/32", "2001:db8:0:0:0:0:0:7", true],
    ["2001:db8::/33", "2001:db8:8000::1", false],
    ["::1", "::1", true],
    ["fe80::/10", "fe80::1%eth0", true],
    // An IPv4-mapped IPv6 address is the IPv4 address it carries.
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["::ffff:10.0.0.0/104", "10.9.9.9", true],
  ];
  for (const [range, ip, expected] of cases) {
    test(`${ip} in ${range} is ${expected}`, () => {
      const r = parseCidr(range);
      const a = parseIp(ip);
      assert.ok(r && a);
      assert.equal(cidrContains(r, a), expected);
    });
  }

  test("what is not an address", () => {
    for (const text of [
      "",
      "laptop.example",
      "256.1.1.1",
      "1.2.3",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      ":0",
      "gggg::1",
    ]) {
      assert.equal(parseIp(text), undefined, text);
    }
    for (const text of ["10.0.0.0/33", "::/129", "10.0.0.0/x", "x/8"]) {
      assert.equal(parseCidr(text), undefined, text);
    }
  });
});
