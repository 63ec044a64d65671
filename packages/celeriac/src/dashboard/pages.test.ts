import { describe, expect, it } from "vitest";
import { ASSET_VERSION } from "./assets.generated.js";
import { assetResponse, isPageRoute, nonceOf, pageCsp, shellHtml, shellResponse } from "./pages.js";

describe("nonceOf: a proxy's policy gives the page its nonce", () => {
  it("reads script-src's nonce, or the first one", () => {
    expect(nonceOf("default-src 'self'; script-src 'self' 'nonce-AbC+/9==' 'strict-dynamic'; style-src 'self' 'nonce-other'")).toBe("AbC+/9==");
    expect(nonceOf("style-src 'nonce-xyz'")).toBe("xyz");
    expect(nonceOf("default-src 'self'")).toBeNull();
    expect(nonceOf(null)).toBeNull();
  });
});

describe("the shell", () => {
  const options = { pagesPath: "/admin", apiPath: "/api/admin", actor: 'ada"<script>' };

  it("names the paths and the actor (escaped), and loads the versioned assets with the nonce", () => {
    const html = shellHtml({ ...options, nonce: "n0nce" });
    expect(html).toContain('<div id="celeriac-dashboard" data-pages-path="/admin" data-api-path="/api/admin" data-actor="ada&quot;&lt;script&gt;">');
    expect(html).toContain(`<script src="/admin/assets/dashboard.${ASSET_VERSION}.js" nonce="n0nce" defer></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/admin/assets/dashboard.${ASSET_VERSION}.css" nonce="n0nce">`);
  });

  it("uses the request's nonce and adds no policy, or makes its own and a strict policy", async () => {
    const given = shellResponse(new Request("http://x/admin", { headers: { "content-security-policy": "script-src 'nonce-fromproxy'" } }), options);
    expect(given.headers.get("content-security-policy")).toBeNull();
    expect(await given.text()).toContain('nonce="fromproxy"');
    const own = shellResponse(new Request("http://x/admin"), options);
    const nonce = /nonce="([^"]+)"/.exec(await own.text())![1];
    expect(own.headers.get("content-security-policy")).toBe(pageCsp(nonce));
    expect(pageCsp(nonce)).toMatch(new RegExp(`script-src 'nonce-${nonce.replace(/[+/]/g, "\\$&")}' 'strict-dynamic'.*frame-ancestors 'none'`));
    expect(own.headers.get("cache-control")).toBe("no-store");
  });

  it("serves every client route, and only those", () => {
    for (const path of ["", "tasks", "tasks/abc", "workers", "queues", "periodic-tasks", "periodic-tasks/new", "periodic-tasks/3", "audit"]) expect(isPageRoute(path), path).toBe(true);
    for (const path of ["nope", "tasks/a/b", "audit/1", "tasks/"]) expect(isPageRoute(path), path).toBe(false);
  });
});

describe("assets", () => {
  it("serves this version's script and stylesheet for a year, and nothing else", async () => {
    const js = assetResponse(`dashboard.${ASSET_VERSION}.js`, "GET")!;
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect(assetResponse(`dashboard.${ASSET_VERSION}.css`, "GET")!.headers.get("content-type")).toMatch(/^text\/css/);
    expect(assetResponse("dashboard.0000000000ff.js", "GET")).toBeNull();
    expect(assetResponse("other.js", "GET")).toBeNull();
  });
});
