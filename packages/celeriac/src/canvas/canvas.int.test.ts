/**
 * chain, group and chord on real workers (in this process, several apps on one queue), the real Redis and
 * the run's database: results passed on, failures stopping a chain, a chord's callback once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { chain, chord, ChordError, group, States, TaskFailedError, type AsyncResult } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";

let h: Harness;
const runs = new Map<string, number>();

function defineTasks(app: Harness["app"]) {
  return {
    add: app.task({ name: "cv.add", args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y }),
    double: app.task({ name: "cv.double", args: z.tuple([z.number()]), run: (_ctx, x) => x * 2 }),
    label: app.task({ name: "cv.label", args: z.tuple([z.number(), z.string()]), run: (_ctx, n, prefix) => `${prefix}${n}` }),
    sum: app.task({
      name: "cv.sum",
      args: z.tuple([z.array(z.number())]),
      run: (ctx, xs) => {
        runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
        return xs.reduce((a, b) => a + b, 0);
      },
    }),
    boom: app.task({
      name: "cv.boom",
      args: z.tuple([z.number()]),
      run: (_ctx, x) => {
        throw new RangeError(`no good: ${x}`);
      },
    }),
    constant: app.task({ name: "cv.constant", args: z.tuple([z.string()]), run: (_ctx, s) => s }),
    suffixed: app.task({ name: "cv.suffixed", args: z.tuple([z.number(), z.string(), z.string().default("!")]), run: (_ctx, n, prefix, suffix) => `${prefix}${n}${suffix}` }),
  };
}
let t: ReturnType<typeof defineTasks>;

beforeAll(async () => {
  h = createHarness("canvas");
  t = defineTasks(h.app);
  await h.startWorker({ concurrency: 8 });
});
afterAll(() => h.close());

describe("chain", () => {
  it("runs the steps in order, each given the previous result first; the handle is the last step's, parent walks back", async () => {
    const r = await chain(t.add.s(2, 3), t.double.s(), t.label.s("n=")).delay();
    expect(await r.get({ timeout: 10_000 })).toBe("n=10");
    const middle = r.parent!;
    const first = middle.parent!;
    expect(first.parent).toBeUndefined();
    expect(await middle.get()).toBe(10);
    expect(await first.get()).toBe(5);
    const [a, b, c] = await Promise.all([first.info(), middle.info(), r.info()]);
    expect([a!.rootId, b!.rootId, c!.rootId]).toEqual([first.id, first.id, first.id]);
    expect([a!.parentId, b!.parentId, c!.parentId]).toEqual([null, first.id, middle.id]);
    expect(c!.args).toEqual([10, "n="]);
  });

  it("a defaulted last argument: a step is whole when its arguments are a whole call, else it takes the previous result first", async () => {
    expect(await (await chain(t.add.s(1, 2), t.suffixed.s("n=", "?")).delay()).get({ timeout: 10_000 })).toBe("n=3?");
    expect(await (await chain(t.add.s(1, 2), t.suffixed.s("n=")).delay()).get({ timeout: 10_000 })).toBe("n=3!");
    expect(await (await t.suffixed.s(5, "x").delay()).get({ timeout: 10_000 })).toBe("x5!");
  });

  it("an immutable step ignores the previous result", async () => {
    const r = await chain(t.add.s(1, 1), t.constant.si("fixed")).delay();
    expect(await r.get({ timeout: 10_000 })).toBe("fixed");
  });

  it("a failing step stops the chain: its error is the chain's, the later steps are recorded with it and never run", async () => {
    const r = await chain(t.add.s(1, 2), t.boom.s(), t.double.s(), t.label.s("x")).delay();
    const error = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as Error).message).toContain("no good: 3");
    const failedStep = r.parent!.parent!;
    const [failed, never1, never2] = await Promise.all([failedStep.info(), r.parent!.info(), r.info()]);
    expect(failed).toMatchObject({ status: States.FAILURE, meta: null });
    expect(never1).toMatchObject({ status: States.FAILURE, meta: { chainStoppedBy: failedStep.id }, startedAt: expect.any(Date) });
    expect(never2).toMatchObject({ status: States.FAILURE, meta: { chainStoppedBy: failedStep.id }, parentId: r.parent!.id });
    expect(never2!.error).toEqual(failed!.error);
  });

  it("dispatched on commit: nothing is sent after a rollback; after the commit it runs (durable too)", async () => {
    let lastId = "";
    await h.app
      .transaction(async () => {
        lastId = chain(t.add.s(4, 4), t.double.s()).delayOnCommit();
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.app.AsyncResult.from(lastId).info()).toBeNull();
    for (const durable of [false, true]) {
      const id = await h.app.transaction(async () => chain(t.add.s(4, 4), t.double.s()).delayOnCommit(), { durable });
      expect(await h.app.AsyncResult.from(id).get({ timeout: 10_000 })).toBe(16);
    }
  });

  it("an owned chain: every step's handle reads PENDING to its owner as soon as it is sent, not only the first's", async () => {
    // The first step waits on a queue no worker serves, so no later step has been sent when the rows are read.
    const idle = (n: number) => t.add.s(n, 1).set({ queue: "cv-unserved" });
    const rowsOf = async (ids: string[]) => Promise.all(ids.map((id) => h.app.AsyncResult.from(id, { ownedBy: ["user:9"] }).info()));
    const stepIds = (last: AsyncResult) => {
      const ids: string[] = [];
      for (let step: AsyncResult | undefined = last; step; step = step.parent) ids.unshift(step.id);
      return ids;
    };

    const sent = await chain(idle(1), t.double.s(), t.label.s("n=")).applyAsync({ owner: "user:9" });
    const ids = stepIds(sent);
    const rows = await rowsOf(ids);
    expect(rows.map((r) => r && [r.status, r.owner, r.name])).toEqual([
      [States.PENDING, "user:9", "cv.add"],
      [States.PENDING, "user:9", "cv.double"],
      [States.PENDING, "user:9", "cv.label"],
    ]);
    expect(rows.map((r) => [r!.parentId, r!.rootId])).toEqual([
      [null, ids[0]],
      [ids[0], ids[0]],
      [ids[1], ids[0]],
    ]);
    // Without an owner nothing more is written than before: the later steps have no row until they are sent.
    const unowned = stepIds(await chain(idle(2), t.double.s()).delay());
    expect((await Promise.all(unowned.map((id) => h.app.AsyncResult.from(id).info()))).map((r) => r?.status ?? null)).toEqual([null, null]);

    // On commit, plain and durable: the later steps' rows are there when transaction() resolves.
    for (const durable of [false, true]) {
      const last = await h.app.transaction(async () => chain(idle(3), t.double.s(), t.label.s("x")).applyAsyncOnCommit({ owner: "user:9" }), { durable });
      const later = await rowsOf([last]);
      expect(later.map((r) => r && [r.status, r.owner])).toEqual([[States.PENDING, "user:9"]]);
    }
  });
});

describe("link and linkError", () => {
  it("a link is sent with the result; a linkError with the failed task's id; set() changes the queue", async () => {
    const ok = await t.add.s(2, 5).link(t.double.s()).delay();
    expect(await ok.get({ timeout: 10_000 })).toBe(7);
    const linked = await waitForChild(ok.id);
    expect(linked).toMatchObject({ name: "cv.double", status: States.SUCCESS, result: 14, parentId: ok.id, rootId: ok.id });

    const failed = await t.boom.s(1).linkError(t.constant.s().set({ queue: "default" })).delay();
    await expect(failed.get({ timeout: 10_000 })).rejects.toThrow("no good: 1");
    expect(await waitForChild(failed.id)).toMatchObject({ name: "cv.constant", status: States.SUCCESS, result: failed.id });
  });
});

/** The row of the task sent after `parentId` (a link), once it finished. */
async function waitForChild(parentId: string) {
  for (let i = 0; i < 200; i++) {
    const row = await h.db.taskResult.findFirst({ where: { parentId, status: { in: ["SUCCESS", "FAILURE"] } } });
    if (row) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no task after ${parentId}`);
}

describe("group", () => {
  it("runs the members in parallel; get() gives their results in member order", async () => {
    const g = await group(t.add.s(1, 1), t.add.s(2, 2), t.double.s(50)).delay();
    expect(await g.get({ timeout: 10_000 })).toEqual([2, 4, 100]);
    expect(await g.completedCount()).toBe(3);
    expect(await g.ready()).toBe(true);
    expect(await g.successful()).toBe(true);
    const restored = await h.app.groupResult(g.id);
    expect(await restored!.get()).toEqual([2, 4, 100]);
    expect((await g.results[0]!.info())!.groupId).toBe(g.id);
  });

  it("result expiry removes group rows older than resultExpires, as it does their members' rows", async () => {
    const now = Date.now();
    await h.db.taskGroup.createMany({
      data: [
        { id: `old-group-${now}`, memberIds: [], createdAt: new Date(now - 2 * 86_400_000) },
        { id: `new-group-${now}`, memberIds: [], createdAt: new Date(now) },
      ],
    });
    await h.app.cleanupResults();
    expect(await h.app.groupResult(`old-group-${now}`)).toBeNull();
    expect((await h.app.groupResult(`new-group-${now}`))!.id).toBe(`new-group-${now}`);
  });

  it("GroupResult.get() inside a task throws SyncSubtaskError (use a chord), as AsyncResult.get() does", async () => {
    const waiter = h.app.task({
      name: "cv.waitsOnGroup",
      args: z.tuple([]),
      run: async () => {
        const g = await group(t.add.s(1, 1)).delay();
        return g.get({ timeout: 5_000 }).then(() => "waited", (e: Error) => e.name);
      },
    });
    expect(await (await waiter.delay()).get({ timeout: 10_000 })).toBe("SyncSubtaskError");
  });

  it("owners: each member's own task owner(...args) unless the workflow names one for all", async () => {
    const mail = h.app.task({ name: "cv.mailTo", args: z.tuple([z.number()]), owner: (userId) => `user:${userId}`, run: (_ctx, id) => id });
    const g = await group(mail.s(1), mail.s(2)).delay();
    await g.get({ timeout: 10_000 });
    expect((await Promise.all(g.results.map((r) => r.info()))).map((r) => r!.owner)).toEqual(["user:1", "user:2"]);
    const all = await group(mail.s(3), mail.s(4)).applyAsync({ owner: "staff:ops" });
    await all.get({ timeout: 10_000 });
    expect((await Promise.all(all.results.map((r) => r.info()))).map((r) => r!.owner)).toEqual(["staff:ops", "staff:ops"]);
    const c = await chain(mail.s(5), t.double.s()).delay();
    await c.get({ timeout: 10_000 });
    expect([(await c.parent!.info())!.owner, (await c.info())!.owner]).toEqual(["user:5", "user:5"]);
  });

  it("a failed member: ready, not successful, get() rejects with its error", async () => {
    const g = await group(t.add.s(1, 1), t.boom.s(7)).delay();
    await expect(g.get({ timeout: 10_000 })).rejects.toThrow("no good: 7");
    expect(await g.ready()).toBe(true);
    expect(await g.successful()).toBe(false);
    expect(await g.completedCount()).toBe(1);
  });
});

describe("chord", () => {
  it("the callback runs once every member succeeded, with their results in order", async () => {
    const r = await chord(group(t.add.s(1, 2), t.add.s(3, 4), t.double.s(10)), t.sum.s()).delay();
    expect(await r.get({ timeout: 10_000 })).toBe(3 + 7 + 20);
    expect((await r.info())!.args).toEqual([[3, 7, 20]]);
    const members = r.header!;
    expect(await members.get()).toEqual([3, 7, 20]);
    expect((await r.info())!.parentId).toBe(members.id);
    expect(runs.get(r.id)).toBe(1);
  });

  it("a failed member fails the chord with a ChordError naming it; the callback never runs", async () => {
    const r = await chord(group(t.add.s(1, 2), t.boom.s(9)), t.sum.s()).delay();
    const error = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).message).toContain(ChordError.name);
    expect((error as TaskFailedError).message).toContain("no good: 9");
    expect(runs.get(r.id)).toBeUndefined();
  });

  it("an empty chord's callback runs at once with no results", async () => {
    const r = await chord(group(), t.sum.s()).delay();
    expect(await r.get({ timeout: 10_000 })).toBe(0);
  });

  it("an owned chord: its handle (the callback's) reads PENDING to the owner as soon as it is sent; then the outcome", async () => {
    const idle = (n: number) => t.add.s(n, 1).set({ queue: "cv-unserved" });
    const waiting = await chord(group(idle(1), idle(2)), t.sum.s()).applyAsync({ owner: "user:7" });
    const row = await h.app.AsyncResult.from(waiting.id, { ownedBy: ["user:7"] }).info();
    expect(row && [row.status, row.owner, row.name, row.parentId]).toEqual([States.PENDING, "user:7", "cv.sum", row!.rootId]);
    // Unowned: no row until the callback is sent, as before.
    const unowned = await chord(group(idle(3)), t.sum.s()).delay();
    expect(await h.app.AsyncResult.from(unowned.id).info()).toBeNull();
    // The PENDING row never hides the outcome the worker writes later.
    const done = await chord(group(t.add.s(1, 2), t.add.s(3, 4)), t.sum.s()).applyAsync({ owner: "user:7" });
    expect(await done.get({ timeout: 10_000 })).toBe(10);
  });

  it("exactly once over 50 chords of 8 members finishing together", { timeout: 120_000 }, async () => {
    const handles = await Promise.all(Array.from({ length: 50 }, () => chord(group(...Array.from({ length: 8 }, (_, i) => t.double.s(i))), t.sum.s()).delay()));
    const values = await Promise.all(handles.map((r) => r.get({ timeout: 60_000 })));
    expect(values).toEqual(handles.map(() => 56));
    expect(handles.map((r) => runs.get(r.id))).toEqual(handles.map(() => 1));
  });
});
