import { describe, expect, it } from "vitest";
import { addressBucket, CLIENT_ADDRESS_HEADER, clientAddress, UNKNOWN_ADDRESS } from "@/lib/client-address";

function request(headers: Record<string, string>): Request {
  return new Request("http://test/api/login", { method: "POST", headers });
}

describe("addressBucket", () => {
  it("counts an IPv4 address as itself, an IPv4-mapped IPv6 one as its IPv4 address", () => {
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("::ffff:cb00:7107")).toBe("203.0.113.7");
    expect(addressBucket(" [::ffff:127.0.0.1] ")).toBe("127.0.0.1");
  });

  it("counts an IPv6 address as its /64, however it is spelled", () => {
    const bucket = "2001:db8:1:2::/64";
    for (const spelling of ["2001:db8:1:2::1", "2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:DB8:1:2:0:0:0:0", "[2001:db8:1:2::abcd]", "2001:db8:1:2::1%eth0"]) {
      expect(addressBucket(spelling), spelling).toBe(bucket);
    }
    expect(addressBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("64:ff9b::203.0.113.7")).toBe("64:ff9b:0:0::/64");
  });

  it("is undefined for what is no IP address", () => {
    for (const text of ["", "unknown", "example.com", "1.2.3", "1.2.3.4.5", "300.1.1.1", "2001:db8::1::2", "12345::1", "<script>"]) {
      expect(addressBucket(text), text).toBeUndefined();
    }
  });
});

describe("clientAddress", () => {
  const socket = { [CLIENT_ADDRESS_HEADER]: "198.51.100.1" };

  it("is the socket's address (the header lib/server-boot.ts writes); X-Forwarded-For is ignored without TRUST_PROXY", () => {
    expect(clientAddress(request(socket), 0)).toBe("198.51.100.1");
    expect(clientAddress(request({ ...socket, "x-forwarded-for": "203.0.113.9" }), 0)).toBe("198.51.100.1");
    expect(clientAddress(request({ "x-forwarded-for": "203.0.113.9" }), 0)).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress(request({}), 0)).toBe(UNKNOWN_ADDRESS);
  });

  it("with TRUST_PROXY=n, is the n-th X-Forwarded-For entry from the right: the one the outermost trusted proxy wrote", () => {
    const forwarded = { ...socket, "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.2" };
    expect(clientAddress(request(forwarded), 1)).toBe("10.0.0.2");
    expect(clientAddress(request(forwarded), 2)).toBe("203.0.113.9");
    // Fewer entries than proxies: the leftmost there is.
    expect(clientAddress(request({ ...socket, "x-forwarded-for": "203.0.113.9" }), 3)).toBe("203.0.113.9");
  });

  it("with TRUST_PROXY, falls back to the socket's address when there is no X-Forwarded-For or its entry is no address", () => {
    expect(clientAddress(request(socket), 1)).toBe("198.51.100.1");
    expect(clientAddress(request({ ...socket, "x-forwarded-for": "203.0.113.9, garbage" }), 1)).toBe("198.51.100.1");
    expect(clientAddress(request({ ...socket, "x-forwarded-for": " , " }), 1)).toBe("198.51.100.1");
  });
});
