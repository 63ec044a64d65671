/**
 * Who may read a task over HTTP (lib/result-access.ts), against the real route handlers, sessions signed as
 * the login route signs them, the real Redis and the run's database: GET /api/tasks/[id] and its event
 * stream answer the owner, anyone for an anonymous visitor's task, and staff; everyone else gets the very
 * answer an id nobody sent gets. No worker serves the queue the tasks here go to, so they stay PENDING: what
 * is checked is that a route's owned dispatch is readable by its owner the moment the route answered.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("task-access");
const { celeriac, transaction } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { secretKey } = await import("@/lib/env");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");
const { ANYONE, canRead, readScope, userOwner } = await import("@/lib/result-access");
const { add } = await import("@/tasks/demo");
const status = await import("./[id]/route");
const events = await import("./[id]/events/route");
const addRoute = await import("../add/route");
const articlesRoute = await import("../articles/route");
const signupRoute = await import("../signup/route");

/** A queue no worker serves: what goes there stays PENDING. */
const IDLE = "access-idle";
const NOT_FOUND = { status: 404, type: "application/json", body: JSON.stringify({ error: "task not found" }) };

const newUser = (isStaff = false) =>
  db.user.create({ data: { email: `access-${randomBytes(4).toString("hex")}@example.test`, name: "A", passwordHash: "x", isStaff } });
const cookieOf = (userId: number) => `${SESSION_COOKIE}=${makeSession(secretKey(), userId)}`;
const context = (id: string) => ({ params: Promise.resolve({ id }) });

/** What a client sees of GET /api/tasks/<id>: status, content type and body. */
async function read(id: string, cookie?: string) {
  const response = await status.GET(new Request(`http://test/api/tasks/${id}`, { headers: cookie ? { cookie } : {} }), context(id));
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

/** What a client sees of GET /api/tasks/<id>/events: for a stream, its first event; else the JSON answer. */
async function follow(id: string, cookie?: string) {
  const client = new AbortController();
  const response = await events.GET(new Request(`http://test/api/tasks/${id}/events`, { headers: cookie ? { cookie } : {}, signal: client.signal }), context(id));
  const type = response.headers.get("content-type");
  if (!type?.startsWith("text/event-stream")) return { status: response.status, type, body: await response.text() };
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  client.abort();
  await reader.cancel();
  return { status: response.status, type: "text/event-stream", body: value! };
}

function post(route: { POST: (request: Request, context: unknown) => Promise<Response> }, path: string, body: unknown, cookie?: string) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(cookie ? { cookie } : {}) };
  return route.POST(new Request(`http://test${path}`, { method: "POST", headers, body: JSON.stringify(body) }), {});
}

let owner: { id: number };
let other: { id: number };
let staff: { id: number };
const tasks: Record<"owned" | "public" | "internal", string> = { owned: "", public: "", internal: "" };

beforeAll(async () => {
  [owner, other, staff] = await Promise.all([newUser(), newUser(), newUser(true)]);
  tasks.owned = (await add.applyAsync([1, 1], { queue: IDLE, owner: userOwner(owner.id) })).id;
  tasks.public = (await add.applyAsync([2, 2], { queue: IDLE, owner: ANYONE })).id;
  // Ownerless (as beat's runs are): its PENDING row is written after the commit, off the caller's path.
  tasks.internal = await transaction(async () => add.applyAsyncOnCommit([3, 3], { queue: IDLE }));
  await vi.waitFor(async () => expect(await db.taskResult.findUnique({ where: { id: tasks.internal } })).not.toBeNull());
});
afterAll(async () => {
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

describe("GET /api/tasks/[id] and /events: who reads what", () => {
  const viewers = {
    nobody: () => undefined,
    owner: () => cookieOf(owner.id),
    "another user": () => cookieOf(other.id),
    staff: () => cookieOf(staff.id),
    "a forged session": () => `${SESSION_COOKIE}=${owner.id}.${Date.now() + 60_000}.forged`,
    "an expired session": () => `${SESSION_COOKIE}=${makeSession(secretKey(), owner.id, Date.now() - 8 * 24 * 3600_000)}`,
  } as const;
  type Viewer = keyof typeof viewers;
  const readable: Record<keyof typeof tasks, Viewer[]> = {
    owned: ["owner", "staff"],
    public: ["nobody", "owner", "another user", "staff", "a forged session", "an expired session"],
    internal: ["staff"],
  };

  for (const [task, allowed] of Object.entries(readable) as [keyof typeof tasks, Viewer[]][]) {
    for (const viewer of Object.keys(viewers) as Viewer[]) {
      const may = allowed.includes(viewer);
      it(`${task} task, ${viewer}: ${may ? "200 and its state" : "the 404 of an unknown id"}`, async () => {
        const cookie = viewers[viewer]();
        const id = tasks[task];
        const [answer, stream] = await Promise.all([read(id, cookie), follow(id, cookie)]);
        if (may) {
          expect(answer).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: JSON.stringify({ id, name: "demo.add", status: "PENDING" }) });
          expect(stream).toMatchObject({ status: 200, type: "text/event-stream" });
          expect(stream.body).toContain(`data: ${answer.body}`);
        } else {
          const unknown = randomUUID();
          // Byte for byte what an id nobody sent gets, from both routes.
          expect(answer).toEqual(await read(unknown, cookie));
          expect(stream).toEqual(await follow(unknown, cookie));
          expect({ ...answer, type: answer.type?.split(";")[0] }).toEqual(NOT_FOUND);
          expect({ ...stream, type: stream.type?.split(";")[0] }).toEqual(NOT_FOUND);
        }
      });
    }
  }

  it("staff get the 404 too for an id nobody sent", async () => {
    expect((await read(randomUUID(), cookieOf(staff.id))).status).toBe(404);
    expect((await follow(randomUUID(), cookieOf(staff.id))).status).toBe(404);
  });

  it("someone else's task never leaves the store: the row is read through the viewer's scope, which skips it", async () => {
    const get = vi.spyOn(celeriac.backend, "get");
    try {
      for (const route of [read, follow]) {
        get.mockClear();
        expect((await route(tasks.owned, cookieOf(other.id))).status, route.name).toBe(404);
        expect(get.mock.calls, route.name).toEqual([[tasks.owned, [ANYONE, userOwner(other.id)]]]);
        expect(await get.mock.results[0].value, route.name).toBeNull();
      }
    } finally {
      get.mockRestore();
    }
  });

  it("readScope() is canRead() as the store's filter, for every kind of viewer and owner", () => {
    const viewerKinds = [null, { userId: 1, isStaff: false }, { userId: 1, isStaff: true }];
    for (const viewer of viewerKinds) {
      const { ownedBy } = readScope(viewer);
      for (const rowOwner of [ANYONE, userOwner(1), userOwner(2), userOwner(10), null]) {
        const filtered = ownedBy === undefined || (rowOwner !== null && ownedBy.includes(rowOwner));
        expect(filtered, `${JSON.stringify(viewer)} reading ${rowOwner}`).toBe(canRead(viewer, { owner: rowOwner }));
      }
    }
  });

  it("a user whose account is gone reads as nobody", async () => {
    const gone = await newUser();
    const id = (await add.applyAsync([4, 4], { queue: IDLE, owner: userOwner(gone.id) })).id;
    expect((await read(id, cookieOf(gone.id))).status).toBe(200);
    await db.user.delete({ where: { id: gone.id } });
    expect(await read(id, cookieOf(gone.id))).toEqual(await read(randomUUID()));
  });
});

describe("the demo's routes record who caused the task", () => {
  it("POST /api/add by a logged-in user: theirs, readable by them as soon as the route answered, by nobody else", async () => {
    const answer = await post(addRoute, "/api/add", { x: 1, y: 2 }, cookieOf(owner.id));
    expect(answer.status).toBe(202);
    const { id } = await answer.json();
    expect(JSON.parse((await read(id, cookieOf(owner.id))).body)).toEqual({ id, name: "demo.add", status: "PENDING" });
    expect((await read(id, cookieOf(other.id))).status).toBe(404);
    expect((await read(id)).status).toBe(404);
    expect((await db.taskResult.findUniqueOrThrow({ where: { id } })).owner).toBe(userOwner(owner.id));
  });

  it("POST /api/add by an anonymous visitor: readable by whoever holds the id, at once", async () => {
    const { id } = await (await post(addRoute, "/api/add", { x: 3, y: 4 })).json();
    expect((await read(id)).status).toBe(200);
    expect((await read(id, cookieOf(other.id))).status).toBe(200);
  });

  it("POST /api/articles: the expansion task is the author's when logged in, anyone's otherwise", async () => {
    const mine = await (await post(articlesRoute, "/api/articles", { title: "t", body: "e.g. this" }, cookieOf(owner.id))).json();
    expect((await read(mine.taskId, cookieOf(owner.id))).status).toBe(200);
    expect((await read(mine.taskId)).status).toBe(404);
    const anonymous = await (await post(articlesRoute, "/api/articles", { title: "t", body: "i.e. that" })).json();
    expect((await read(anonymous.taskId)).status).toBe(200);
  });

  it("POST /api/signup: the welcome mail is the new user's, not the anonymous visitor's who signed up", async () => {
    const email = `signup-${randomBytes(4).toString("hex")}@example.test`;
    const answer = await post(signupRoute, "/api/signup", { name: "New", email, password: "a-good-password" });
    expect(answer.status).toBe(201);
    const { taskId } = await answer.json();
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(await read(taskId)).toEqual(await read(randomUUID()));
    expect((await read(taskId, cookieOf(user.id))).status).toBe(200);
  });
});
