/**
 * What the route handlers dispatch, on celeriac/testing's fake queue: the right task, with the right
 * arguments and owner, only once the transaction committed, and nothing when the request fails. No Redis:
 * REDIS_URL points at a port nobody listens on. The routes' real path through Redis is covered by
 * test/request-layer.int.test.ts, app/api/tasks/access.int.test.ts and the e2e tests.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeQueue, type FakeQueue } from "celeriac/testing";
import { pointAppAtTestRun } from "@/test/app-env";

pointAppAtTestRun("route-dispatch");
process.env.REDIS_URL = "redis://127.0.0.1:1";
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { secretKey } = await import("@/lib/env");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");
const { ANYONE, userOwner } = await import("@/lib/result-access");
const { add } = await import("@/tasks/demo");
const { expandAbbreviations } = await import("@/tasks/articles");
const { sendWelcomeEmail } = await import("@/tasks/emails");
const addRoute = await import("./add/route");
const articlesRoute = await import("./articles/route");
const signupRoute = await import("./signup/route");

let queue: FakeQueue;
beforeEach(() => {
  queue = fakeQueue(celeriac);
});
afterEach(() => queue.restore());
afterAll(() => celeriac.close());

async function post(route: { POST: (request: Request, context: unknown) => Promise<Response> }, path: string, body: unknown, cookie?: string) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(cookie ? { cookie } : {}) };
  const response = await route.POST(new Request(`http://test${path}`, { method: "POST", headers, body: JSON.stringify(body) }), {});
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const email = () => `dispatch-${randomBytes(4).toString("hex")}@example.test`;

describe("POST /api/add", () => {
  it("sends demo.add with the two numbers, readable by anyone when nobody is logged in", async () => {
    const { status, body } = await post(addRoute, "/api/add", { x: 2, y: 3 });
    expect(status).toBe(202);
    const sent = queue.assertEnqueued(add, [2, 3], { owner: ANYONE, times: 1 });
    expect(body).toEqual({ id: sent.id, name: "demo.add", status: "PENDING" });
  });

  it("owned by the logged-in user", async () => {
    const user = await db.user.create({ data: { email: email(), name: "A", passwordHash: "x" } });
    await post(addRoute, "/api/add", { x: 1, y: 1 }, `${SESSION_COOKIE}=${makeSession(secretKey(), user.id)}`);
    queue.assertEnqueued(add, [1, 1], { owner: userOwner(user.id) });
  });

  it("sends nothing for an invalid body", async () => {
    expect((await post(addRoute, "/api/add", { x: "2", y: 3 })).status).toBe(400);
    expect(queue.sent).toEqual([]);
  });
});

describe("POST /api/articles", () => {
  it("sends articles.expandAbbreviations with the new article's id; run, it expands the stored body", async () => {
    const { status, body } = await post(articlesRoute, "/api/articles", { title: "Notes", body: "fyi, see e.g. the docs" });
    expect(status).toBe(201);
    const article = body.article as { id: number };
    const sent = queue.assertEnqueued(expandAbbreviations, [article.id], { owner: ANYONE, times: 1 });
    expect(body.taskId).toBe(sent.id);

    const [run] = await queue.runAll();
    expect(run.outcome).toEqual({ status: "SUCCESS", result: { articleId: article.id, changed: true } });
    expect((await db.article.findUniqueOrThrow({ where: { id: article.id } })).body).toBe("for your information, see for example the docs");
    expect(await db.taskResult.findUnique({ where: { id: sent.id } })).toMatchObject({ status: "SUCCESS", owner: ANYONE });
  });

  it("sends nothing when the article is refused", async () => {
    expect((await post(articlesRoute, "/api/articles", { title: "", body: "b" })).status).toBe(400);
    queue.assertNotEnqueued(expandAbbreviations);
  });
});

describe("POST /api/signup", () => {
  it("sends emails.sendWelcome with the new user's id, owned by that user", async () => {
    const address = email();
    const { status, body } = await post(signupRoute, "/api/signup", { name: "Ann", email: address, password: "password-1" });
    expect(status).toBe(201);
    const user = await db.user.findUniqueOrThrow({ where: { email: address } });
    const sent = queue.assertEnqueued(sendWelcomeEmail, [user.id], { owner: userOwner(user.id), times: 1 });
    expect(body).toEqual({ ok: true, taskId: sent.id });
  });

  it("sends nothing for an address that has an account already (the transaction rolled back)", async () => {
    const address = email();
    await post(signupRoute, "/api/signup", { name: "Ann", email: address, password: "password-1" });
    queue.clear();
    const again = await post(signupRoute, "/api/signup", { name: "Ann again", email: address, password: "password-2" });
    expect(again.status).toBe(409);
    queue.assertNotEnqueued(sendWelcomeEmail);
  });
});
