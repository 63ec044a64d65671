/** Rate limits across workers, revoke (queued and running), and result expiry, on real Redis and the run's database. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { States, TaskRevokedError } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";

let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ran: string[] = [];

beforeAll(async () => {
  h = createHarness("control", { taskAnnotations: { "annotated.*": { rateLimit: "20/s" } } });
});
afterAll(() => h.close());

describe("rate limits", () => {
  it("are honoured across all workers together, not per worker", async () => {
    const starts: number[] = [];
    // No result rows: a run then starts at its slot, with no database write in between to blur the timing.
    const limited = h.app.task({
      name: "c.limited",
      args: z.tuple([z.number()]),
      rateLimit: "10/s",
      ignoreResult: true,
      run: () => void starts.push(Date.now()),
    });
    // Two workers with plenty of slots each: without a shared limit 30 tasks would finish at once.
    const workers = [await h.startWorker({ queues: ["limited"], concurrency: 10 }), await h.startWorker({ queues: ["limited"], concurrency: 10 })];
    try {
      await Promise.all(Array.from({ length: 30 }, (_, i) => limited.applyAsync([i], { queue: "limited" })));
      await expect.poll(() => starts.length, { timeout: 20_000 }).toBe(30);
      starts.sort((a, b) => a - b);
      const spanMs = starts.at(-1)! - starts[0];
      // 30 runs at 10/s are spaced 100 ms apart: about 2.9 s from first to last. A limit per worker would
      // let the two workers run 20/s (about 1.45 s).
      expect(spanMs).toBeGreaterThanOrEqual(2700);
      expect(spanMs).toBeLessThan(6000);
      const busiestSecond = Math.max(...starts.map((s) => starts.filter((t) => t >= s && t < s + 1000).length));
      expect(busiestSecond).toBeLessThanOrEqual(12);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  it("can come from settings (taskAnnotations with a glob)", async () => {
    const starts: number[] = [];
    const annotated = h.app.task({ name: "annotated.job", args: z.tuple([z.number()]), run: () => void starts.push(Date.now()) });
    const worker = await h.startWorker({ queues: ["annotated"], concurrency: 10 });
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => annotated.applyAsync([i], { queue: "annotated" })));
      await Promise.all(results.map((r) => r.get({ timeout: 20_000 })));
      starts.sort((a, b) => a - b);
      // 20/s: slots 50 ms apart, 9 gaps (450 ms); unlimited, 10 slots would start within a few ms. Result
      // writes between slot and start can shift a start by some tens of ms.
      expect(starts.at(-1)! - starts[0]).toBeGreaterThanOrEqual(300);
      for (const r of results) expect((await r.info())!.retries).toBe(0); // waiting for a slot is not a retry
    } finally {
      await worker.stop();
    }
  });
});

describe("rate limits whose interval is not a whole number of ms", () => {
  it('"3/s" (333.3 ms apart) runs, spaced as asked', async () => {
    const starts: number[] = [];
    const third = h.app.task({ name: "c.third", args: z.tuple([z.number()]), rateLimit: "3/s", ignoreResult: true, run: () => void starts.push(Date.now()) });
    const worker = await h.startWorker({ queues: ["third"], concurrency: 4 });
    try {
      await Promise.all([0, 1, 2, 3].map((i) => third.applyAsync([i], { queue: "third" })));
      await expect.poll(() => starts.length, { timeout: 10_000 }).toBe(4);
      starts.sort((a, b) => a - b);
      expect(starts[3] - starts[0]).toBeGreaterThanOrEqual(900); // 3 gaps of 333 ms
    } finally {
      await worker.stop();
    }
  });
});

describe("revoke", () => {
  let worker: Awaited<ReturnType<Harness["startWorker"]>>;
  beforeAll(async () => {
    worker = await h.startWorker({ queues: ["revoke"], concurrency: 4 });
  });
  afterAll(() => worker.stop());

  it("a queued task never runs and is recorded REVOKED", async () => {
    const task = h.app.task({ name: "c.revocable", args: z.tuple([z.string()]), run: (_c, tag) => void ran.push(tag) });
    const r = await task.applyAsync(["revoked-while-queued"], { queue: "revoke", countdown: 1 });
    await r.revoke();
    const error = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(await r.status()).toBe(States.REVOKED);
    expect(ran).not.toContain("revoked-while-queued");
  });

  it("a PENDING row (dispatch in a transaction) shows REVOKED at once", async () => {
    const task = h.app.task({ name: "c.revocable2", args: z.tuple([z.string()]), run: (_c, tag) => void ran.push(tag) });
    const id = await h.app.transaction(async () => task.applyAsyncOnCommit(["pending-row"], { queue: "revoke", countdown: 1 }));
    await h.app.AsyncResult.from(id).revoke();
    expect(await h.app.AsyncResult.from(id).status()).toBe(States.REVOKED);
    await sleep(1500);
    expect(ran).not.toContain("pending-row");
  });

  it("terminate: a running task is stopped and recorded REVOKED; the worker keeps serving", async () => {
    const stuck = h.app.task({ name: "c.stuck", args: z.tuple([]), run: () => new Promise(() => undefined) });
    const quick = h.app.task({ name: "c.quick", args: z.tuple([]), run: () => "still serving" });
    const r = await stuck.applyAsync([], { queue: "revoke" });
    await expect.poll(() => r.status(), { timeout: 5_000, interval: 50 }).toBe(States.STARTED);
    await r.revoke({ terminate: true });
    await expect(r.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskRevokedError);
    expect((await r.info())!.error!.message).toBe("terminated while running");
    expect(await (await quick.applyAsync([], { queue: "revoke" })).get({ timeout: 10_000 })).toBe("still serving");
  });
});

describe("result expiry (cleanupResults)", () => {
  it("deletes finished rows older than resultExpires and keeps the rest", async () => {
    const now = Date.now();
    const old = new Date(now - 2 * 86_400_000);
    await h.db.taskResult.createMany({
      data: [
        { id: `old-success-${now}`, name: "x", status: "SUCCESS", doneAt: old },
        { id: `old-failure-${now}`, name: "x", status: "FAILURE", doneAt: old },
        { id: `old-pending-${now}`, name: "x", status: "PENDING" },
        { id: `new-success-${now}`, name: "x", status: "SUCCESS", doneAt: new Date(now) },
      ],
    });
    expect(await h.app.cleanupResults()).toBeGreaterThanOrEqual(2);
    const left = (await h.db.taskResult.findMany({ where: { id: { endsWith: `-${now}` } } })).map((r) => r.id).sort();
    expect(left).toEqual([`new-success-${now}`, `old-pending-${now}`]);
  });

  it("keeps everything when resultExpires is 0", async () => {
    const keep = createHarness("keep", { resultExpires: 0 });
    try {
      await keep.db.taskResult.create({ data: { id: `ancient-${Date.now()}`, name: "x", status: "SUCCESS", doneAt: new Date(0) } });
      expect(await keep.app.cleanupResults()).toBe(0);
    } finally {
      await keep.close();
    }
  });
});
