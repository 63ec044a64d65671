import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { CROSS_SITE_MESSAGE, crossSiteRefusal, normalizeOrigins, requestCrossSiteRefusal } from "./origin.js";

describe("crossSiteRefusal", () => {
  const base = { method: "POST", origin: "http://127.0.0.1:3100", secFetchSite: "same-origin", host: "127.0.0.1:3100", trustedOrigins: ["http://127.0.0.1:3100"] };

  it("allows reads whatever their origin", () => {
    expect(crossSiteRefusal({ ...base, method: "GET", origin: "https://evil.example", secFetchSite: "cross-site" })).toBeNull();
    expect(crossSiteRefusal({ ...base, method: "HEAD", secFetchSite: "cross-site" })).toBeNull();
  });

  it("allows a write from a trusted origin, in any method's spelling", () => {
    expect(crossSiteRefusal(base)).toBeNull();
    for (const method of ["PUT", "PATCH", "DELETE", "post"]) expect(crossSiteRefusal({ ...base, method })).toBeNull();
    const behindProxy = { ...base, origin: "https://demo.example.com", secFetchSite: null, host: "10.0.0.5:3000" };
    expect(crossSiteRefusal({ ...behindProxy, trustedOrigins: ["https://app.example.com", "https://demo.example.com"] })).toBeNull();
  });

  it("refuses a write from another origin, by Origin or by Sec-Fetch-Site, saying so", () => {
    expect(crossSiteRefusal({ ...base, origin: "https://evil.example", secFetchSite: null })).toBe(`${CROSS_SITE_MESSAGE} (Origin: https://evil.example is not a trusted origin)`);
    expect(CROSS_SITE_MESSAGE).toMatch(/^cross-site request refused: /);
    expect(crossSiteRefusal({ ...base, origin: "http://127.0.0.1:3101", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "https://127.0.0.1:3100", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "cross-site" })).toMatch(/Sec-Fetch-Site: cross-site/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "same-site" })).toMatch(/Sec-Fetch-Site: same-site/);
    expect(crossSiteRefusal({ ...base, origin: "null", secFetchSite: null })).toMatch(/Origin: null/);
    expect(crossSiteRefusal({ ...base, origin: "not a url", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "file:///etc", secFetchSite: null })).toMatch(/refused/);
  });

  it("does not trust an Origin for naming the Host the request was sent to: a rebound domain does that", () => {
    // evil.example resolves to this server: the victim's browser sends its own name as Host, and same-origin.
    const rebound = { ...base, origin: "http://evil.example:3100", host: "evil.example:3100" };
    expect(crossSiteRefusal(rebound)).toMatch(/refused.*evil\.example:3100/);
    expect(crossSiteRefusal({ ...base, origin: "http://localhost:3100", host: "localhost:3100" })).toMatch(/refused/);
  });

  it("with trustOwnLoopbackHost, trusts an Origin equal to the Host when that host is this machine, and only then", () => {
    const dev = { ...base, trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: true };
    for (const host of ["localhost:3001", "127.0.0.1:3001", "127.1.2.3:3001", "app.localhost:3001", "[::1]:3001"]) {
      expect(crossSiteRefusal({ ...dev, origin: `http://${host}`, host }), host).toBeNull();
    }
    expect(crossSiteRefusal({ ...dev, origin: "http://localhost", host: "localhost:80" })).toBeNull();
    // Not this machine's name (a rebinding attack's, or a LAN address: list it among the trusted origins), or another port.
    for (const [origin, host] of [
      ["http://evil.example:3001", "evil.example:3001"],
      ["http://192.168.1.5:3001", "192.168.1.5:3001"],
      ["http://localhost.evil.example:3001", "localhost.evil.example:3001"],
      ["http://127.0.0.1.nip.io:3001", "127.0.0.1.nip.io:3001"],
      ["http://localhost:5173", "localhost:3001"],
      ["http://localhost:3001", null],
      ["http://localhost:3001", "local host"],
    ] as const) {
      expect(crossSiteRefusal({ ...dev, origin, host }), `${origin} → ${host}`).toMatch(/refused/);
    }
  });

  it("allows a write with neither header (not a browser: no victim's cookie rides along), or typed by the user", () => {
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: null })).toBeNull();
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: "none" })).toBeNull();
  });
});

describe("requestCrossSiteRefusal", () => {
  const post = (headers: Record<string, string>) => new Request("http://127.0.0.1:3100/api/admin/queues/default/pause", { method: "POST", headers });

  it("trusts the request's own origin when no policy is given, and only the policy's otherwise", () => {
    expect(requestCrossSiteRefusal(post({ origin: "http://127.0.0.1:3100", "sec-fetch-site": "same-origin" }))).toBeNull();
    expect(requestCrossSiteRefusal(post({ origin: "http://evil.example" }))).toMatch(/refused/);
    expect(requestCrossSiteRefusal(post({ origin: "http://127.0.0.1:3100" }), { trustedOrigins: ["https://ops.example.com"] })).toMatch(/refused/);
    expect(requestCrossSiteRefusal(post({ origin: "https://ops.example.com" }), { trustedOrigins: ["https://ops.example.com"] })).toBeNull();
  });

  it("reads the Host header for trustOwnLoopbackHost", () => {
    const dev = { trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: true };
    expect(requestCrossSiteRefusal(post({ origin: "http://localhost:3001", host: "localhost:3001" }), dev)).toBeNull();
    expect(requestCrossSiteRefusal(post({ origin: "http://localhost:3001", host: "localhost:3002" }), dev)).toMatch(/refused/);
  });
});

describe("normalizeOrigins", () => {
  it("spells each origin as URL.origin does, and refuses what is not an http(s) origin", () => {
    expect(normalizeOrigins(["https://Ops.Example.com/", "http://10.0.0.5:8080/path"])).toEqual(["https://ops.example.com", "http://10.0.0.5:8080"]);
    expect(() => normalizeOrigins(["ops.example.com"])).toThrow(ConfigError);
    expect(() => normalizeOrigins(["ftp://ops.example.com"])).toThrow(/not an http\(s\) origin/);
  });
});
