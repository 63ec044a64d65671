/**
 * Dispatch from transactions, on real Redis and the run's real database (SQLite or PostgreSQL), with
 * real commits and rollbacks: nothing here is a rollback sandbox.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createCeleriac } from "../index.js";
import { createDb } from "../../test/db.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { REDIS_URL, withBullQueue } from "../../test/redis.js";

let h: Harness;
const seen: { itemId: number; title: string | null }[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function defineTasks(app: Harness["app"], db: Harness["db"]) {
  return {
    readItem: app.task({
      name: "tx.readItem",
      args: z.tuple([z.number().int()]),
      async run(_ctx, itemId) {
        const item = await db.testItem.findUnique({ where: { id: itemId } });
        seen.push({ itemId, title: item?.title ?? null });
        if (!item) throw new Error(`item ${itemId} not found`);
        return item.title;
      },
    }),
  };
}

let t: ReturnType<typeof defineTasks>;

async function jobExists(id: string, prefix = h.keyPrefix): Promise<boolean> {
  return withBullQueue(prefix, "default", async (queue) => (await queue.getJob(id)) !== undefined);
}

beforeAll(async () => {
  h = createHarness("tx");
  t = defineTasks(h.app, h.db);
  await h.startWorker({ concurrency: 8 });
});
afterAll(async () => {
  await h.close();
});

describe("transaction() + .delay()", () => {
  it("on commit: the task runs and sees the committed row", async () => {
    const { result, item } = await h.app.transaction(async (tx) => {
      const item = await tx.testItem.create({ data: { title: "committed" } });
      const result = await t.readItem.delay(item.id);
      await sleep(300); // a worker started now would not see the row yet
      return { result, item };
    });
    expect(await result.get({ timeout: 10_000 })).toBe("committed");
    expect(seen).toContainEqual({ itemId: item.id, title: "committed" });
  });

  it("on rollback: no job in Redis, no PENDING row, the task never runs", async () => {
    let taskId = "";
    let itemId = 0;
    await expect(
      h.app.transaction(async (tx) => {
        const item = await tx.testItem.create({ data: { title: "rolled back" } });
        itemId = item.id;
        taskId = (await t.readItem.delay(item.id)).id;
        throw new Error("validation failed after the dispatch");
      }),
    ).rejects.toThrow("validation failed");
    await sleep(500);
    expect(await jobExists(taskId)).toBe(false);
    expect(await h.db.taskResult.findUnique({ where: { id: taskId } })).toBeNull();
    expect(seen.map((s) => s.itemId)).not.toContain(itemId);
  });

  it("without deferral (dispatchInTransaction: 'allow') the worker can start before the commit: the bug this prevents", async () => {
    const loose = createHarness("tx-allow", { dispatchInTransaction: "allow" });
    // The worker is another process in production: its own app, database connection and result writes.
    const workerDb = createDb(loose.databaseUrl);
    const workerApp = createCeleriac({ prisma: workerDb, databaseUrl: loose.databaseUrl, redisUrl: REDIS_URL, keyPrefix: loose.keyPrefix, logLevel: "silent" });
    const early: (string | null)[] = [];
    // No result row: on SQLite a STARTED write would wait for the producer's write lock and hide the race.
    const options = { name: "tx.readEarly", args: z.tuple([z.number().int()]), ignoreResult: true };
    workerApp.task({
      ...options,
      run: async (_ctx, id) => void early.push((await workerDb.testItem.findUnique({ where: { id } }))?.title ?? null),
    });
    const task = loose.app.task({ ...options, run: () => undefined });
    const worker = await workerApp.startWorker({ concurrency: 2 });
    try {
      await loose.app.transaction(async (tx) => {
        const item = await tx.testItem.create({ data: { title: "too early" } });
        await task.delay(item.id);
        await sleep(1000);
      });
      await expect.poll(() => early.length, { timeout: 10_000 }).toBe(1);
      expect(early).toEqual([null]); // the worker looked before the commit and found nothing
    } finally {
      await worker.stop();
      await workerApp.close();
      await workerDb.$disconnect();
      await loose.close();
    }
  });

  it("'warn' sends at once and logs a warning naming the task", async () => {
    const warned = createHarness("tx-warn", { dispatchInTransaction: "warn" });
    const task = defineTasks(warned.app, warned.db).readItem;
    const warn = vi.spyOn(warned.app.log, "warn");
    try {
      let id = "";
      await warned.app.transaction(async () => {
        id = (await task.delay(1)).id;
        await sleep(200);
        expect(await jobExists(id, warned.keyPrefix)).toBe(true);
      });
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ task: "tx.readItem", taskId: id }), expect.stringMatching(/inside an open transaction/));
    } finally {
      await warned.close();
    }
  });
});

describe("delayOnCommit and PENDING rows", () => {
  it("returns the id synchronously and records a PENDING row soon after the commit", async () => {
    let id = "";
    await h.app.transaction(async (tx) => {
      const item = await tx.testItem.create({ data: { title: "pending" } });
      id = t.readItem.applyAsyncOnCommit([item.id], { countdown: 2 });
      expect(typeof id).toBe("string");
    });
    const r = h.app.AsyncResult.from<typeof t.readItem>(id);
    // Group-committed after the commit, off the caller's path (the task waits 2 s, so nothing overtakes it).
    await expect.poll(() => r.info(), { timeout: 2_000, interval: 10 }).toMatchObject({ status: "PENDING", name: "tx.readItem", queue: "default" });
    expect(await r.get({ timeout: 10_000 })).toBe("pending");
  });

  it("refuses bad arguments at the call, inside the transaction, which then rolls back", async () => {
    await expect(
      h.app.transaction(async () => {
        (t.readItem.delayOnCommit as (...a: unknown[]) => string)("not a number");
      }),
    ).rejects.toThrow(/invalid arguments for task 'tx.readItem'/);
  });
});

describe("onCommit", () => {
  it("runs callbacks after the commit, in registration order; outside a transaction at once", async () => {
    const order: string[] = [];
    await h.app.transaction(async () => {
      h.app.onCommit(() => order.push("first"));
      h.app.onCommit(async () => {
        await sleep(20);
        order.push("second");
      });
      h.app.onCommit(() => order.push("third"));
      order.push("body");
    });
    expect(order).toEqual(["body", "first", "second", "third"]);
    h.app.onCommit(() => order.push("outside"));
    expect(order.at(-1)).toBe("outside");
  });

  it("drops callbacks on rollback", async () => {
    const ran: string[] = [];
    await h.app
      .transaction(async () => {
        h.app.onCommit(() => ran.push("never"));
        throw new Error("rollback");
      })
      .catch(() => undefined);
    expect(ran).toEqual([]);
  });

  it("a callback that throws is logged, the rest still run, and the transaction resolves", async () => {
    const ran: string[] = [];
    const error = vi.spyOn(h.app.log, "error");
    const value = await h.app.transaction(async () => {
      h.app.onCommit(() => {
        throw new Error("mail server down");
      });
      h.app.onCommit(() => ran.push("after the throw"));
      return "committed";
    });
    expect(value).toBe("committed");
    expect(ran).toEqual(["after the throw"]);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), expect.stringMatching(/onCommit callback threw/));
  });

  it("a nested block that fails and is caught: its writes and callbacks are dropped, the outer ones run", async () => {
    const ran: string[] = [];
    const ids = await h.app.transaction(async (tx) => {
      const outer = await tx.testItem.create({ data: { title: "outer" } });
      h.app.onCommit(() => ran.push("outer"));
      let innerId = 0;
      await h.app
        .transaction(async (inner) => {
          innerId = (await inner.testItem.create({ data: { title: "inner" } })).id;
          h.app.onCommit(() => ran.push("inner"));
          t.readItem.delayOnCommit(innerId);
          throw new Error("inner failure");
        })
        .catch(() => undefined);
      await h.app.transaction(async () => {
        h.app.onCommit(() => ran.push("second inner"));
      });
      h.app.onCommit(() => ran.push("outer again"));
      return { outer: outer.id, inner: innerId };
    });
    expect(ran).toEqual(["outer", "second inner", "outer again"]);
    expect(await h.db.testItem.findUnique({ where: { id: ids.outer } })).not.toBeNull();
    expect(await h.db.testItem.findUnique({ where: { id: ids.inner } })).toBeNull(); // rolled back to the savepoint
    await sleep(300);
    expect(seen.map((s) => s.itemId)).not.toContain(ids.inner);
  });
});

describe("under load", () => {
  it("1,000 concurrent requests, half rolled back: the tasks run are exactly the committed rows", async () => {
    const runs = new Set<number>();
    const app = h.app;
    const record = app.task({ name: "tx.recordRun", args: z.tuple([z.number().int()]), run: (_c, id) => void runs.add(id) });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) =>
        app.transaction(
          async (tx) => {
            const a = await tx.testItem.create({ data: { title: `load-${i}` } });
            record.delayOnCommit(a.id);
            if (i % 2 === 1) throw new Error("rolled back on purpose");
            return a.id;
          },
          { maxWait: 120_000, timeout: 120_000 },
        ),
      ),
    );
    const committed = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    expect(committed).toHaveLength(500);
    expect(outcomes.filter((o) => o.status === "rejected").every((o) => /on purpose/.test(String((o as PromiseRejectedResult).reason)))).toBe(true);
    await expect.poll(() => runs.size, { timeout: 60_000, interval: 200 }).toBe(500);
    await sleep(500);
    expect([...runs].sort((a, b) => a - b)).toEqual([...committed].sort((a, b) => a - b));
  }, 120_000);
});

describe("eager mode inside a transaction", () => {
  it("runs the task after the commit, and never after a rollback", async () => {
    const eager = createHarness("tx-eager", { alwaysEager: true });
    const ran: string[] = [];
    const task = eager.app.task({ name: "tx.eager", args: z.tuple([z.string()]), run: (_c, tag) => void ran.push(tag) });
    try {
      await eager.app.transaction(async () => {
        await task.delay("committed");
        expect(ran).toEqual([]); // not inside the transaction
      });
      expect(ran).toEqual(["committed"]);
      await eager.app
        .transaction(async () => {
          await task.delay("rolled back");
          throw new Error("no");
        })
        .catch(() => undefined);
      expect(ran).toEqual(["committed"]);
    } finally {
      await eager.close();
    }
  });
});
