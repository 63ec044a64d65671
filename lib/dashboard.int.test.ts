/**
 * The demo's mount of the dashboard (lib/dashboard.ts), through its three route files, in-process, on the
 * run's database and Redis: the staff session decides (login → /login?next=…, 401; not staff → 403;
 * staff → the page, the API, named in the audit log), writes from another origin are refused, the demo's
 * task modules are known (names, redaction), and metrics answer METRICS_TOKEN's bearer only. The
 * dashboard's own behaviour is tested in the package (packages/celeriac/src/dashboard/*.test.ts).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("dashboard-mount");
const METRICS_TOKEN = randomBytes(16).toString("hex");
process.env.METRICS_TOKEN = METRICS_TOKEN;
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { env, secretKey } = await import("@/lib/env");
const { dashboard } = await import("@/lib/dashboard");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");
const pages = await import("@/app/admin/[[...path]]/route");
const api = await import("@/app/api/admin/[...path]/route");
const metrics = await import("@/app/api/metrics/route");

afterAll(async () => {
  await dashboard.close();
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

const ORIGIN = new URL(env.APP_URL).origin;

/** The Cookie header of a logged-in user, staff or not. */
async function sessionOf(isStaff: boolean): Promise<{ email: string; cookie: string }> {
  const email = `dashboard-${randomBytes(4).toString("hex")}@example.test`;
  const user = await db.user.create({ data: { email, name: "Dash Board", passwordHash: "unused", isStaff } });
  return { email, cookie: `${SESSION_COOKIE}=${makeSession(secretKey(), user)}` };
}

/** A request as the browser on the app's own page sends it. */
function request(method: string, path: string, { cookie, body, origin = ORIGIN }: { cookie?: string; body?: unknown; origin?: string } = {}): Request {
  const headers: Record<string, string> = { "sec-fetch-site": origin === ORIGIN ? "same-origin" : "cross-site", origin };
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Request(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe("the demo's staff session decides who sees the dashboard", () => {
  it("nobody logged in: the pages send to /login?next=…, the API answers 401", async () => {
    const page = await pages.GET(request("GET", "/admin/tasks?status=FAILURE"));
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/admin/tasks?status=FAILURE")}`);
    expect((await api.GET(request("GET", "/api/admin/tasks"))).status).toBe(401);
  });

  it("a user who is not staff: 403 on the pages and the API", async () => {
    const { cookie } = await sessionOf(false);
    expect((await pages.GET(request("GET", "/admin", { cookie }))).status).toBe(403);
    expect((await api.GET(request("GET", "/api/admin/workers", { cookie }))).status).toBe(403);
    expect((await api.POST(request("POST", "/api/admin/tasks/apply", { cookie, body: { task: "demo.add", args: [1, 2] } }))).status).toBe(403);
  });

  it("staff: the page (named), the API with the demo's tasks, writes from the app's origin only, audited under their email", async () => {
    const { email, cookie } = await sessionOf(true);
    const page = await pages.GET(request("GET", "/admin/periodic-tasks", { cookie }));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-actor="${email}"`);

    const facets = (await (await api.GET(request("GET", "/api/admin/tasks/facets", { cookie }))).json()) as { names: string[] };
    expect(facets.names).toEqual(expect.arrayContaining(["demo.add", "articles.expandPending", "emails.sendPasswordReset"]));

    const crossSite = await api.POST(request("POST", "/api/admin/tasks/apply", { cookie, origin: "https://evil.example", body: { task: "demo.add", args: [1, 2], requestKey: randomUUID() } }));
    expect(crossSite.status).toBe(403);
    const sent = await api.POST(request("POST", "/api/admin/tasks/apply", { cookie, body: { task: "emails.sendPasswordReset", args: [1], requestKey: randomUUID() } }));
    expect(sent.status).toBe(200);
    const { taskId } = (await sent.json()) as { taskId: string };
    const detail = (await (await api.GET(request("GET", `/api/admin/tasks/${taskId}`, { cookie }))).json()) as { args: unknown };
    expect(detail.args).toBe("••••"); // the task's redactArgs
    const audit = (await (await api.GET(request("GET", "/api/admin/audit", { cookie }))).json()) as { entries: { actor: string; action: string }[] };
    expect(audit.entries).toContainEqual(expect.objectContaining({ actor: email, action: "task.apply" }));
  });
});

describe("/api/metrics", () => {
  it("answers METRICS_TOKEN's bearer only", async () => {
    expect((await metrics.GET(request("GET", "/api/metrics"))).status).toBe(401);
    const scrape = new Request(`${ORIGIN}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const answer = await metrics.GET(scrape);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toMatch(/^# HELP celeriac_/m);
  });
});
