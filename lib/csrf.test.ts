import { describe, expect, it } from "vitest";
import { crossSiteRefusal } from "./csrf";

describe("crossSiteRefusal", () => {
  const base = { method: "POST", origin: "http://127.0.0.1:3100", secFetchSite: "same-origin", host: "127.0.0.1:3100" };

  it("allows reads whatever their origin", () => {
    expect(crossSiteRefusal({ ...base, method: "GET", origin: "https://evil.example", secFetchSite: "cross-site" })).toBeNull();
  });

  it("allows a same-origin write", () => {
    expect(crossSiteRefusal(base)).toBeNull();
    for (const method of ["PUT", "PATCH", "DELETE", "post"]) expect(crossSiteRefusal({ ...base, method })).toBeNull();
  });

  it("refuses a write from another origin, by Origin or by Sec-Fetch-Site", () => {
    expect(crossSiteRefusal({ ...base, origin: "https://evil.example", secFetchSite: null })).toMatch(/cross-site request refused.*evil/);
    expect(crossSiteRefusal({ ...base, origin: "http://127.0.0.1:3101", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "cross-site" })).toMatch(/Sec-Fetch-Site: cross-site/);
    expect(crossSiteRefusal({ ...base, secFetchSite: "same-site" })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "null", secFetchSite: null })).toMatch(/refused/);
    expect(crossSiteRefusal({ ...base, origin: "not a url", secFetchSite: null })).toMatch(/refused/);
  });

  it("accepts APP_URL's origin (behind a proxy the Host may differ)", () => {
    const behindProxy = { ...base, origin: "https://demo.example.com", secFetchSite: null, host: "10.0.0.5:3000" };
    expect(crossSiteRefusal(behindProxy)).toMatch(/refused/);
    expect(crossSiteRefusal({ ...behindProxy, trustedOrigins: ["https://demo.example.com/"] })).toBeNull();
  });

  it("allows a write with neither header (not a browser: no victim's cookie to ride)", () => {
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: null })).toBeNull();
    expect(crossSiteRefusal({ ...base, origin: null, secFetchSite: "none" })).toBeNull();
  });
});
