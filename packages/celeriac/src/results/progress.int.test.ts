/**
 * Progress (ctx.progress → PROGRESS rows → AsyncResult.progress()/changes()) and the guard on get() inside a
 * task, on real Redis and the run's database (SQLite, or PostgreSQL with CELERIAC_TEST_DB=postgres): a worker
 * in this process, and the worker's execution pipeline over a store whose writes the test counts.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { group, States, SyncSubtaskError, TaskFailedError, type TaskRecord } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";
import type { TaskMessage } from "../message.js";
import { openTaskStore } from "../store/open.js";
import type { TaskStore } from "../store/store.js";
import { executeMessage } from "../worker/execute.js";
import { finishedRow, progressRow, type ResultRow } from "./row.js";
import { SqlResultBackend } from "./sql-backend.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = pino({ level: "silent" });

let h: Harness;
let t: ReturnType<typeof defineTasks>;

function defineTasks(app: Harness["app"]) {
  return {
    /** Three reports, 400 ms apart (more than the throttle's 250 ms: each is written), then a result. */
    steps: app.task({
      name: "p.steps",
      args: z.tuple([]),
      async run(ctx) {
        for (const [current, message] of [[1, "one"], [2, "two"], [3, "three"]] as const) {
          ctx.progress({ current, total: 3, message });
          await sleep(400);
        }
        return "stepped";
      },
    }),
    /** A million reports, yielding to the event loop every 10,000 (as real work between reports would). */
    million: app.task({
      name: "p.million",
      args: z.tuple([]),
      async run(ctx) {
        const total = 1_000_000;
        for (let i = 1; i <= total; i++) {
          ctx.progress({ current: i, total });
          if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
        }
        return total;
      },
    }),
    /** Reports as it returns, and leaves behind a timer that reports after the run is over. */
    late: app.task({
      name: "p.late",
      args: z.tuple([]),
      async run(ctx) {
        ctx.progress({ current: 1, total: 2 });
        ctx.progress({ current: 2, total: 2 }); // waits for the throttle: dropped once the outcome is handed over
        setTimeout(() => ctx.progress({ current: 3, total: 2, message: "after the end" }), 50);
        return "finished";
      },
    }),
    badProgress: app.task({
      name: "p.badProgress",
      args: z.tuple([z.unknown()]),
      run(ctx, input) {
        ctx.progress(input as never);
        return "unreachable";
      },
    }),
    add: app.task({ name: "p.add", args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y }),
    /** Waits on another task from inside a task: what the guard refuses, unless told otherwise. */
    waitsFor: app.task({
      name: "p.waitsFor",
      args: z.tuple([z.string(), z.boolean()]),
      run: (_ctx, id, allowInsideTask) => app.AsyncResult.from<number>(id).get({ timeout: 10_000, allowInsideTask }),
    }),
    waitsForGroup: app.task({
      name: "p.waitsForGroup",
      args: z.tuple([z.string(), z.boolean()]),
      run: async (_ctx, id, allowInsideTask) => (await app.groupResult(id))!.get({ timeout: 10_000, allowInsideTask }) as Promise<number[]>,
    }),
  };
}

beforeAll(async () => {
  h = createHarness("progress");
  t = defineTasks(h.app);
  await h.startWorker({ concurrency: 4 });
});
afterAll(() => h.close());

const row = (id: string) => h.db.taskResult.findUnique({ where: { id } });

describe("ctx.progress() on a worker", () => {
  it("shows mid-task through AsyncResult.progress() and the row, and is cleared by the outcome", async () => {
    const r = await t.steps.delay();
    await expect.poll(() => r.progress(), { timeout: 10_000, interval: 20 }).toEqual({ current: 2, total: 3, message: "two" });
    expect(await r.status()).toBe(States.PROGRESS);
    expect(await r.ready()).toBe(false);
    expect(await row(r.id)).toMatchObject({ status: "PROGRESS", meta: { current: 2, total: 3, message: "two" } });

    expect(await r.get({ timeout: 10_000 })).toBe("stepped"); // get() waited through PROGRESS
    expect(await r.progress()).toBeNull();
    expect(await row(r.id)).toMatchObject({ status: "SUCCESS", meta: null, result: "stepped" });
  });

  it("streams each report through changes(), PROGRESS after PROGRESS, then the outcome", async () => {
    const r = await t.steps.delay();
    const seen: Array<Pick<TaskRecord, "status" | "meta"> | null> = [];
    for await (const record of r.changes()) seen.push(record && { status: record.status, meta: record.meta });
    const progress = seen.filter((s) => s?.status === States.PROGRESS).map((s) => s!.meta);
    expect(progress).toEqual([
      { current: 1, total: 3, message: "one" },
      { current: 2, total: 3, message: "two" },
      { current: 3, total: 3, message: "three" },
    ]);
    expect(seen.at(-1)).toEqual({ status: States.SUCCESS, meta: null });
  });

  it("announces a task reporting a million times a few times a second, not a million", async () => {
    const announced: string[] = [];
    const r = await t.million.applyAsync([], { countdown: 0.3 }); // listening before it runs
    const stop = await h.app.broker.onAnnounce((changes) => {
      for (const [id, status] of changes) if (id === r.id) announced.push(status);
    });
    const started = Date.now();
    expect(await r.get({ timeout: 60_000 })).toBe(1_000_000);
    const seconds = (Date.now() - started) / 1000;
    await sleep(300); // an announcement in flight
    stop();
    const progressWrites = announced.filter((s) => s === States.PROGRESS).length;
    expect(progressWrites).toBeGreaterThanOrEqual(1);
    expect(progressWrites).toBeLessThanOrEqual(2 + 4 * Math.ceil(seconds));
    expect(announced.at(-1)).toBe(States.SUCCESS);
  });

  it("never writes a progress after the outcome: the report waiting at the end and the one left behind are dropped", async () => {
    const r = await t.late.delay();
    expect(await r.get({ timeout: 10_000 })).toBe("finished");
    await sleep(600); // the timer's report, and any write it could have made, are over
    expect(await row(r.id)).toMatchObject({ status: "SUCCESS", meta: null, result: "finished" });
  });

  it("fails the task with a clear InvalidProgressError for a bad report", async () => {
    for (const [input, message] of [
      [{ current: -1, total: 1 }, "current must be a finite number ≥ 0 (got -1)"],
      [{ current: 1, total: 1, message: "x".repeat(201) }, "message must be at most 200 characters (got 201)"],
    ] as const) {
      const r = await t.badProgress.delay(input);
      const failure = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TaskFailedError);
      expect((failure as TaskFailedError).remote).toMatchObject({ type: "InvalidProgressError", message: `ctx.progress(): ${message}` });
    }
  });
});

describe("AsyncResult.get() inside a task", () => {
  it("throws SyncSubtaskError, which says why and what to use instead", async () => {
    const other = await t.add.delay(1, 2);
    const r = await t.waitsFor.delay(other.id, false);
    const failure = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect((failure as TaskFailedError).remote.type).toBe(SyncSubtaskError.name);
    expect((failure as TaskFailedError).remote.message).toMatch(/inside a task can deadlock the worker's pool .* task p\.waitsFor \(.+\) waited for .+; use a chain \(chain\(a\.s\(\), b\.s\(\)\)\) or a chord instead; pass \{ allowInsideTask: true \}/);
  });

  it("waits with { allowInsideTask: true }, and outside a task as ever", async () => {
    const other = await t.add.delay(20, 22);
    const r = await t.waitsFor.delay(other.id, true);
    expect(await r.get({ timeout: 10_000 })).toBe(42);
    expect(await other.get({ timeout: 10_000 })).toBe(42);
  });

  it("GroupResult.get() is guarded the same way", async () => {
    const g = await group(t.add.s(1, 1), t.add.s(2, 2)).delay();
    const refused = await (await t.waitsForGroup.delay(g.id, false)).get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect((refused as TaskFailedError).remote).toMatchObject({ type: SyncSubtaskError.name, message: expect.stringMatching(/^GroupResult\.get\(\) inside a task can deadlock/) });
    expect(await (await t.waitsForGroup.delay(g.id, true)).get({ timeout: 10_000 })).toEqual([2, 4]);
  });
});

describe("progress writes, counted at the store", () => {
  let store: TaskStore;
  let backend: SqlResultBackend;
  const written: ResultRow[] = [];
  const message = (task: string): TaskMessage => ({ id: `progress-${crypto.randomUUID()}`, task, args: [], queue: "default", sentAt: Date.now(), retries: 0 });

  beforeAll(() => {
    store = openTaskStore(h.databaseUrl);
    const counted = Object.assign(Object.create(store) as TaskStore, {
      upsert: (rows: readonly ResultRow[]) => (written.push(...rows), store.upsert(rows)),
    });
    backend = new SqlResultBackend(counted, "counted", { log });
  });
  afterAll(() => backend.close());

  it("a million reports cost a few row writes a second, and the outcome is the last", async () => {
    const m = message("p.million");
    const deps = { lookup: (name: string) => h.app.registry.get(name), backend, config: h.app.config, signals: h.app.signals, hostname: "celeriac@counted", log };
    const started = Date.now();
    expect(await executeMessage(deps, m)).toEqual({ status: "SUCCESS", result: 1_000_000 });
    const seconds = (Date.now() - started) / 1000;
    const mine = written.filter((r) => r.id === m.id);
    const progress = mine.filter((r) => r.status === States.PROGRESS);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(2 + 4 * Math.ceil(seconds));
    expect(progress[0].meta).toEqual({ current: 1, total: 1_000_000 });
    expect(mine.at(-1)).toMatchObject({ status: States.SUCCESS, meta: null });
    expect(await row(m.id)).toMatchObject({ status: "SUCCESS", meta: null, result: 1_000_000 });
  });

  it("the store refuses a PROGRESS that reaches a finished row, and keeps a RETRY's error under a PROGRESS", async () => {
    const run = (m: TaskMessage) => ({ message: m, worker: "w", startedAt: new Date() });
    for (const outcome of [
      { status: "SUCCESS", result: 7 },
      { status: "FAILURE", error: { type: "E", message: "failed" } },
      { status: "REVOKED", reason: "terminated while running" },
    ] as const) {
      const m = message("p.add");
      await store.upsert([finishedRow({ ...run(m), outcome, doneAt: new Date() })]);
      await store.upsert([progressRow(run(m), { current: 1, total: 2 })]); // late: the outcome is there
      expect(await row(m.id), outcome.status).toMatchObject({ status: outcome.status, meta: null });
    }
    const m = message("p.add");
    await store.upsert([finishedRow({ ...run(m), outcome: { status: "RETRY", error: { type: "E", message: "again" }, countdownMs: 0 }, doneAt: new Date() })]);
    await store.upsert([progressRow(run({ ...m, retries: 1 }), { current: 1, total: 2, message: "re-run" })]);
    expect(await row(m.id)).toMatchObject({ status: "PROGRESS", meta: { current: 1, total: 2, message: "re-run" }, errorType: "E", errorMessage: "again" });
  });
});
