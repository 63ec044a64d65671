/** proxy.ts on NextRequests made here: what it refuses before routing, and the headers it adds. */
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "@/proxy";

const BASE = "http://127.0.0.1:3100";
const run = (path: string, method = "GET") => proxy(new NextRequest(`${BASE}${path}`, { method }));

describe("malformed percent-encoding", () => {
  it.each(["/api/articles/%ZZ", "/api/tasks/%", "/api/admin/periodic-tasks/%C0%AF", "/api/%ZZ"])("is a JSON 400 under /api: %s", async (path) => {
    const response = run(path);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "malformed percent-encoding in the URL path" });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it.each(["/articles/%ZZ", "/%", "/dev/mailbox/%C0%AF"])("is a plain-text 400 on a page: %s", async (path) => {
    const response = run(path, "POST");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("malformed percent-encoding in the URL path\n");
  });

  it("lets well-formed escapes through", () => {
    expect(run("/api/articles/%31").headers.get("x-middleware-next")).toBe("1");
  });
});

describe("methods", () => {
  it("answers a method the API route does not export with 405 and Allow", async () => {
    for (const [method, path, allow] of [
      ["PUT", "/api/articles", "GET, HEAD, OPTIONS, POST"],
      ["PROPFIND", "/api/articles/1", "GET, HEAD, OPTIONS, PATCH"],
      ["GET", "/api/login", "OPTIONS, POST"],
      ["POST", "/api/tasks/abc/events", "GET, HEAD, OPTIONS"],
    ]) {
      const response = run(path, method);
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect((await response.json()).error).toBe(`${method} is not allowed here: ${path.replace(/\/(1|abc)(?=\/|$)/, "/[id]")} answers ${allow}`);
    }
  });

  it("lets the route's own methods, HEAD and OPTIONS through", () => {
    for (const [method, path] of [["GET", "/api/articles"], ["HEAD", "/api/articles"], ["OPTIONS", "/api/login"], ["DELETE", "/api/admin/periodic-tasks/3"]]) {
      expect(run(path, method).headers.get("x-middleware-next"), `${method} ${path}`).toBe("1");
    }
  });

  it("answers a path no API route serves with a JSON 404", async () => {
    const response = run("/api/nothing-here");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "no such API route" });
  });

  it("lets pages answer GET and HEAD only", () => {
    expect(run("/login", "HEAD").headers.get("x-middleware-next")).toBe("1");
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"]) {
      const response = run("/login", method);
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    }
  });
});

describe("security headers", () => {
  it("gives a page a CSP with a fresh nonce, on the answer and on the request Next renders from", () => {
    const first = run("/");
    const csp = first.headers.get("content-security-policy")!;
    expect(csp).toMatch(/^default-src 'self'; script-src 'self' 'nonce-[A-Za-z0-9+/]{22}==' 'strict-dynamic'; style-src 'self' 'nonce-/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    // NextResponse.next({ request: { headers } }) hands the request's new headers to Next this way.
    expect(first.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    expect(run("/").headers.get("content-security-policy")).not.toBe(csp);
  });

  it("lets only the dev inbox's pages keep a mail's style attributes", () => {
    for (const path of ["/dev/mailbox/3", "/dev/mailbox"]) expect(run(path).headers.get("content-security-policy"), path).toContain("style-src-attr 'unsafe-inline'");
    for (const path of ["/", "/dev", "/dev/mailboxes"]) expect(run(path).headers.get("content-security-policy"), path).not.toContain("unsafe-inline");
  });

  it("over HTTPS, adds HSTS and upgrades subresources; over plain HTTP, neither", () => {
    const secure = proxy(new NextRequest("https://demo.example.com/login"));
    expect(secure.headers.get("strict-transport-security")).toBe("max-age=31536000");
    expect(secure.headers.get("content-security-policy")).toMatch(/; upgrade-insecure-requests$/);
    expect(proxy(new NextRequest("https://demo.example.com/api/articles")).headers.get("strict-transport-security")).toBe("max-age=31536000");
    expect(run("/login").headers.get("strict-transport-security")).toBeNull();
    expect(run("/login").headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
  });

  it("gives an API answer the API's policy", () => {
    expect(run("/api/articles").headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  });
});
