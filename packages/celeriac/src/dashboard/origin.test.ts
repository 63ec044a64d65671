import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { crossSiteRefusal, normalizeOrigins, requestCrossSiteRefusal } from "./origin.js";

describe("crossSiteRefusal: the dashboard's writes come from its own pages", () => {
  const base = { method: "POST", origin: "http://127.0.0.1:3100", secFetchSite: "same-origin", trustedOrigins: ["http://127.0.0.1:3100"] };

  it("allows reads whatever their origin", () => {
    expect(crossSiteRefusal({ ...base, method: "GET", origin: "https://evil.example", secFetchSite: "cross-site" })).toBeNull();
    expect(crossSiteRefusal({ ...base, method: "HEAD", secFetchSite: "cross-site" })).toBeNull();
  });

  it("allows a write from a trusted origin, in any method's spelling", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "post"]) expect(crossSiteRefusal({ ...base, method })).toBeNull();
    expect(crossSiteRefusal({ ...base, origin: "https://ops.example.com", secFetchSite: null, trustedOrigins: ["https://a.example", "https://ops.example.com"] })).toBeNull();
  });

  it("refuses a write from another origin, by Origin or by Sec-Fetch-Site", () => {
    expect(crossSiteRefusal({ ...base, origin: "https://evil.example", secFetchSite: null })).toMatch(/cross-site request refused.*evil\.example is not a trusted origin/);
    expect(crossSiteRefusal({ ...base, origin: "http://127.0.0.1:3101", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "https://127.0.0.1:3100", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "cross-site" })).toMatch(/Sec-Fetch-Site: cross-site/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "same-site" })).toMatch(/Sec-Fetch-Site: same-site/);
    expect(crossSiteRefusal({ ...base, origin: "null", secFetchSite: null })).toMatch(/Origin: null/);
    expect(crossSiteRefusal({ ...base, origin: "not a url", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "file:///etc", secFetchSite: null })).toMatch(/refused/);
  });

  it("allows a write with neither header (not a browser: no victim's cookie rides along), or typed by the user", () => {
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: null })).toBeNull();
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: "none" })).toBeNull();
  });
});

describe("requestCrossSiteRefusal", () => {
  const post = (headers: Record<string, string>) => new Request("http://127.0.0.1:3100/api/admin/queues/default/pause", { method: "POST", headers });

  it("trusts the request's own origin when no trustedOrigins are given, and only the given ones otherwise", () => {
    expect(requestCrossSiteRefusal(post({ origin: "http://127.0.0.1:3100", "sec-fetch-site": "same-origin" }), undefined)).toBeNull();
    expect(requestCrossSiteRefusal(post({ origin: "http://evil.example" }), undefined)).toMatch(/refused/);
    expect(requestCrossSiteRefusal(post({ origin: "http://127.0.0.1:3100" }), ["https://ops.example.com"])).toMatch(/refused/);
    expect(requestCrossSiteRefusal(post({ origin: "https://ops.example.com" }), ["https://ops.example.com"])).toBeNull();
  });
});

describe("normalizeOrigins", () => {
  it("spells each origin as URL.origin does, and refuses what is not an http(s) origin", () => {
    expect(normalizeOrigins(["https://Ops.Example.com/", "http://10.0.0.5:8080/path"])).toEqual(["https://ops.example.com", "http://10.0.0.5:8080"]);
    expect(() => normalizeOrigins(["ops.example.com"])).toThrow(ConfigError);
    expect(() => normalizeOrigins(["ftp://ops.example.com"])).toThrow(/not an http\(s\) origin/);
  });
});
