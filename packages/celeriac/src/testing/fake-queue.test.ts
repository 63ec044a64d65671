/**
 * fakeQueue without any service: the app points at a Redis port nobody listens on and a database file that
 * does not exist, and its tasks keep no result (ignoreResult), so nothing here may open a connection.
 * What needs the result store (rows, owners, transactions) is in fake-queue.int.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createCeleriac, type CeleriacPrisma } from "../index.js";
import { fakeQueue, type FakeQueue } from "./index.js";

const app = createCeleriac({
  prisma: {} as CeleriacPrisma, // never used: no transaction, no periodic task
  databaseUrl: "file:/nonexistent/celeriac-fake-queue.db",
  redisUrl: "redis://127.0.0.1:1", // nothing listens there
  logLevel: "silent",
});

const ran: string[] = [];
const add = app.task({ name: "t.add", args: z.tuple([z.number(), z.number()]), ignoreResult: true, run: (_c, x, y) => (ran.push(`add ${x} ${y}`), x + y) });
const greet = app.task({
  name: "t.greet",
  args: z.tuple([z.object({ name: z.string(), tags: z.array(z.string()).default([]) })]),
  queue: "mail",
  ignoreResult: true,
  run: (_c, person) => (ran.push(`greet ${person.name}`), `hello ${person.name}`),
});
/** Sends add(n, n) and, while n > 0, itself with n - 1: tasks sent by running tasks run too. */
const countdown = app.task({
  name: "t.countdown",
  args: z.tuple([z.number().int()]),
  ignoreResult: true,
  async run(_c, n) {
    ran.push(`countdown ${n}`);
    await add.delay(n, n);
    if (n > 0) await countdownTask().delay(n - 1);
    return n;
  },
});
const countdownTask = () => countdown;
const boom = app.task({
  name: "t.boom",
  args: z.tuple([]),
  ignoreResult: true,
  run: () => {
    throw new RangeError("out of range");
  },
});
const forever = app.task({
  name: "t.forever",
  args: z.tuple([]),
  ignoreResult: true,
  async run(): Promise<null> {
    await foreverTask().delay();
    return null;
  },
});
const foreverTask = () => forever;

let queue: FakeQueue;
beforeEach(() => {
  ran.length = 0;
  queue = fakeQueue(app);
});
afterEach(() => queue.restore());

describe("recording", () => {
  it("records .delay() and .applyAsync() instead of sending them, with no Redis", async () => {
    const first = await add.delay(1, 2);
    const second = await greet.applyAsync([{ name: "Ann" }], { countdown: 5, priority: 3 });
    expect(queue.sent).toEqual([
      { id: first.id, name: "t.add", args: [1, 2], queue: "default", delayMs: 0, sentAt: expect.any(Number) },
      { id: second.id, name: "t.greet", args: [{ name: "Ann" }], queue: "mail", delayMs: 5000, priority: 3, sentAt: expect.any(Number) },
    ]);
    expect(ran).toEqual([]); // recorded, not run
    expect(app.broker.transport).toMatch(/^fake queue/);
  });

  it("records a JSON copy: changing the arguments after the call changes nothing", async () => {
    const person = { name: "Ann", tags: ["a"] };
    await greet.delay(person);
    person.tags.push("b");
    queue.assertEnqueued(greet, [{ name: "Ann", tags: ["a"] }]);
  });

  it("still refuses invalid arguments at the call, and records nothing then", async () => {
    await expect((add.delay as (...a: unknown[]) => Promise<unknown>)("one", 2)).rejects.toThrow(/argument/);
    expect(queue.sent).toEqual([]);
  });

  it("records delayOnCommit outside a transaction at once", () => {
    const id = add.delayOnCommit(3, 4);
    expect(queue.sent.map((s) => [s.id, s.args])).toEqual([[id, [3, 4]]]);
  });
});

describe("assertEnqueued and assertNotEnqueued", () => {
  it("match by task, then by exact arguments, a test of them, or options", async () => {
    await add.delay(1, 2);
    await greet.applyAsync([{ name: "Ann" }], { countdown: 2 });
    const sent = queue.assertEnqueued(add, [1, 2]);
    expect(sent.args satisfies [number, number]).toEqual([1, 2]);
    queue.assertEnqueued(add);
    queue.assertEnqueued(greet, ([person]) => person.name.startsWith("A"), { queue: "mail", delayMs: 2000 });
    queue.assertEnqueued(add, [1, 2], { times: 1 });
    queue.assertNotEnqueued(add, [2, 1]);
    queue.assertNotEnqueued(boom);
  });

  it("throw an AssertionError that lists what was enqueued, the expected task's sends marked", async () => {
    await add.delay(1, 2);
    await greet.delay({ name: "Ann" });
    const error = captured(() => queue.assertEnqueued(add, [2, 3]));
    expect(error.name).toBe("AssertionError");
    expect(error.message).toBe(
      [
        "expected t.add [2,3] to be enqueued, but it was not",
        "  enqueued (2):",
        "  + t.add [1,2] { queue: \"default\" }",
        "  · t.greet [{\"name\":\"Ann\"}] { queue: \"mail\" }",
      ].join("\n"),
    );
    // A runner's diff: the expected send against the sends of that task.
    expect(error).toMatchObject({ expected: [{ name: "t.add", args: [2, 3] }], actual: [{ name: "t.add", args: [1, 2], queue: "default" }] });
  });

  it("say how many times when `times` does not hold, and name a test of the arguments", async () => {
    await add.delay(1, 2);
    await add.delay(1, 2);
    expect(() => queue.assertEnqueued(add, [1, 2], { times: 1 })).toThrow(/^expected t\.add \[1,2\] to be enqueued 1 time, but it was enqueued 2 times\n/);
    expect(() => queue.assertEnqueued(add, function bigSum([x, y]) { return x + y > 10; })).toThrow(/^expected t\.add \(args where bigSum holds\) to be enqueued/);
    expect(() => queue.assertEnqueued(add, undefined, { queue: "mail" })).toThrow(/^expected t\.add \(any args\) \{ queue: "mail" \} to be enqueued/);
  });

  it("say 'nothing' when nothing was enqueued", () => {
    expect(() => queue.assertEnqueued(add)).toThrow("expected t.add (any args) to be enqueued, but it was not\n  enqueued: nothing");
  });

  it("assertNotEnqueued lists the sends it found", async () => {
    await add.delay(1, 2);
    expect(() => queue.assertNotEnqueued(add)).toThrow("expected t.add (any args) not to be enqueued, but it was 1 time\n  enqueued (1):\n  + t.add [1,2] { queue: \"default\" }");
  });

  it("take the task's own argument types", () => {
    // @ts-expect-error -- t.add takes two numbers
    expect(() => queue.assertEnqueued(add, ["1", 2])).toThrow();
    // @ts-expect-error -- the test receives [number, number]
    expect(() => queue.assertEnqueued(add, ([x]: [string]) => x === "1")).toThrow();
    // @ts-expect-error -- greet's person has a name
    queue.assertNotEnqueued(greet, [{ nom: "Ann" }]);
  });
});

describe("drain, clear, restore", () => {
  it("drain returns the sends and forgets them; clear forgets them", async () => {
    await add.delay(1, 2);
    const drained = queue.drain();
    expect(drained.map((s) => s.args)).toEqual([[1, 2]]);
    expect(queue.sent).toEqual([]);
    await add.delay(3, 4);
    queue.clear();
    expect(queue.sent).toEqual([]);
    expect(await queue.runAll()).toEqual([]); // forgotten sends do not run
    expect(ran).toEqual([]);
  });

  it("restore gives the app its own broker back; a second fake nests in the first", async () => {
    const inner = fakeQueue(app);
    await add.delay(1, 1);
    inner.restore();
    await add.delay(2, 2);
    expect(inner.sent.map((s) => s.args)).toEqual([[1, 1]]);
    expect(queue.sent.map((s) => s.args)).toEqual([[2, 2]]);
    queue.restore();
    expect(app.broker.transport).toBe("redis://127.0.0.1:1");
    queue.restore(); // a second call changes nothing
    expect(app.broker.transport).toBe("redis://127.0.0.1:1");
  });
});

describe("runAll", () => {
  it("runs the recorded sends in order, and the sends they make, until none is left", async () => {
    await countdown.delay(1);
    await greet.delay({ name: "Ann" });
    const runs = await queue.runAll();
    expect(ran).toEqual(["countdown 1", "greet Ann", "add 1 1", "countdown 0", "add 0 0"]);
    expect(runs.map((r) => [r.name, r.args, r.outcome])).toEqual([
      ["t.countdown", [1], { status: "SUCCESS", result: 1 }],
      ["t.greet", [{ name: "Ann" }], { status: "SUCCESS", result: "hello Ann" }],
      ["t.add", [1, 1], { status: "SUCCESS", result: 2 }],
      ["t.countdown", [0], { status: "SUCCESS", result: 0 }],
      ["t.add", [0, 0], { status: "SUCCESS", result: 0 }],
    ]);
    queue.assertEnqueued(add, [0, 0]); // the history keeps what ran
    expect(await queue.runAll()).toEqual([]); // each send runs once
  });

  it("rejects after running them all when one failed, naming it; allowFailures returns the outcome", async () => {
    await boom.delay();
    await add.delay(1, 2);
    await expect(queue.runAll()).rejects.toThrow(/^runAll: 1 of 2 tasks failed .*\n {2}- t\.boom \[\] \(.+\): RangeError: out of range$/);
    expect(ran).toEqual(["add 1 2"]);
    await boom.delay();
    const [run] = await queue.runAll({ allowFailures: true });
    expect(run.outcome).toMatchObject({ status: "FAILURE", error: { type: "RangeError", message: "out of range" } });
  });

  it("runs a revoked send as REVOKED", async () => {
    const result = await add.delay(1, 2);
    await app.broker.revoke(result.id, false); // what result.revoke() asks the broker (it also writes the row: the int test)
    const [run] = await queue.runAll();
    expect(run.outcome).toEqual({ status: "REVOKED", reason: "revoked before it started" });
    expect(ran).toEqual([]);
  });

  it("stops a task that keeps sending itself", async () => {
    await forever.delay();
    await expect(queue.runAll({ maxTasks: 20 })).rejects.toThrow("runAll: ran 20 tasks and more are waiting");
  });
});

function captured(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("it did not throw");
}
