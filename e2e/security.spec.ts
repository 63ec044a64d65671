/**
 * The request layer and the security headers against `next start` (README, Security): every page works
 * in Chromium under its Content-Security-Policy with no violation reported, every answer carries the
 * headers, and what Next alone would answer with a 500 (TRACE, malformed percent-encoding) or without an
 * Allow header (an unsupported method) is a 4xx.
 */
import { spawn } from "node:child_process";
import { expect, test } from "@playwright/test";
import { watchCspViolations } from "./csp";
import { openMail, submitAdd } from "./pages";

const PAGES = ["/", "/articles", "/uploads", "/pages", "/signup", "/login", "/forgot-password", "/reset-password?token=garbage", "/dev/mailbox", "/no-such-page"];

test("every page renders and hydrates under its CSP, with no violation, and sends the security headers", async ({ page }) => {
  const violations = watchCspViolations(page);
  const nonces = new Set<string>();
  for (const path of PAGES) {
    const response = (await page.goto(path))!;
    expect(response.status(), path).toBe(path === "/no-such-page" ? 404 : 200);
    const headers = response.headers();
    const csp = headers["content-security-policy"];
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).not.toMatch(/(script|style)-src [^;]*'unsafe-(inline|eval)'/); // style-src-attr aside (the dev inbox)
    nonces.add(/'nonce-([^']+)'/.exec(csp)![1]);
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBe("same-origin");
    expect(headers["x-frame-options"], path).toBe("DENY");
    expect(headers["x-powered-by"], path).toBeUndefined();
    if (path === "/no-such-page") await expect(page.getByRole("heading", { name: "404: not found" })).toBeVisible();
    // Hydrated: Next's inline scripts ran (they carry the nonce), so client navigation works.
    await expect(page.getByRole("link", { name: "articles" })).toBeVisible();
  }
  expect(nonces.size, "a fresh nonce per page").toBe(PAGES.length);

  // A mail's HTML in the dev inbox: a sandboxed srcdoc frame, styled by attributes (its page allows those).
  const email = `csp-${Date.now()}@example.com`;
  expect((await page.request.post("/api/signup", { data: { name: "Csp Check", email, password: "password-one" } })).status()).toBe(201);
  await openMail(page, email);
  await expect(page.frameLocator('[data-testid="mail-html"]').getByText("Csp Check")).toBeVisible();

  // A client component at work under the policy: the add demo's fetches and its status updates.
  await page.goto("/");
  await submitAdd(page, "2", "3");
  await expect(page.getByTestId("status")).toHaveText("SUCCESS", { timeout: 15_000 });
  await page.getByRole("link", { name: "articles" }).click();
  await expect(page).toHaveURL(/\/articles$/);

  expect(violations).toEqual([]);
});

test("API answers and static files carry the headers too", async ({ page, request }) => {
  const api = await request.get("/api/articles");
  expect(api.headers()["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
  expect(api.headers()["x-powered-by"]).toBeUndefined();
  // POST /api/uploads is outside proxy.ts's matcher (its body is streamed): next.config.ts gives it the same policy.
  const upload = await request.post("/api/uploads", { headers: { origin: "http://evil.example" }, multipart: { file: { name: "a.csv", mimeType: "text/csv", buffer: Buffer.from("a\n1\n") } } });
  expect(upload.status()).toBe(403);
  expect(upload.headers()["content-security-policy"]).toBe(api.headers()["content-security-policy"]);
  expect(upload.headers()["x-content-type-options"]).toBe("nosniff");

  const scripts: string[] = [];
  page.on("response", (response) => {
    if (response.url().includes("/_next/static/") && response.url().endsWith(".js")) scripts.push(response.headers()["x-content-type-options"] ?? "missing");
  });
  await page.goto("/");
  expect(scripts.length).toBeGreaterThan(0);
  expect(new Set(scripts)).toEqual(new Set(["nosniff"]));
});

test("unsupported methods are 405 with Allow, TRACE included; nothing answers 5xx", async ({ request }) => {
  for (const [method, path, allow] of [
    ["PUT", "/api/articles", "GET, HEAD, OPTIONS, POST"],
    ["DELETE", "/api/login", "OPTIONS, POST"],
    ["PROPFIND", "/api/articles/1", "GET, HEAD, OPTIONS, PATCH"],
    ["TRACE", "/api/articles", "GET, HEAD, OPTIONS, POST"],
    ["TRACE", "/api/tasks/abc", "GET, HEAD, OPTIONS"],
  ] as const) {
    const response = await request.fetch(path, { method });
    expect(response.status(), `${method} ${path}`).toBe(405);
    expect(response.headers()["allow"], `${method} ${path}`).toBe(allow);
    expect((await response.json()).error, `${method} ${path}`).toMatch(/not (allowed|supported)/);
  }
  for (const [method, path] of [["TRACE", "/"], ["PUT", "/"], ["PROPFIND", "/articles"], ["POST", "/login"], ["OPTIONS", "/signup"]]) {
    const response = await request.fetch(path, { method });
    expect(response.status(), `${method} ${path}`).toBe(405);
    expect(response.headers()["allow"], `${method} ${path}`).toBe("GET, HEAD");
  }
  const unknown = await request.get("/api/no-such-route");
  expect(unknown.status()).toBe(404);
  expect(await unknown.json()).toEqual({ error: "no such API route" });
  const options = await request.fetch("/api/articles", { method: "OPTIONS" });
  expect(options.status()).toBe(204);
  expect(options.headers()["allow"]).toBe("GET, HEAD, OPTIONS, POST");
});

test("malformed percent-encoding is a 400 on every path: JSON under /api, text on pages", async ({ request }) => {
  for (const path of ["/api/articles/%ZZ", "/api/articles/%", "/api/articles/%C0%AF", "/api/admin/periodic-tasks/%ZZ", "/api/tasks/%ZZ/events", "/api/%ZZ"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(400);
    expect(await response.json(), path).toEqual({ error: "malformed percent-encoding in the URL path" });
  }
  for (const path of ["/admin/periodic-tasks/%ZZ", "/dev/mailbox/%", "/%C0%AF", "/articles/%ZZ"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(400);
    expect(await response.text(), path).toBe("malformed percent-encoding in the URL path\n");
  }
  const patch = await request.patch("/api/articles/%ZZ", { data: { body: "x" } });
  expect(patch.status()).toBe(400);
});

test("cross-site writes and non-JSON bodies are refused on every route, login included", async ({ request }) => {
  const login = { email: "someone@example.com", password: "password-one" };
  const crossSite = await request.post("/api/login", { headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" }, data: login });
  expect(crossSite.status()).toBe(403);
  expect((await crossSite.json()).error).toMatch(/^cross-site request refused/);
  for (const path of ["/api/articles", "/api/add", "/api/signup", "/api/password/forgot", "/api/password/reset", "/api/logout"]) {
    const response = await request.post(path, { headers: { origin: "http://evil.example", "content-type": "text/plain" }, data: Buffer.from("{}") });
    expect(response.status(), path).toBe(403);
  }

  const textPlain = await request.post("/api/login", { headers: { "content-type": "text/plain" }, data: Buffer.from(JSON.stringify(login)) });
  expect(textPlain.status()).toBe(415);
  const tooLarge = await request.post("/api/add", { data: { x: 1, y: 2, pad: "x".repeat(70 * 1024) } });
  expect(tooLarge.status()).toBe(413);
  const huge = await request.post("/api/add", { headers: { "content-type": "application/json" }, data: Buffer.alloc(3 * 1024 * 1024, 0x20) });
  expect(huge.status()).toBe(413);
});

test("next start refuses to serve in production without a strong SECRET_KEY: one message, exit 78", async () => {
  for (const [key, problem] of [[undefined, "SECRET_KEY is not set"], ["short-key", "SECRET_KEY is too short"]] as const) {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production" };
    delete env.SECRET_KEY;
    if (key) env.SECRET_KEY = key;
    // Its own port (never the run's): it exits before serving anything.
    const child = spawn("node_modules/.bin/next", ["start", "-p", "3197", "-H", "127.0.0.1"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output).toBe(78);
    expect(output).toContain(`celeriac web: invalid environment:\n  SECRET_KEY: ${problem}`);
    expect(output).toContain("randomBytes(32).toString('base64url')");
  }
});
