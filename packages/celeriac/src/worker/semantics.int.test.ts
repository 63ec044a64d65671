/** Retries, time limits, signals and routing on a real worker, real Redis and the run's database. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { States, TaskFailedError, type TaskRecord } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";

let h: Harness;
const attempts = new Map<string, number>();
const events: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = (id: string) => attempts.set(id, (attempts.get(id) ?? 0) + 1).get(id)!;

class Flaky extends Error {
  override name = "Flaky";
}

function defineTasks(app: Harness["app"]) {
  return {
    flakyTwice: app.task({
      name: "s.flakyTwice",
      args: z.tuple([]),
      maxRetries: 3,
      run: (ctx) => {
        if (bump(ctx.id) <= 2) ctx.retry({ countdown: 0.2, error: new Flaky(`attempt ${ctx.retries + 1} failed`) });
        return { retries: ctx.retries };
      },
    }),
    alwaysRetries: app.task({
      name: "s.alwaysRetries",
      args: z.tuple([]),
      maxRetries: 2,
      run: (ctx) => {
        bump(ctx.id);
        return ctx.retry({ countdown: 0.1, error: new Flaky("still down") });
      },
    }),
    auto: app.task({
      name: "s.auto",
      args: z.tuple([]),
      autoretryFor: [Flaky],
      retryBackoff: 0.1,
      retryJitter: false,
      run: (ctx) => {
        if (bump(ctx.id) === 1) throw new Flaky("connection reset");
        return "recovered";
      },
    }),
    notAuto: app.task({
      name: "s.notAuto",
      args: z.tuple([]),
      autoretryFor: [Flaky],
      run: (ctx) => {
        bump(ctx.id);
        throw new TypeError("a bug, not a transient error");
      },
    }),
    soft: app.task({
      name: "s.soft",
      args: z.tuple([]),
      softTimeLimit: 0.2,
      timeLimit: 5,
      run: async (ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return `cleaned up after ${(ctx.signal.reason as Error).name}`;
      },
    }),
    hard: app.task({ name: "s.hard", args: z.tuple([]), timeLimit: 0.3, run: () => new Promise(() => undefined) }),
    quick: app.task({ name: "s.quick", args: z.tuple([z.number()]), run: (_c, n) => n }),
  };
}

let t: ReturnType<typeof defineTasks>;

beforeAll(async () => {
  h = createHarness("semantics", { taskRoutes: { "routed.*": "routed" } });
  t = defineTasks(h.app);
  for (const name of ["taskPrerun", "taskPostrun", "taskSuccess", "taskFailure", "taskRetry"] as const) {
    h.app.signals.on(name, (p) => events.push(`${name}:${"taskId" in p ? p.taskId : ""}`));
  }
  await h.startWorker({ queues: ["default", "routed"], concurrency: 4 });
});
afterAll(() => h.close());

async function statusesUntilReady(id: string): Promise<TaskRecord[]> {
  const seen: TaskRecord[] = [];
  const r = h.app.AsyncResult.from(id);
  for (let i = 0; i < 200; i++) {
    const row = await r.info();
    if (row && seen.at(-1)?.status !== row.status) seen.push(row);
    if (row && ["SUCCESS", "FAILURE", "REVOKED"].includes(row.status)) return seen;
    await sleep(25);
  }
  throw new Error(`task ${id} did not finish`);
}

describe("retries", () => {
  it("ctx.retry(): shows RETRY with the count while retrying, then SUCCESS; the task sees ctx.retries", async () => {
    const r = await t.flakyTwice.delay();
    const seen = await statusesUntilReady(r.id);
    const retryRow = seen.find((row) => row.status === States.RETRY);
    expect(retryRow).toMatchObject({ error: { type: "Flaky" } });
    expect(retryRow!.retries).toBeGreaterThanOrEqual(1);
    expect(await r.get()).toEqual({ retries: 2 });
    expect((await r.info())!.retries).toBe(2);
    expect(attempts.get(r.id)).toBe(3);
    expect(events).toContain(`taskRetry:${r.id}`);
  });

  it("fails with the last error once maxRetries is exhausted", async () => {
    const r = await t.alwaysRetries.delay();
    const error = await r.get({ timeout: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).remote).toMatchObject({ type: "Flaky", message: "still down" });
    expect(await r.info()).toMatchObject({ status: "FAILURE", retries: 2 });
    expect(attempts.get(r.id)).toBe(3); // the first run and two retries
  });

  it("autoretryFor retries listed errors with backoff, and not others", async () => {
    const ok = await t.auto.delay();
    expect(await ok.get({ timeout: 15_000 })).toBe("recovered");
    expect((await ok.info())!.retries).toBe(1);
    const bug = await t.notAuto.delay();
    await expect(bug.get({ timeout: 15_000 })).rejects.toThrow("TypeError: a bug, not a transient error");
    expect(attempts.get(bug.id)).toBe(1);
  });
});

describe("time limits", () => {
  it("soft: ctx.signal aborts with SoftTimeLimitExceeded and the task can clean up", async () => {
    const r = await t.soft.delay();
    expect(await r.get({ timeout: 10_000 })).toBe("cleaned up after SoftTimeLimitExceeded");
  });

  it("hard: a task that never resolves is FAILURE TimeLimitExceeded, and the worker keeps serving", async () => {
    const stuck = await Promise.all([1, 2, 3, 4, 5].map(() => t.hard.delay())); // more than the concurrency (4)
    for (const r of stuck) {
      const error = await r.get({ timeout: 15_000 }).catch((e: unknown) => e);
      expect((error as TaskFailedError).remote).toMatchObject({ type: "TimeLimitExceeded", message: "time limit (0.3 s) exceeded" });
    }
    expect(await (await t.quick.delay(7)).get({ timeout: 10_000 })).toBe(7);
  });
});

describe("signals", () => {
  it("fire prerun, success/failure and postrun for each task, in that order", async () => {
    const r = await t.quick.delay(1);
    await r.get({ timeout: 10_000 });
    const mine = events.filter((e) => e.endsWith(r.id));
    expect(mine).toEqual([`taskPrerun:${r.id}`, `taskPostrun:${r.id}`, `taskSuccess:${r.id}`]);
    const failed = await t.notAuto.delay();
    await failed.get({ timeout: 10_000 }).catch(() => undefined);
    await sleep(50);
    expect(events.filter((e) => e.endsWith(failed.id))).toEqual([`taskPrerun:${failed.id}`, `taskPostrun:${failed.id}`, `taskFailure:${failed.id}`]);
  });

  it("a handler that throws does not change the outcome", async () => {
    const off = h.app.signals.on("taskSuccess", () => {
      throw new Error("handler bug");
    });
    try {
      expect(await (await t.quick.delay(2)).get({ timeout: 10_000 })).toBe(2);
    } finally {
      off();
    }
  });
});

describe("routing", () => {
  it("sends tasks to the queue a taskRoutes glob names", async () => {
    const routed = h.app.task({ name: "routed.job", args: z.tuple([]), run: (ctx) => ctx.queue });
    const r = await routed.delay();
    expect(await r.get({ timeout: 10_000 })).toBe("routed");
  });
});
