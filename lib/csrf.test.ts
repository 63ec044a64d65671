import { describe, expect, it } from "vitest";
import { crossSiteRefusal, originPolicy } from "./csrf";
import { parseEnv } from "./env";

describe("crossSiteRefusal", () => {
  const base = { method: "POST", origin: "http://127.0.0.1:3100", secFetchSite: "same-origin", host: "127.0.0.1:3100", trustedOrigins: ["http://127.0.0.1:3100"] };

  it("allows reads whatever their origin", () => {
    expect(crossSiteRefusal({ ...base, method: "GET", origin: "https://evil.example", secFetchSite: "cross-site" })).toBeNull();
  });

  it("allows a write from a trusted origin", () => {
    expect(crossSiteRefusal(base)).toBeNull();
    for (const method of ["PUT", "PATCH", "DELETE", "post"]) expect(crossSiteRefusal({ ...base, method })).toBeNull();
    const behindProxy = { ...base, origin: "https://demo.example.com", secFetchSite: null, host: "10.0.0.5:3000" };
    expect(crossSiteRefusal({ ...behindProxy, trustedOrigins: ["https://app.example.com", "https://demo.example.com"] })).toBeNull();
  });

  it("refuses a write from another origin, by Origin or by Sec-Fetch-Site", () => {
    expect(crossSiteRefusal({ ...base, origin: "https://evil.example", secFetchSite: null })).toMatch(/cross-site request refused.*evil.* is not a trusted origin/);
    expect(crossSiteRefusal({ ...base, origin: "http://127.0.0.1:3101", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "https://127.0.0.1:3100", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "cross-site" })).toMatch(/Sec-Fetch-Site: cross-site/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "same-site" })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "null", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "not a url", secFetchSite: null })).toMatch(/refused/);
  });

  it("does not trust an Origin for naming the Host the request was sent to: a rebound domain does that", () => {
    // evil.example resolves to this server: the victim's browser sends its own name as Host, and same-origin.
    const rebound = { ...base, origin: "http://evil.example:3100", host: "evil.example:3100" };
    expect(crossSiteRefusal(rebound)).toMatch(/refused.*evil\.example:3100/);
    expect(crossSiteRefusal({ ...base, origin: "http://localhost:3100", host: "localhost:3100" })).toMatch(/refused/);
  });

  it("in development, trusts an Origin equal to the Host when that host is this machine, and only then", () => {
    const dev = { ...base, trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: true };
    for (const host of ["localhost:3001", "127.0.0.1:3001", "127.1.2.3:3001", "app.localhost:3001", "[::1]:3001"]) {
      expect(crossSiteRefusal({ ...dev, origin: `http://${host}`, host }), host).toBeNull();
    }
    expect(crossSiteRefusal({ ...dev, origin: "http://localhost", host: "localhost:80" })).toBeNull();
    // Not this machine's name (a rebinding attack's, or a LAN address: list it in ALLOWED_ORIGINS), or another port.
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

  it("allows a write with neither header (not a browser: no victim's cookie to ride)", () => {
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: null })).toBeNull();
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: "none" })).toBeNull();
  });
});

describe("originPolicy", () => {
  it("trusts APP_URL's origin and ALLOWED_ORIGINS, and the Host (on this machine) in development only", () => {
    const production = parseEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build", APP_URL: "https://demo.example.com/app/", ALLOWED_ORIGINS: "https://www.demo.example.com, http://10.0.0.5:8080/" });
    expect(originPolicy(production)).toEqual({ trustedOrigins: ["https://demo.example.com", "https://www.demo.example.com", "http://10.0.0.5:8080"], trustOwnLoopbackHost: false });
    expect(originPolicy(parseEnv({ NODE_ENV: "test" }))).toEqual({ trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: false });
    expect(originPolicy(parseEnv({ NODE_ENV: "development" }))).toEqual({ trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: true });
  });
});
