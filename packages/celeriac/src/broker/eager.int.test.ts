/** Eager mode (Celery's task_always_eager): .delay() runs inline and returns a settled result. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidArgumentsError, States, SyncSubtaskError, TaskFailedError } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { keysUnder } from "../../test/redis.js";

let h: Harness;
let ran = 0;

beforeAll(() => {
  h = createHarness("eager", { alwaysEager: true });
});
afterAll(() => h.close());

describe("alwaysEager", () => {
  it("runs the task before .delay() resolves and stores its result", async () => {
    const double = h.app.task({ name: "e.double", args: z.tuple([z.number()]), run: (_c, n) => (ran++, n * 2) });
    const before = ran;
    const r = await double.delay(21);
    expect(ran).toBe(before + 1);
    expect(await r.status()).toBe(States.SUCCESS);
    expect(await r.result()).toBe(42);
    expect(await r.get({ timeout: 1 })).toBe(42);
    expect(await h.db.taskResult.findUnique({ where: { id: r.id } })).toMatchObject({ status: "SUCCESS", result: 42 });
  });

  it("settles a failure: get() rejects with the task's error", async () => {
    const boom = h.app.task({
      name: "e.boom",
      args: z.tuple([]),
      run: () => {
        throw new RangeError("out of range");
      },
    });
    const r = await boom.delay();
    await expect(r.get()).rejects.toBeInstanceOf(TaskFailedError);
    await expect(r.get()).rejects.toThrow("RangeError: out of range");
  });

  it("still refuses invalid arguments at the call", async () => {
    const double = h.app.task({ name: "e.double2", args: z.tuple([z.number()]), run: (_c, n) => n * 2 });
    await expect((double.delay as (...a: unknown[]) => Promise<unknown>)("x")).rejects.toBeInstanceOf(InvalidArgumentsError);
  });

  it("keeps the value of an ignoreResult task in the handle, with nothing stored", async () => {
    const quiet = h.app.task({ name: "e.quiet", args: z.tuple([]), ignoreResult: true, run: () => "kept in memory" });
    const r = await quiet.delay();
    expect(await r.get()).toBe("kept in memory");
    expect(await h.db.taskResult.findUnique({ where: { id: r.id } })).toBeNull();
  });

  it("keeps the get() guard: a task that waits on its subtask fails as it would on a worker, unless allowInsideTask", async () => {
    const inner = h.app.task({ name: "e.inner", args: z.tuple([z.number()]), run: (_c, n) => n + 1 });
    const outer = h.app.task({
      name: "e.outer",
      args: z.tuple([z.boolean()]),
      run: async (_c, allowInsideTask) => (await inner.delay(1)).get({ allowInsideTask }),
    });
    const refused = await outer.delay(false);
    await expect(refused.get()).rejects.toThrow(TaskFailedError);
    expect(await refused.info()).toMatchObject({ status: "FAILURE", error: { type: SyncSubtaskError.name } });
    expect(await (await outer.delay(true)).get()).toBe(2); // the subtask ran inline in delay(): nothing to wait for
  });

  it("stores progress as a worker does: the outcome, written last, clears it", async () => {
    const counts = h.app.task({
      name: "e.counts",
      args: z.tuple([]),
      run: (ctx) => {
        ctx.progress({ current: 1, total: 1, message: "done soon" });
        return "counted";
      },
    });
    const r = await counts.delay();
    expect(await r.get()).toBe("counted");
    expect(await h.db.taskResult.findUnique({ where: { id: r.id } })).toMatchObject({ status: "SUCCESS", meta: null });
  });

  it("puts nothing in Redis", async () => {
    expect(await keysUnder(h.keyPrefix)).toEqual([]);
  });
});
