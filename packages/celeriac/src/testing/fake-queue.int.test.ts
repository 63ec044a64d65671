/**
 * fakeQueue on the run's real database (SQLite or PostgreSQL) and no Redis at all (the app's Redis URL is a
 * port nobody listens on): dispatches from transactions are recorded at the commit and never after a
 * rollback, and runAll writes the rows a worker would.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { States, TaskFailedError } from "../index.js";
import { fakeQueue, type FakeQueue } from "./index.js";
import { createHarness, type Harness } from "../../test/harness.js";

let h: Harness;
let t: ReturnType<typeof defineTasks>;
let queue: FakeQueue;
let flaky = 0;

function defineTasks(app: Harness["app"], db: Harness["db"]) {
  const title = app.task({
    name: "fq.title",
    args: z.tuple([z.number().int()]),
    owner: (itemId) => `item:${itemId}`,
    async run(_ctx, itemId) {
      return (await db.testItem.findUniqueOrThrow({ where: { id: itemId } })).title;
    },
  });
  const flakyTask = app.task({
    name: "fq.flaky",
    args: z.tuple([]),
    maxRetries: 3,
    run: (ctx) => (++flaky < 3 ? ctx.retry({ countdown: 60 }) : `after ${ctx.retries} retries`),
  });
  const publish = app.task({
    name: "fq.publish",
    args: z.tuple([z.string()]),
    // A task that dispatches from a transaction of its own: runAll records and runs that too.
    async run(_ctx, text) {
      return app.transaction(async (tx) => {
        const item = await tx.testItem.create({ data: { title: text } });
        title.delayOnCommit(item.id);
        return item.id;
      });
    },
  });
  return { title, flaky: flakyTask, publish };
}

beforeAll(() => {
  h = createHarness("fake-queue", { redisUrl: "redis://127.0.0.1:1" });
  t = defineTasks(h.app, h.db);
});
afterAll(() => h.close());
beforeEach(() => {
  queue = fakeQueue(h.app);
});
afterEach(() => queue.restore());

describe("dispatch from transactions", () => {
  it("delayOnCommit is recorded at the commit, not before", async () => {
    const inside: unknown[] = [];
    const item = await h.app.transaction(async (tx) => {
      const item = await tx.testItem.create({ data: { title: "committed" } });
      t.title.delayOnCommit(item.id);
      await t.title.delay(item.id); // deferred to the commit too
      inside.push(...queue.sent);
      return item;
    });
    expect(inside).toEqual([]);
    queue.assertEnqueued(t.title, [item.id], { times: 2, owner: `item:${item.id}` });
  });

  it("a rollback records nothing", async () => {
    await expect(
      h.app.transaction(async (tx) => {
        const item = await tx.testItem.create({ data: { title: "rolled back" } });
        t.title.delayOnCommit(item.id);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(queue.sent).toEqual([]);
    queue.assertNotEnqueued(t.title);
  });

  it("a nested block that throws drops its own dispatches; the outer ones are recorded", async () => {
    const ids = await h.app.transaction(async (tx) => {
      const outer = await tx.testItem.create({ data: { title: "outer" } });
      t.title.delayOnCommit(outer.id);
      const inner = await h.app
        .transaction(async (tx2) => {
          const inner = await tx2.testItem.create({ data: { title: "inner" } });
          t.title.delayOnCommit(inner.id);
          throw new Error("inner fails");
        })
        .catch(() => undefined);
      return { outer: outer.id, inner };
    });
    expect(ids.inner).toBeUndefined();
    expect(queue.sent.map((s) => s.args)).toEqual([[ids.outer]]);
  });

  it("a durable dispatch is recorded after the commit, and its outbox row marked sent (no relay sends it again)", async () => {
    const item = await h.app.transaction(async (tx) => {
      const item = await tx.testItem.create({ data: { title: "durable" } });
      t.title.delayOnCommit(item.id);
      return item;
    }, { durable: true });
    const sent = queue.assertEnqueued(t.title, [item.id]);
    await expect.poll(async () => (await h.db.taskOutbox.findUnique({ where: { id: sent.id } }))?.dispatchedAt ?? null).not.toBeNull();
  });
});

describe("runAll and the result store", () => {
  it("a dispatch with an owner writes its PENDING row at once, as with Redis; runAll writes the outcome", async () => {
    const item = await h.db.testItem.create({ data: { title: "read me" } });
    const result = await t.title.delay(item.id);
    expect(await h.db.taskResult.findUnique({ where: { id: result.id } })).toMatchObject({ status: "PENDING", owner: `item:${item.id}` });
    const waiting = result.get({ timeout: 10_000 }); // already waiting when the run writes the row, as for a worker
    const [run] = await queue.runAll();
    expect(run).toMatchObject({ id: result.id, outcome: { status: "SUCCESS", result: "read me" } });
    expect(await waiting).toBe("read me");
    expect(await h.db.taskResult.findUnique({ where: { id: result.id } })).toMatchObject({ status: "SUCCESS", result: "read me", worker: h.app.hostname });
  });

  it("runs what the tasks dispatch from their own transactions", async () => {
    await t.publish.delay("from a task");
    const runs = await queue.runAll();
    expect(runs.map((r) => [r.name, r.outcome.status])).toEqual([["fq.publish", "SUCCESS"], ["fq.title", "SUCCESS"]]);
    expect(runs[1].outcome).toEqual({ status: "SUCCESS", result: "from a task" });
  });

  it("a failure is recorded as a worker records it, and runAll rejects", async () => {
    const result = await t.title.delay(999_999_999); // no such item
    await expect(queue.runAll()).rejects.toThrow(/^runAll: 1 of 1 tasks failed/);
    await expect(result.get()).rejects.toBeInstanceOf(TaskFailedError);
  });

  it("a retry runs again at once (the countdown is not waited for), as in eager mode", async () => {
    flaky = 0;
    const result = await t.flaky.delay();
    const [run] = await queue.runAll();
    expect(run.outcome).toEqual({ status: "SUCCESS", result: "after 2 retries" });
    expect(await result.status()).toBe(States.SUCCESS);
  });

  it("a result revoked before runAll runs as REVOKED", async () => {
    const item = await h.db.testItem.create({ data: { title: "revoked" } });
    const result = await t.title.delay(item.id);
    await result.revoke();
    const [run] = await queue.runAll();
    expect(run.outcome.status).toBe("REVOKED");
    expect(await result.status()).toBe(States.REVOKED);
  });
});
