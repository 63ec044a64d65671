/** A real worker on real Redis and the run's real database: every outcome a task can have, end to end. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { NotJsonError, ResultTimeoutError, States, TaskFailedError, TaskRevokedError } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { Registry } from "../task/registry.js";

let h: Harness;
const calls: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class PaymentDeclined extends Error {
  override name = "PaymentDeclined";
}

function defineTasks(app: Harness["app"]) {
  return {
    add: app.task({ name: "t.add", args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y }),
    greet: app.task({
      name: "t.greet",
      args: z.tuple([z.object({ name: z.string() })]),
      run: (_ctx, p) => ({ greeting: `hello ${p.name}` }),
    }),
    fail: app.task({
      name: "t.fail",
      args: z.tuple([]),
      run: () => {
        throw new PaymentDeclined("card 4242 declined");
      },
    }),
    throwString: app.task({
      name: "t.throwString",
      args: z.tuple([]),
      run: () => {
        throw "just a string"; // eslint-disable-line no-throw-literal
      },
    }),
    returnDate: app.task({ name: "t.returnDate", args: z.tuple([]), run: () => new Date() }),
    record: app.task({
      name: "t.record",
      args: z.tuple([z.string()]),
      run: (ctx, tag) => {
        calls.push(tag);
        return { tag, id: ctx.id, queue: ctx.queue };
      },
    }),
    slow: app.task({ name: "t.slow", args: z.tuple([z.number()]), run: (_ctx, ms) => sleep(ms).then(() => ms) }),
    quiet: app.task({ name: "t.quiet", args: z.tuple([z.string()]), ignoreResult: true, run: (_c, tag) => void calls.push(tag) }),
    untracked: app.task({ name: "t.untracked", args: z.tuple([z.number()]), trackStarted: false, run: (_ctx, ms) => sleep(ms).then(() => ms) }),
    heavy: app.task({ name: "t.heavy", args: z.tuple([]), queue: "heavy", run: () => "heavy done" }),
  };
}

let t: ReturnType<typeof defineTasks>;

beforeAll(async () => {
  h = createHarness("worker");
  t = defineTasks(h.app);
  await h.startWorker({ queues: ["default", "heavy"] });
});
afterAll(() => h.close());

describe("a task that succeeds", () => {
  it("stores SUCCESS with the typed value, args, times, queue and worker", async () => {
    const r = await t.add.delay(2, 3);
    const value: number = await r.get({ timeout: 10_000 });
    expect(value).toBe(5);
    const row = await r.info();
    expect(row).toMatchObject({ id: r.id, name: "t.add", status: States.SUCCESS, args: [2, 3], result: 5 });
    expect(row).toMatchObject({ queue: "default", worker: "celeriac@test", retries: 0, error: null });
    expect(row!.startedAt!.getTime()).toBeGreaterThanOrEqual(row!.createdAt.getTime());
    expect(row!.doneAt!.getTime()).toBeGreaterThanOrEqual(row!.startedAt!.getTime());
    expect(row!.runtimeMs).toBeGreaterThanOrEqual(0);
    expect(await r.ready()).toBe(true);
    expect(await r.successful()).toBe(true);
    expect(await r.result()).toBe(5);
  });

  it("round-trips object arguments and results as JSON", async () => {
    const r = await t.greet.delay({ name: "Ada" });
    expect(await r.get({ timeout: 10_000 })).toEqual({ greeting: "hello Ada" });
  });

  it("is read back through AsyncResult.from(id) by another handle", async () => {
    const r = await t.add.delay(20, 22);
    await r.get({ timeout: 10_000 });
    const again = h.app.AsyncResult.from<typeof t.add>(r.id);
    expect(await again.status()).toBe("SUCCESS");
    expect(await again.result()).toBe(42);
  });

  it("goes to the queue the task names, served by a worker consuming it", async () => {
    const r = await t.heavy.delay();
    expect(await r.get({ timeout: 10_000 })).toBe("heavy done");
    expect((await r.info())!.queue).toBe("heavy");
  });
});

describe("a task that fails", () => {
  it("stores FAILURE with the error type, message and stack; get() rejects with them", async () => {
    const r = await t.fail.delay();
    const error = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).remote).toMatchObject({ type: "PaymentDeclined", message: "card 4242 declined" });
    const row = await r.info();
    expect(row!.status).toBe(States.FAILURE);
    expect(row!.error!.stack).toContain("card 4242 declined");
    expect(row!.error!.stack).toMatch(/worker\.int\.test\.ts/);
    expect(await r.successful()).toBe(false);
    expect(await r.ready()).toBe(true);
  });

  it("stores a thrown non-Error value with a clear message", async () => {
    const r = await t.throwString.delay();
    await expect(r.get({ timeout: 10_000 })).rejects.toThrow(/non-Error value was thrown: just a string/);
  });

  it("refuses a non-JSON return value", async () => {
    const r = await t.returnDate.delay();
    await expect(r.get({ timeout: 10_000 })).rejects.toThrow(/the return value is a Date/);
    expect((await r.info())!.error!.type).toBe(NotJsonError.name);
  });

  it("fails an unregistered task visibly and keeps serving", async () => {
    const stranger = h.app.task({ name: "t.notInTheWorker", args: z.tuple([]), run: () => 1 });
    const registry = new Registry(); // a worker whose registry lacks t.notInTheWorker
    registry.register(t.record);
    await h.startWorker({ queues: ["strangers"], registry });
    const r = await stranger.applyAsync([], { queue: "strangers" });
    await expect(r.get({ timeout: 10_000 })).rejects.toThrow("unregistered task 't.notInTheWorker'");
    expect((await r.info())!.error!.type).toBe("NotRegisteredError");
    const next = await t.record.applyAsync(["after-stranger"], { queue: "strangers" });
    expect(await next.get({ timeout: 10_000 })).toMatchObject({ tag: "after-stranger", queue: "strangers" });
  });

  it("re-checks arguments in the worker and fails with the validation message", async () => {
    // A producer can skip the schema (another service, an older deploy); the worker checks again.
    const id = "bad-args-" + Date.now();
    await h.app.broker.publish({ id, task: "t.add", args: ["two", 3], queue: "default", sentAt: Date.now(), retries: 0 }, { delayMs: 0 });
    const r = h.app.AsyncResult.from<typeof t.add>(id);
    await expect(r.get({ timeout: 10_000 })).rejects.toThrow(/invalid arguments for task 't.add': argument 0: .*expected number/);
    expect((await r.info())!.error!.type).toBe("InvalidArgumentsError");
  });
});

describe("timing options", () => {
  it("honours countdown: the task does not start before it", async () => {
    const r = await t.record.applyAsync(["countdown"], { countdown: 1.5 });
    await sleep(700);
    expect(await r.status()).toBe(States.PENDING);
    await r.get({ timeout: 10_000 });
    const row = (await r.info())!;
    expect(row.startedAt!.getTime() - row.createdAt.getTime()).toBeGreaterThanOrEqual(1400);
  });

  it("honours eta", async () => {
    const eta = new Date(Date.now() + 1000);
    const r = await t.record.applyAsync(["eta"], { eta });
    await r.get({ timeout: 10_000 });
    expect((await r.info())!.startedAt!.getTime()).toBeGreaterThanOrEqual(eta.getTime() - 5);
  });

  it("never runs a task that expired before it started, and records it REVOKED", async () => {
    const r = await t.record.applyAsync(["expired"], { countdown: 1.2, expires: 0.5 });
    const error = await r.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(await r.status()).toBe(States.REVOKED);
    expect((await r.info())!.error!.message).toMatch(/expired at .* before it started/);
    expect(calls).not.toContain("expired");
  });

  it("runs a task whose expiry is still ahead", async () => {
    const r = await t.record.applyAsync(["not-expired"], { expires: new Date(Date.now() + 60_000) });
    await expect(r.get({ timeout: 10_000 })).resolves.toMatchObject({ tag: "not-expired" });
  });
});

describe("results", () => {
  it("reads an unknown id as PENDING", async () => {
    const r = h.app.AsyncResult.from("no-such-task");
    expect(await r.status()).toBe(States.PENDING);
    expect(await r.ready()).toBe(false);
    expect(await r.info()).toBeNull();
    await expect(r.result()).rejects.toThrow(/has not finished \(state PENDING\)/);
  });

  it("get({ timeout }) rejects with ResultTimeoutError while the task runs", async () => {
    const r = await t.slow.delay(1500);
    const error = await r.get({ timeout: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultTimeoutError);
    expect(await r.get({ timeout: 10_000 })).toBe(1500);
  });

  it("shows STARTED while the task runs", async () => {
    const r = await t.slow.delay(800);
    await expect.poll(() => r.status(), { timeout: 5_000, interval: 50 }).toBe(States.STARTED);
    await r.get({ timeout: 10_000 });
  });

  it("trackStarted false: no STARTED write, the row goes from PENDING to SUCCESS with its start time and worker", async () => {
    const before = new Date();
    const [untracked, tracked] = await Promise.all([t.untracked.delay(600), t.slow.delay(600)]);
    await expect.poll(() => tracked.status(), { timeout: 5_000, interval: 20 }).toBe(States.STARTED);
    expect(await untracked.status()).toBe(States.PENDING); // running by now, alongside the tracked one
    expect(await untracked.get({ timeout: 10_000 })).toBe(600);
    const row = (await h.db.taskResult.findUnique({ where: { id: untracked.id } }))!;
    expect(row).toMatchObject({ status: "SUCCESS", worker: "celeriac@test" });
    expect(row.startedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(row.doneAt!.getTime() - row.startedAt!.getTime()).toBeGreaterThanOrEqual(590);
  });

  it("writes nothing for an ignoreResult task, which still runs", async () => {
    const r = await t.quiet.delay("quiet-ran");
    await expect.poll(() => calls.includes("quiet-ran"), { timeout: 10_000 }).toBe(true);
    await sleep(200);
    expect(await h.db.taskResult.findUnique({ where: { id: r.id } })).toBeNull();
  });

  it("uses a caller-given task id, and a second send of that id is not a second job", async () => {
    const taskId = `order-${Date.now()}`;
    const first = await t.record.applyAsync(["dedup"], { taskId, countdown: 0.3 });
    await t.record.applyAsync(["dedup"], { taskId, countdown: 0.3 });
    expect(first.id).toBe(taskId);
    await first.get({ timeout: 10_000 });
    await sleep(500);
    expect(calls.filter((c) => c === "dedup")).toHaveLength(1);
  });
});
