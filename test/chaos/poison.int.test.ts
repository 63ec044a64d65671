/**
 * Chaos: poison input. Messages and tasks that go wrong in every way a worker can meet — a task name it
 * does not know, arguments that fail the schema (sent raw, as another service or an older deploy might),
 * a thrown non-Error, a return value that is not JSON, a run that never settles — each end as FAILURE with
 * a clear message, and the same worker, with one slot only, then still runs a normal task.
 *
 * A second part sends values that are valid JSON but that PostgreSQL cannot store (a NUL character in an
 * argument, a result or an error message): they too must end (SUCCESS where the database can store them, a
 * FAILURE otherwise) instead of leaving the task STARTED and the worker's slot busy forever.
 *
 * A third part checks that a run that never settles and has no time limit (it ignores ctx.signal) does not
 * keep `worker.stop()` from ending once the grace period is over.
 */
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunningWorker } from "celeriac/worker/worker";
import { createHarness, type Harness } from "@/test/harness";

let h: Harness;
const QUEUE = "poison";
const workers: RunningWorker[] = [];
/** Workers that may be wedged by a poison message: stopped with a bound, so cleanup cannot hang. */
const nulWorkers: RunningWorker[] = [];

function defineTasks(app: Harness["app"]) {
  return {
    add: app.task({ name: "chaos.add", args: z.tuple([z.number(), z.number()]), queue: QUEUE, run: (_ctx, x, y) => x + y }),
    throwIt: app.task({
      name: "chaos.throw",
      args: z.tuple([z.enum(["string", "object", "undefined", "null", "cyclic", "number"])]),
      queue: QUEUE,
      run: (_ctx, kind) => {
        const cyclic: Record<string, unknown> = { name: "loop" };
        cyclic.self = cyclic;
        const values = { string: "just a string", object: { code: 42, why: "declined" }, undefined, null: null, cyclic, number: 404 };
        throw values[kind]; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    }),
    returnIt: app.task({
      name: "chaos.return",
      args: z.tuple([z.enum(["date", "map", "bigint", "nan", "function", "nested-date", "undefined-in-array"])]),
      queue: QUEUE,
      run: (_ctx, kind): unknown => {
        switch (kind) {
          case "date":
            return new Date();
          case "map":
            return new Map([["a", 1]]);
          case "bigint":
            return 10n;
          case "nan":
            return NaN;
          case "function":
            return () => 1;
          case "nested-date":
            return { report: { at: new Date() } };
          case "undefined-in-array":
            return [1, undefined];
        }
      },
    }),
    hang: app.task({ name: "chaos.hang", args: z.tuple([]), queue: QUEUE, timeLimit: 0.5, run: () => new Promise<never>(() => undefined) }),
    echo: app.task({ name: "chaos.echo", args: z.tuple([z.string()]), run: (_ctx, s) => s }),
    nulResult: app.task({ name: "chaos.nulResult", args: z.tuple([]), run: () => "before\u0000after" }),
    nulKey: app.task({ name: "chaos.nulKey", args: z.tuple([]), run: () => ({ "a\u0000": 1 }) }),
    anything: app.task({ name: "chaos.anything", args: z.tuple([z.unknown()]), run: () => "ok" }),
    nulError: app.task({
      name: "chaos.nulError",
      args: z.tuple([]),
      run: () => {
        throw new Error("bad byte \u0000 in the message");
      },
    }),
  };
}
let t: ReturnType<typeof defineTasks>;

beforeAll(async () => {
  h = createHarness("chaos-poison");
  t = defineTasks(h.app);
  // One slot: a poison message that wedged it would stop everything after it.
  workers.push(await h.startWorker({ queues: [QUEUE], concurrency: 1 }));
});

afterAll(async () => {
  const bound = (p: Promise<unknown>) => Promise.race([p, new Promise((resolve) => setTimeout(resolve, 3000))]);
  await Promise.all([...workers, ...nulWorkers].map((w) => bound(w.stop())));
  await h.close(); // closes the broker's connections, wedged workers' included
}, 30_000);

/** Sends a raw message, as a producer that skips celeriac's checks would. */
async function publishRaw(task: string, args: unknown, queue = QUEUE, sentAt: unknown = Date.now()): Promise<string> {
  const id = `poison-${randomUUID()}`;
  await h.app.broker.publish({ id, task, args: args as unknown[], queue, sentAt: sentAt as number, retries: 0 }, { delayMs: 0 });
  return id;
}

/** Waits for the task's row to be finished and returns it. */
async function finished(id: string, timeoutMs = 10_000) {
  const r = h.app.AsyncResult.from(id);
  await expect.poll(() => r.ready(), { timeout: timeoutMs, interval: 50, message: `task ${id} did not finish` }).toBe(true);
  return (await r.info())!;
}

async function expectFailure(id: string, type: string, message: RegExp | string) {
  const row = await finished(id);
  expect(row.status).toBe("FAILURE");
  expect(row.error?.type).toBe(type);
  if (typeof message === "string") expect(row.error?.message).toBe(message);
  else expect(row.error?.message).toMatch(message);
  return row;
}

describe("poison input", () => {
  it("an unregistered task name fails with its name, and the worker goes on", { timeout: 20_000 }, async () => {
    const id = await publishRaw("chaos.nobodyKnowsMe", [1, 2]);
    const row = await expectFailure(id, "NotRegisteredError", "unregistered task 'chaos.nobodyKnowsMe'");
    expect(row.name).toBe("chaos.nobodyKnowsMe");
    expect(await (await t.add.delay(1, 1)).get({ timeout: 10_000 })).toBe(2);
  });

  it("invalid arguments sent raw fail with the validation message", { timeout: 30_000 }, async () => {
    await expectFailure(await publishRaw("chaos.add", ["two", 3]), "InvalidArgumentsError", /^invalid arguments for task 'chaos\.add': argument 0: .*expected number, received string/);
    await expectFailure(await publishRaw("chaos.add", [1]), "InvalidArgumentsError", /^invalid arguments for task 'chaos\.add': .*(too small|expected 2|>=2)/i);
    await expectFailure(await publishRaw("chaos.add", [1, 2, 3]), "InvalidArgumentsError", /^invalid arguments for task 'chaos\.add': .*(too big|expected 2|<=2)/i);
    await expectFailure(await publishRaw("chaos.add", { x: 1, y: 2 }), "InvalidArgumentsError", /^invalid arguments for task 'chaos\.add': arguments: .*expected (array|tuple)/);
    await expectFailure(await publishRaw("chaos.add", null), "InvalidArgumentsError", /^invalid arguments for task 'chaos\.add': arguments: .*expected (array|tuple)/);
    await expectFailure(await publishRaw("chaos.throw", ["lava"]), "InvalidArgumentsError", /^invalid arguments for task 'chaos\.throw': argument 0: .*"string"/);
  });

  it("a thrown non-Error value fails with a message that shows the value", { timeout: 30_000 }, async () => {
    const expected: [Parameters<typeof t.throwIt.delay>[0], string][] = [
      ["string", "a non-Error value was thrown: just a string"],
      ["object", 'a non-Error value was thrown: {"code":42,"why":"declined"}'],
      ["number", "a non-Error value was thrown: 404"],
      ["null", "a non-Error value was thrown: null"],
      ["undefined", "a non-Error value was thrown: undefined"],
      ["cyclic", "a non-Error value was thrown: [object Object]"],
    ];
    for (const [kind, message] of expected) {
      const r = await t.throwIt.delay(kind);
      await expectFailure(r.id, "NonErrorThrown", message);
      await expect(r.get({ timeout: 1000 })).rejects.toThrow(message);
    }
  });

  it("a return value that is not JSON fails with NotJsonError naming what it is", { timeout: 30_000 }, async () => {
    const expected: [Parameters<typeof t.returnIt.delay>[0], RegExp][] = [
      ["date", /^the return value is a Date; .*a task must return a JSON value$/],
      ["map", /^the return value is an instance of Map; .*a task must return a JSON value$/],
      ["bigint", /^the return value is a BigInt; .*a task must return a JSON value$/],
      ["nan", /^the return value is the number NaN .*a task must return a JSON value$/],
      ["function", /^the return value is a function; .*a task must return a JSON value$/],
      ["nested-date", /^the return value\.report\.at is a Date; .*a task must return a JSON value$/],
      ["undefined-in-array", /^the return value\[1\] is undefined; .*a task must return a JSON value$/],
    ];
    for (const [kind, message] of expected) await expectFailure((await t.returnIt.delay(kind)).id, "NotJsonError", message);
  });

  it("a run that never settles fails at its time limit and frees the worker's only slot", { timeout: 20_000 }, async () => {
    const started = Date.now();
    const r = await t.hang.delay();
    const row = await expectFailure(r.id, "TimeLimitExceeded", "time limit (0.5 s) exceeded");
    expect(row.runtimeMs).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("after all of that, the same one-slot worker runs a normal task", { timeout: 20_000 }, async () => {
    const r = await t.add.delay(20, 22);
    expect(await r.get({ timeout: 10_000 })).toBe(42);
    expect((await r.info())!.worker).toBe("celeriac@test");
  });
});

describe("JSON that the result database may refuse (a NUL character)", () => {
  /**
   * Each case gets a one-slot worker of its own, then a plain task on the same queue: a poison message
   * must end (SUCCESS where the database stores it, FAILURE otherwise) or be refused by `.delay()` — never
   * leave its task without a final row and the worker's slot busy retrying a write that cannot succeed.
   */
  async function sendThenPlain(queue: string, send: () => Promise<{ id: string }>, what: string) {
    const lines: string[] = [];
    const caseLog = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const worker = await h.app.startWorker({ queues: [queue], concurrency: 1, hostname: `celeriac@${queue}`, graceMs: 500, log: caseLog });
    nulWorkers.push(worker);
    let poisonId: string | undefined;
    try {
      poisonId = (await send()).id;
    } catch (error) {
      // Refusing it at the door is fine too, if it says why.
      expect(String(error)).toMatch(/NUL|\\u0000|null character/i);
    }
    const plain = await t.echo.applyAsync(["plain"], { queue });
    const deadline = Date.now() + 8000;
    const ids = [poisonId, plain.id].filter((id): id is string => id !== undefined);
    const ready = async () => (await Promise.all(ids.map((id) => h.app.AsyncResult.from(id).ready()))).every(Boolean);
    while (!(await ready()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const poison = poisonId ? await h.app.AsyncResult.from(poisonId).info() : null;
    const after = await plain.info();
    const writeErrors = lines.filter((l) => l.includes("could not record"));
    const first = writeErrors[0] ? (JSON.parse(writeErrors[0]) as { msg: string; err?: { message?: string } }) : undefined;
    const story =
      `${what}: after 8 s the task is ${poisonId ? (poison?.status ?? "without a row (reads as PENDING)") : "refused by .delay()"}, ` +
      `the plain task sent after it on the same worker is ${after?.status ?? "without a row (never started)"}; ` +
      `the worker logged ${writeErrors.length} failed result writes` +
      (first ? ` ("${first.msg}": ${first.err?.message?.replace(/\s+/g, " ").slice(0, 160)}), and retries them forever` : "");
    if (poisonId) expect(poison?.status === "SUCCESS" || poison?.status === "FAILURE", story).toBe(true);
    expect(after?.status, story).toBe("SUCCESS");
    return poison;
  }

  it("in an argument", { timeout: 20_000 }, async () => {
    // Refused by .delay() on every database (PostgreSQL cannot store it), naming the argument.
    await expect(t.echo.applyAsync(["a\u0000b"], { queue: "nul-arg" })).rejects.toThrow(/argument 0 \(args\[0\]\) is a string containing a NUL character/);
    await sendThenPlain("nul-arg", () => t.echo.applyAsync(["a\u0000b"], { queue: "nul-arg" }), "argument 'a\\u0000b'");
  });

  it("in the result", { timeout: 20_000 }, async () => {
    const row = await sendThenPlain("nul-result", () => t.nulResult.applyAsync([], { queue: "nul-result" }), "result 'before\\u0000after'");
    expect(row).toMatchObject({ status: "FAILURE", error: { type: "NotJsonError", message: expect.stringContaining("NUL character") } });
  });

  it("in a thrown error's message", { timeout: 20_000 }, async () => {
    const row = await sendThenPlain("nul-error", () => t.nulError.applyAsync([], { queue: "nul-error" }), "error message 'bad byte \\u0000 in the message'");
    expect(row?.status).toBe("FAILURE");
  });
});

describe("a row the database refuses, among other tasks' rows in the same batches", () => {
  /**
   * The result writer writes the rows of the moment in one statement, and the jobs wait for it. A row the
   * database refuses (a NUL in a key of arguments sent raw: PostgreSQL's jsonb cannot hold it; a sent time
   * that is no date, on every database) must not hold back the others: each task gets its final row and
   * its job is acknowledged, and the refused one is stored as a FAILURE saying why.
   */
  it("every task gets its row and its ack; the refused row is a ResultNotStoredError FAILURE", { timeout: 40_000 }, async () => {
    const queue = "refused-rows";
    const postgres = h.databaseUrl.startsWith("postgres");
    // Sent before the worker starts, the poison first: its row is in the first batch, and every later one waited behind it.
    const nulKeyArgs = await publishRaw("chaos.anything", [{ "a\u0000": 1 }], queue);
    const badSentAt = await publishRaw("chaos.anything", [1], queue, "yesterday");
    const nulKeyResult = (await t.nulKey.applyAsync([], { queue })).id;
    const plain = await Promise.all(Array.from({ length: 50 }, (_, i) => t.echo.applyAsync([`plain ${i}`], { queue })));
    const worker = await h.app.startWorker({ queues: [queue], concurrency: 32, hostname: "celeriac@refused", graceMs: 1000 });
    nulWorkers.push(worker);

    const ids = [nulKeyArgs, badSentAt, nulKeyResult, ...plain.map((r) => r.id)];
    const ready = async () => (await Promise.all(ids.map((id) => h.app.AsyncResult.from(id).ready()))).filter(Boolean).length;
    await expect.poll(ready, { timeout: 20_000, interval: 100, message: "tasks with a final row" }).toBe(ids.length);
    await expect.poll(() => h.app.broker.queueCounts(queue), { timeout: 10_000, interval: 100 }).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 1 }); // the NotJsonError; the others' jobs ran and completed

    for (const [i, r] of plain.entries()) expect(await r.get({ timeout: 1000 })).toBe(`plain ${i}`);
    expect(await h.app.AsyncResult.from(nulKeyResult).info()).toMatchObject({ status: "FAILURE", error: { type: "NotJsonError", message: expect.stringContaining('the return value["a\\u0000"] is a key containing a NUL') } });
    expect(await h.app.AsyncResult.from(badSentAt).info()).toMatchObject({
      status: "FAILURE",
      args: null,
      error: { type: "ResultNotStoredError", message: expect.stringMatching(/^the database refused this task's row \(a value that cannot be written: Invalid time value\), so it is stored without its arguments and result; the task's outcome was SUCCESS$/) },
    });
    const nulKey = await h.app.AsyncResult.from(nulKeyArgs).info();
    if (postgres) {
      expect(nulKey).toMatchObject({ status: "FAILURE", args: null, error: { type: "ResultNotStoredError", message: expect.stringMatching(/^the database refused this task's row \(unsupported Unicode escape sequence.*\), .*the task's outcome was SUCCESS$/) } });
    } else {
      expect(nulKey).toMatchObject({ status: "SUCCESS", args: [{ "a\u0000": 1 }], result: "ok" }); // SQLite stores it
    }
  });
});

describe("a run that never settles and has no time limit", () => {
  it("does not keep the worker from stopping once its grace period is over", { timeout: 30_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<string>((resolve) => (release = () => resolve("released")));
    const stuck = h.app.task({ name: "chaos.stuck", args: z.tuple([]), queue: "stuck", run: () => gate }); // ignores ctx.signal
    const worker = await h.app.startWorker({ queues: ["stuck"], concurrency: 1, hostname: "celeriac@stuck", graceMs: 1000 });
    try {
      const r = await stuck.delay();
      await expect.poll(() => r.status(), { timeout: 10_000, interval: 50 }).toBe("STARTED");
      const started = Date.now();
      const stopped = await Promise.race([worker.stop(), new Promise<"still stopping">((resolve) => setTimeout(resolve, 6000, "still stopping"))]);
      console.log(`[chaos poison] stop() of a worker whose task ignores its signal, graceMs 1000: ${JSON.stringify(stopped)} after ${Date.now() - started} ms`);
      // README: "running ones finish (up to shutdownGraceMs), then the process exits"; worker.ts: "past it,
      // ctx.signal aborts and unfinished messages are redelivered later".
      expect(stopped, "worker.stop() had not resolved 6 s into a 1 s grace period (it waits for the task itself)").toEqual({ drained: false });
    } finally {
      release(); // let the run end, so nothing of this test outlives it
      await worker.stop();
    }
  });
});
