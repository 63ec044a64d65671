/**
 * POST /api/pages refuses what it must before anything is sent: a body that is no URL, another scheme,
 * credentials, an address the SSRF guard refuses (PAGES_ALLOW_PRIVATE_HOSTS is off here, as in
 * production), a cross-site write. REDIS_URL points at a port nobody listens on, so a request that got as
 * far as sending would answer 503: each 4xx here is the route's own, with nothing sent. The chain itself
 * runs in tasks/pages.int.test.ts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";

pointAppAtTestRun("pages-route");
process.env.REDIS_URL = "redis://127.0.0.1:1";
delete process.env.PAGES_ALLOW_PRIVATE_HOSTS;
const { celeriac } = await import("@/lib/celery");
const { POST } = await import("./route");

afterAll(() => celeriac.close());

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await POST(new Request("http://test/api/pages", { method: "POST", headers: { "content-type": "application/json", ...headers }, body }), {});
  return { status: response.status, body: (await response.json()) as { error: string; fields?: Record<string, string> } };
}
const postUrl = (url: unknown) => post(JSON.stringify({ url }));

describe("POST /api/pages: the route's 4xx, nothing sent", () => {
  it.each([
    ["no url", undefined, "Invalid input: expected string, received undefined"],
    ["not a URL", "not a url", "an http:// or https:// URL"],
    ["another scheme", "ftp://example.com/file", "an http:// or https:// URL"],
    ["javascript:", "javascript:alert(1)", "an http:// or https:// URL"],
    ["too long", `https://example.com/${"a".repeat(2100)}`, "at most 2048 characters"],
    ["credentials", "http://user:secret@example.com/", "a URL with a user name or password is not fetched"],
    ["credentials that read as loopback", "http://127.0.0.1@evil.example/", "a URL with a user name or password is not fetched"],
    ["loopback", "http://127.0.0.1:3000/sample-page.html", "127.0.0.1 is a loopback address"],
    ["loopback, short form", "http://127.1/", "127.0.0.1 is a loopback address"],
    ["loopback, as a number", "http://2130706433/", "127.0.0.1 is a loopback address"],
    ["IPv6 loopback", "http://[::1]/", "[::1] is a loopback address"],
    ["cloud metadata", "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address (cloud metadata lives there)"],
    ["private", "https://10.0.0.5:8443/", "10.0.0.5 is a private address"],
    ["NUL", "https://example.com/\u0000", "contains a NUL character (\\u0000), which PostgreSQL cannot store"],
  ])("400 for %s", async (_what, url, message) => {
    const { status, body } = await postUrl(url);
    expect(status).toBe(400);
    expect(body.fields).toEqual({ url: message });
    expect(body.error).toBe(`invalid request: url: ${message}`);
  });

  it("400 for a body that is not JSON, 415 for a form's content type", async () => {
    expect(await post("{url:")).toEqual({ status: 400, body: { error: "request body must be JSON" } });
    const form = await POST(new Request("http://test/api/pages", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "url=https://example.com/" }), {});
    expect(form.status).toBe(415);
  });

  it("403 for a cross-site write, whatever it asks for", async () => {
    const url = JSON.stringify({ url: "https://example.com/" });
    for (const headers of [{ "sec-fetch-site": "cross-site" }, { origin: "https://evil.example" }] as Record<string, string>[]) {
      const { status, body } = await post(url, headers);
      expect(status).toBe(403);
      expect(body.error).toMatch(/changes are accepted from this site's own pages only/);
    }
  });

  it("a URL it accepts is sent at once: here, with no Redis, that is the 503 (not a chain lost after a 202)", async () => {
    const { status, body } = await postUrl("https://example.com/");
    expect({ status, body }).toEqual({ status: 503, body: { error: "the task queue is unavailable; try again shortly" } });
  });
});
