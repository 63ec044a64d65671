/**
 * The dashboard's JSON API against a real app (Redis, the run's database, a worker in this process):
 * who may call every route, the request rules (origin, JSON, size, zod), and the Tasks area's actions:
 * apply, retry (linked both ways), bulk retry, revoke, idempotency by requestKey, redaction.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDashboardHarness, eventually, type DashboardHarness } from "../../test/dashboard.js";
import { createDashboard } from "./index.js";
import { REDACTED } from "./presenter.js";

const suffix = randomUUID().slice(0, 8);
const QUEUE = `dash-api-${suffix}`;
const flaky = { fixed: false };

let h: DashboardHarness;
let add: ReturnType<typeof defineTasks>["add"];
let fails: ReturnType<typeof defineTasks>["fails"];
let failsInBulk: ReturnType<typeof defineTasks>["fails"];
let secret: ReturnType<typeof defineTasks>["secret"];

function defineTasks(harness: DashboardHarness) {
  const { app } = harness;
  /** A task that fails until `flaky.fixed`. */
  const failing = (name: string) =>
    app.task({
      name: `dash.${suffix}.${name}`,
      queue: QUEUE,
      args: z.tuple([z.string()]),
      run: (_ctx, what) => {
        if (!flaky.fixed) throw new Error(`boom: ${what}`);
        return `fixed ${what}`;
      },
    });
  return {
    add: app.task({ name: `dash.${suffix}.add`, queue: QUEUE, args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y }),
    fails: failing("fails"),
    failsInBulk: failing("failsInBulk"),
    secret: app.task({ name: `dash.${suffix}.secret`, queue: QUEUE, args: z.tuple([z.string(), z.string()]), redactArgs: [1], run: () => "sent" }),
  };
}

/** The task's row once it has reached `status`. */
const settled = (id: string, status: string) => eventually(() => h.call("GET", `tasks/${id}`), (a) => a.status === 200 && a.body.status === status);

/** Sends `name` with `args` through the API; its new id. */
async function apply(name: string, args: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await h.call("POST", "tasks/apply", { body: { task: name, args, ...extra } });
  expect(answer.status).toBe(200);
  return answer.body.taskId;
}

beforeAll(async () => {
  h = createDashboardHarness("dashboard-api");
  ({ add, fails, failsInBulk, secret } = defineTasks(h));
  await h.startWorker({ queues: [QUEUE] });
});
afterAll(async () => {
  await h?.close();
});

/** One request per route of api-types.ts, with a body that would pass where there is one. */
const ROUTES: Array<[method: string, path: string, body?: Record<string, unknown>]> = [
  ["GET", "overview"],
  ["GET", "tasks"],
  ["GET", "tasks/facets"],
  ["GET", "tasks/retry-count"],
  ["POST", "tasks/retry", { filter: {}, expected: 0 }],
  ["POST", "tasks/apply", { task: "x", args: [] }],
  ["GET", "tasks/some-task"],
  ["POST", "tasks/some-task/retry", {}],
  ["POST", "tasks/some-task/revoke", {}],
  ["GET", "workers"],
  ["POST", "workers/w/shutdown", {}],
  ["GET", "queues"],
  ["POST", "queues/default/pause", {}],
  ["POST", "queues/default/resume", {}],
  ["POST", "queues/default/purge", { expected: 0 }],
  ["GET", "periodic-tasks"],
  ["POST", "periodic-tasks", { name: "p", task: "x", schedule: { kind: "interval", every: 1, period: "hours" } }],
  ["GET", "periodic-tasks/1"],
  ["PUT", "periodic-tasks/1", { name: "p", task: "x", schedule: { kind: "interval", every: 1, period: "hours" } }],
  ["PATCH", "periodic-tasks/1", { enabled: false }],
  ["DELETE", "periodic-tasks/1", {}],
  ["POST", "periodic-tasks/1/run", {}],
  ["POST", "periodic-tasks/1/return-to-settings", {}],
  ["GET", "audit"],
  ["GET", "events"],
];

describe("who may call the API: every route", () => {
  it.each(ROUTES)("%s %s: anonymous 401, non-staff 403, cross-site writes 403", async (method, path, body) => {
    const anonymous = await h.call(method, path, { role: null, body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: "log in to use the dashboard" });
    const denied = await h.call(method, path, { role: "denied", body });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/staff only/);
    if (method !== "GET") {
      const refused: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "https://evil.example", "sec-fetch-site": "" }];
      for (const headers of refused) {
        const crossSite = await h.call(method, path, { body, headers });
        expect(crossSite.status, JSON.stringify(headers)).toBe(403);
        expect(crossSite.body.error).toMatch(/cross-site request refused/);
      }
    }
  });

  it("lets in only an explicit staff answer: a hook answering anything else is refused", async () => {
    for (const answer of [undefined, false, "yes", { staff: "" }, { name: "ada" }]) {
      const odd = createDashboard({ app: h.app, authorize: () => answer as never });
      try {
        expect((await odd.handle(h.request("GET", "tasks"))).status, JSON.stringify(answer)).toBe(403);
        expect((await odd.handle(h.request("GET", "/admin"))).status).toBe(403);
      } finally {
        await odd.close();
      }
    }
  });

  it("trusts the origins it is given, and this machine's own Host only with trustOwnLoopbackHost", async () => {
    const local = (origin: string, host: string) =>
      new Request(`http://${host}/api/admin/tasks/apply`, {
        method: "POST",
        headers: { origin, host, "content-type": "application/json", "x-test-role": "staff" },
        body: JSON.stringify({ requestKey: randomUUID() }),
      });
    const strict = createDashboard({ app: h.app, authorize: () => "staff", trustedOrigins: ["https://ops.example.com"] });
    const dev = createDashboard({ app: h.app, authorize: () => "staff", trustedOrigins: ["https://ops.example.com"], trustOwnLoopbackHost: true });
    try {
      // Past the origin check, the empty body is a 400 naming a field; refused by it, a 403.
      expect((await strict.handle(local("http://127.0.0.1:3000", "127.0.0.1:3000"))).status).toBe(403);
      expect((await dev.handle(local("http://127.0.0.1:3000", "127.0.0.1:3000"))).status).toBe(400);
      expect((await dev.handle(local("http://evil.example", "evil.example"))).status).toBe(403);
      expect((await strict.handle(local("https://ops.example.com", "127.0.0.1:3000"))).status).toBe(400);
    } finally {
      await strict.close();
      await dev.close();
    }
  });

  it("records nothing for a refused caller", async () => {
    await h.call("POST", `queues/${QUEUE}/pause`, { role: null, body: {} });
    await h.call("POST", `queues/${QUEUE}/pause`, { role: "denied", body: {} });
    await h.call("POST", `queues/${QUEUE}/pause`, { body: {}, site: "cross-site" });
    const { entries } = (await h.call("GET", "audit")).body;
    expect(entries.filter((e: { target: string }) => e.target === QUEUE)).toEqual([]);
  });
});

describe("request rules: never a 500 for what a client sends", () => {
  it("unknown paths are a JSON 404, other methods a 405 with Allow", async () => {
    expect(await h.call("GET", "nothing-here")).toMatchObject({ status: 404, body: { error: expect.any(String) } });
    expect(await h.call("GET", "")).toMatchObject({ status: 404 });
    const wrong = await h.call("DELETE", "tasks", { body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
    expect((await h.call("GET", "tasks/apply")).headers.get("allow")).toBe("POST");
  });

  it("a write must be JSON (415), small (413) and well-formed (400 naming the body)", async () => {
    expect((await h.call("POST", "tasks/apply", { raw: "task=x", headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(415);
    expect((await h.call("POST", "tasks/apply", { raw: "{}", headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect(await h.call("POST", "tasks/apply", { raw: "{not json" })).toMatchObject({ status: 400, body: { field: "body" } });
    expect(await h.call("POST", "tasks/apply", { raw: "[".repeat(150) + "]".repeat(150) })).toMatchObject({ status: 400, body: { field: "body" } });
    const big = await h.call("POST", "tasks/apply", { body: { task: add.name, args: ["x".repeat(70 * 1024)] } });
    expect(big.status).toBe(413);
  });

  it("each body is checked by its schema: a 400 naming the field", async () => {
    expect(await h.call("POST", "tasks/apply", { body: { args: [] } })).toMatchObject({ status: 400, body: { field: "task" } });
    expect(await h.call("POST", "tasks/apply", { body: { task: add.name, args: "1,2" } })).toMatchObject({ status: 400, body: { field: "args" } });
    expect(await h.call("POST", "tasks/apply", { body: { task: add.name, args: [1, 2], countdown: -1 } })).toMatchObject({ status: 400, body: { field: "countdown" } });
    expect(await h.call("POST", "tasks/apply", { body: { task: add.name, args: [1, 2], queue: "no spaces" } })).toMatchObject({ status: 400, body: { field: "queue" } });
    expect(await h.call("POST", "tasks/apply", { body: { task: add.name, args: [1, 2], requestKey: "short" } })).toMatchObject({ status: 400, body: { field: "requestKey" } });
    expect(await h.call("POST", "tasks/apply", { body: { task: add.name, args: [1, 2] }, key: false })).toMatchObject({ status: 400, body: { field: "requestKey" } });
    expect(await h.call("POST", "tasks/some-id/revoke", { body: { terminate: "yes" } })).toMatchObject({ status: 400, body: { field: "terminate" } });
    expect(await h.call("POST", "tasks/retry", { body: { filter: { status: ["DONE"] }, expected: 1 } })).toMatchObject({ status: 400, body: { field: "filter.status.0" } });
    expect(await h.call("POST", "queues/default/purge", { body: { expected: 1.5 } })).toMatchObject({ status: 400, body: { field: "expected" } });
    expect(await h.call("POST", "workers/w/shutdown", { body: { extra: 1 } })).toMatchObject({ status: 400 });
    expect(await h.call("GET", "tasks?status=DONE")).toMatchObject({ status: 400, body: { field: "status" } });
    expect(await h.call("GET", "tasks?limit=500")).toMatchObject({ status: 400, body: { field: "limit" } });
    expect(await h.call("GET", "tasks?after=not-a-cursor")).toMatchObject({ status: 400, body: { field: "after" } });
    expect(await h.call("GET", "tasks/retry-count?from=soon")).toMatchObject({ status: 400, body: { field: "from" } });
    expect(await h.call("GET", "audit?before=x")).toMatchObject({ status: 400, body: { field: "before" } });
  });
});

describe("tasks: list, facets, detail, apply", () => {
  it("apply checks the task's name and its own schema before anything is sent", async () => {
    const unknown = await h.call("POST", "tasks/apply", { body: { task: "no.such.task", args: [] } });
    expect(unknown).toMatchObject({ status: 400, body: { field: "task", error: expect.stringMatching(/no task named "no.such.task"/) } });
    const bad = await h.call("POST", "tasks/apply", { body: { task: add.name, args: [1, "two"] } });
    expect(bad).toMatchObject({ status: 400, body: { field: "args", error: expect.stringMatching(/argument 1: .*expected number/) } });
  });

  it("apply sends the task (listed PENDING at once, then run by the worker); the list filters and pages it", async () => {
    const id = await apply(add.name, [2, 3], { countdown: 0.5 });
    const first = await h.call("GET", `tasks?name=${add.name}`);
    expect(first.body.rows.map((r: { id: string }) => r.id)).toContain(id);
    const done = await settled(id, "SUCCESS");
    expect(done.body).toMatchObject({ id, name: add.name, args: [2, 3], result: 5, queue: QUEUE, retriedFrom: null, retriedTo: [], can: { retry: false, revoke: false, terminate: false } });

    const second = await apply(add.name, [1, 1]);
    await settled(second, "SUCCESS");
    const page = await h.call("GET", `tasks?name=${add.name}&status=SUCCESS&limit=1`);
    expect(page.body.rows).toHaveLength(1);
    expect(page.body.rows[0].id).toBe(second);
    const next = await h.call("GET", `tasks?name=${add.name}&status=SUCCESS&limit=1&after=${page.body.next}`);
    expect(next.body.rows.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await h.call("GET", `tasks?name=${add.name}&status=FAILURE`)).body.rows).toEqual([]);
  });

  it("facets list the registered names, the queues and the workers", async () => {
    const facets = await h.call("GET", "tasks/facets");
    expect(facets.status).toBe(200);
    expect(facets.body.names).toEqual(expect.arrayContaining([add.name, fails.name, secret.name, "celeriac.backendCleanup"]));
    expect(facets.body.queues).toContain(QUEUE);
    expect(facets.body.workers).toContain("celeriac@test");
  });

  it("an unknown or impossible id is a 404", async () => {
    expect((await h.call("GET", `tasks/${randomUUID()}`)).status).toBe(404);
    expect((await h.call("GET", "tasks/has%20space")).status).toBe(404);
    expect((await h.call("POST", `tasks/${randomUUID()}/retry`, { body: {} })).status).toBe(404);
  });
});

describe("retry, bulk retry, revoke", () => {
  it("retries a FAILURE under a new id linked both ways; a repeated requestKey does it once", async () => {
    flaky.fixed = false;
    const original = await apply(fails.name, ["one"]);
    await settled(original, "FAILURE");
    const failed = await h.call("GET", `tasks/${original}`);
    expect(failed.body).toMatchObject({ errorType: "Error", errorMessage: "boom: one", errorStack: expect.stringMatching(/boom: one/), can: { retry: true } });
    expect(await h.call("POST", `tasks/${original}/revoke`, { body: {} })).toMatchObject({ status: 409 });

    flaky.fixed = true;
    const requestKey = randomUUID();
    const retried = await h.call("POST", `tasks/${original}/retry`, { body: { requestKey } });
    expect(retried).toMatchObject({ status: 200, body: { ok: true, taskId: expect.any(String) } });
    expect(retried.body.repeated).toBeUndefined();
    const again = await h.call("POST", `tasks/${original}/retry`, { body: { requestKey } });
    expect(again.body).toEqual({ ...retried.body, repeated: true });

    const copy = await settled(retried.body.taskId, "SUCCESS");
    expect(copy.body).toMatchObject({ name: fails.name, args: ["one"], result: "fixed one", retriedFrom: original, queue: QUEUE });
    expect((await h.call("GET", `tasks/${original}`)).body.retriedTo).toEqual([retried.body.taskId]);
    expect(await h.call("POST", `tasks/${retried.body.taskId}/retry`, { body: {} })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/SUCCESS/) } });
    // The same key for another action is refused, not answered with the retry's outcome.
    expect(await h.call("POST", "queues/default/pause", { body: { requestKey } })).toMatchObject({ status: 409, body: { field: "requestKey" } });
  });

  it("bulk retry: counts what it would take, refuses when more match than confirmed, retries them once", async () => {
    flaky.fixed = false;
    const ids = [await apply(failsInBulk.name, ["a"]), await apply(failsInBulk.name, ["b"]), await apply(failsInBulk.name, ["c"])];
    for (const id of ids) await settled(id, "FAILURE");
    const filter = { name: failsInBulk.name, status: ["FAILURE"] };
    const count = await h.call("GET", `tasks/retry-count?name=${failsInBulk.name}&status=FAILURE`);
    expect(count.body).toEqual({ count: 3, limit: 10_000 });
    expect((await h.call("GET", `tasks/retry-count?name=${failsInBulk.name}&status=SUCCESS`)).body.count).toBe(0);

    expect(await h.call("POST", "tasks/retry", { body: { filter, expected: 2 } })).toMatchObject({ status: 409, body: { field: "expected" } });
    flaky.fixed = true;
    const requestKey = randomUUID();
    const bulk = await h.call("POST", "tasks/retry", { body: { filter, expected: 3, requestKey } });
    expect(bulk).toMatchObject({ status: 200, body: { ok: true, retried: 3, message: "retried 3 tasks" } });
    expect((await h.call("POST", "tasks/retry", { body: { filter, expected: 3, requestKey } })).body).toMatchObject({ retried: 3, repeated: true });
    for (const id of ids) {
      const [copy] = (await h.call("GET", `tasks/${id}`)).body.retriedTo;
      expect(copy).toBeDefined();
      expect((await settled(copy, "SUCCESS")).body.retriedFrom).toBe(id);
    }
    // The originals stay FAILURE, each with its retry: a second bulk retry of the same filter takes none of them.
    expect((await h.call("GET", `tasks?name=${failsInBulk.name}&status=FAILURE`)).body.rows.map((r: { id: string }) => r.id).sort()).toEqual([...ids].sort());
    expect((await h.call("GET", `tasks/retry-count?name=${failsInBulk.name}&status=FAILURE`)).body).toEqual({ count: 0, limit: 10_000 });
    const second = await h.call("POST", "tasks/retry", { body: { filter, expected: 0 } });
    expect(second).toMatchObject({ status: 200, body: { ok: true, retried: 0, message: expect.stringMatching(/^nothing to retry: .*without a retry/) } });
    for (const id of ids) expect((await h.call("GET", `tasks/${id}`)).body.retriedTo).toHaveLength(1);

    // One task's own Retry still sends an original again: the operator's explicit choice.
    const once = await h.call("POST", `tasks/${ids[0]}/retry`, { body: {} });
    expect(once).toMatchObject({ status: 200, body: { ok: true, taskId: expect.any(String) } });
    expect((await h.call("GET", `tasks/${ids[0]}`)).body.retriedTo).toHaveLength(2);
    await settled(once.body.taskId, "SUCCESS");
    expect((await h.call("GET", `tasks/retry-count?name=${failsInBulk.name}&status=FAILURE`)).body.count).toBe(0);
  });

  it("revokes a task waiting on its countdown; terminate only for a running one", async () => {
    const id = await apply(add.name, [4, 4], { countdown: 60 });
    const waiting = await h.call("GET", `tasks/${id}`);
    expect(waiting.body).toMatchObject({ status: "PENDING", can: { retry: false, revoke: true, terminate: false } });
    expect(await h.call("POST", `tasks/${id}/revoke`, { body: { terminate: true } })).toMatchObject({ status: 409, body: { field: "terminate" } });
    const requestKey = randomUUID();
    expect(await h.call("POST", `tasks/${id}/revoke`, { body: { requestKey } })).toMatchObject({ status: 200, body: { ok: true } });
    expect((await h.call("POST", `tasks/${id}/revoke`, { body: { requestKey } })).body.repeated).toBe(true);
    expect((await h.call("GET", `tasks/${id}`)).body).toMatchObject({ status: "REVOKED", can: { retry: true, revoke: false } });
    expect(await h.call("POST", `tasks/${id}/revoke`, { body: {} })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/REVOKED/) } });
  });

  it("a double click (two requests at once, one key) sends one task and answers both with its outcome", async () => {
    const requestKey = randomUUID();
    const clicks = await Promise.all([0, 1, 2].map(() => h.call("POST", "tasks/apply", { body: { task: add.name, args: [9, 9], requestKey } })));
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(new Set(clicks.map((c) => c.body.taskId)).size).toBe(1);
    expect(clicks.filter((c) => c.body.repeated === true)).toHaveLength(2);
    await settled(clicks[0].body.taskId, "SUCCESS");
    const rows = (await h.call("GET", `tasks?name=${add.name}&limit=200`)).body.rows.filter((r: { args: unknown }) => JSON.stringify(r.args) === "[9,9]");
    expect(rows).toHaveLength(1);
  });

  it("a repeated apply sends one task", async () => {
    const requestKey = randomUUID();
    const first = await h.call("POST", "tasks/apply", { body: { task: add.name, args: [7, 7], requestKey } });
    const second = await h.call("POST", "tasks/apply", { body: { task: add.name, args: [7, 7], requestKey } });
    expect(second.body).toEqual({ ...first.body, repeated: true });
    await settled(first.body.taskId, "SUCCESS");
    const rows = (await h.call("GET", `tasks?name=${add.name}&limit=200`)).body.rows.filter((r: { args: unknown }) => JSON.stringify(r.args) === "[7,7]");
    expect(rows).toHaveLength(1);
  });
});

describe("redaction: a task's redactArgs everywhere the dashboard shows arguments", () => {
  it("hides the secret position in the list, the detail and the audit log", async () => {
    const id = await apply(secret.name, ["ada", "reset-token-123"]);
    await settled(id, "SUCCESS");
    const listed = (await h.call("GET", `tasks?id=${id}`)).body.rows[0];
    expect(listed.args).toEqual(["ada", REDACTED]);
    expect((await h.call("GET", `tasks/${id}`)).body.args).toEqual(["ada", REDACTED]);
    const audit = (await h.call("GET", "audit")).body.entries.find((e: { detail: { taskId?: string } }) => e.detail.taskId === id);
    expect(audit).toMatchObject({ action: "task.apply", target: secret.name, detail: { args: ["ada", REDACTED], outcome: "ok" } });
    expect(JSON.stringify((await h.call("GET", "audit")).body)).not.toContain("reset-token-123");
  });
});

describe("audit and overview", () => {
  it("names the actor authorize() gave, newest first, in pages", async () => {
    const sent = await h.call("POST", "tasks/apply", { role: "ada", body: { task: add.name, args: [0, 0] } });
    const { body } = await h.call("GET", "audit");
    const entry = body.entries.find((e: { detail: { taskId?: string } }) => e.detail.taskId === sent.body.taskId);
    expect(entry).toMatchObject({ actor: "ada@example.com", action: "task.apply", target: add.name, at: expect.any(String), detail: { task: add.name, args: [0, 0], outcome: "ok" } });
    expect(body.entries.find((e: { actor: string; target: string }) => e.actor === "staff" && e.target === add.name)).toBeDefined();
    const older = await h.call("GET", `audit?before=${entry.id}`);
    expect(older.body.entries.every((e: { id: number }) => e.id < entry.id)).toBe(true);
    expect(older.body.entries.length).toBeGreaterThan(0);
  });

  it("the overview: counts, rate, per-minute points, runtimes, queues, workers, recent actions", async () => {
    const { status, body } = await h.call("GET", "overview");
    expect(status).toBe(200);
    expect(body.lastHour.succeeded).toBeGreaterThan(0);
    expect(body.lastHour.failed).toBeGreaterThan(0);
    expect(body.failureRate).toBeGreaterThan(0);
    expect(body.perMinute.length).toBeGreaterThanOrEqual(60);
    expect(body.runtimes.map((r: { name: string }) => r.name)).toContain(add.name);
    expect(body.queues.map((q: { name: string }) => q.name)).toContain(QUEUE);
    expect(body.workersOnline).toBeGreaterThanOrEqual(1);
    expect(body.recentActions.length).toBeGreaterThan(0);
  });
});
