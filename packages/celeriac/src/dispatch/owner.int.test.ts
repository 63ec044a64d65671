/**
 * A result's owner, from the dispatch to the row, on the real Redis and the run's database: every way a task
 * is sent (plain, on commit, durable with its fast path and its relay, eager) records the owner the call or
 * the task names, and an owned dispatch has its PENDING row by the time the call resolves — while an ownerless
 * plain `.delay()` still writes no row before a worker takes it.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestDatabase } from "../../test/databases.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { startRelay } from "../transaction/relay.js";

let h: Harness;
let eager: Harness;

/** A queue no worker of this file serves: what is sent there stays queued (PENDING). */
const IDLE = "owner-idle";

function defineTasks(app: Harness["app"]) {
  return {
    echo: app.task({ name: "owner.echo", args: z.tuple([z.string()]), run: (_ctx, text) => text }),
    mail: app.task({ name: "owner.mail", args: z.tuple([z.number().int()]), owner: (userId) => `user:${userId}`, run: () => "sent" }),
    quiet: app.task({ name: "owner.quiet", args: z.tuple([]), ignoreResult: true, run: () => 1 }),
  };
}
let t: ReturnType<typeof defineTasks>;

beforeAll(async () => {
  h = createHarness("owner");
  t = defineTasks(h.app);
  await h.startWorker();
  eager = createHarness("owner-eager", { alwaysEager: true });
});
afterAll(async () => {
  await h.close();
  await eager.close();
});

const row = (id: string) => h.db.taskResult.findUnique({ where: { id } });

/** Runs `fn` while every PENDING write takes 300 ms longer: a dispatch that did not wait for it would resolve first. */
async function withSlowPendingWrites<T>(fn: () => Promise<T>): Promise<T> {
  const backend = h.app.backend;
  const pending = backend.pending.bind(backend);
  backend.pending = (message) => new Promise((resolve) => setTimeout(resolve, 300)).then(() => pending(message));
  try {
    return await fn();
  } finally {
    backend.pending = pending;
  }
}

describe("plain dispatch", () => {
  it("an owned .applyAsync() has its PENDING row, with the owner, when it resolves", async () => {
    const r = await withSlowPendingWrites(() => t.echo.applyAsync(["queued"], { queue: IDLE, owner: "user:1" }));
    expect(await r.info()).toMatchObject({ status: "PENDING", name: "owner.echo", args: ["queued"], queue: IDLE, owner: "user:1" });
  });

  it("an ownerless .delay() writes no row before a worker takes it, as before", async () => {
    const r = await t.echo.applyAsync(["queued"], { queue: IDLE });
    expect(await r.info()).toBeNull();
  });

  it("the worker's rows keep the owner through STARTED and the outcome", async () => {
    const r = await t.echo.applyAsync(["hello"], { owner: "user:2" });
    expect(await r.get({ timeout: 10_000 })).toBe("hello");
    expect(await r.info()).toMatchObject({ status: "SUCCESS", owner: "user:2" });
    expect((await row(r.id))!.owner).toBe("user:2");
  });

  it("a task's owner(...args) applies when the call names none; the call's owner wins", async () => {
    const derived = await t.mail.delay(42);
    expect(await derived.get({ timeout: 10_000 })).toBe("sent");
    expect((await derived.info())!.owner).toBe("user:42");
    const named = await t.mail.applyAsync([42], { owner: "staff" });
    await named.get({ timeout: 10_000 });
    expect((await named.info())!.owner).toBe("staff");
  });

  it("an ignoreResult task gets no PENDING row, owner or not", async () => {
    const r = await t.quiet.applyAsync([], { queue: IDLE, owner: "user:3" });
    expect(await r.info()).toBeNull();
  });

  it("a failed send leaves no owned row behind", async () => {
    const id = `owner-unsent-${randomUUID()}`;
    const broker = h.app.broker;
    const publish = broker.publish.bind(broker);
    broker.publish = async () => {
      throw new Error("Redis is down");
    };
    try {
      await expect(t.echo.applyAsync(["lost"], { taskId: id, owner: "user:4" })).rejects.toThrow("Redis is down");
    } finally {
      broker.publish = publish;
    }
    expect(await row(id)).toBeNull();
  });
});

describe("dispatch from transactions", () => {
  it("on commit: transaction() resolves once the owned PENDING row is written", async () => {
    const id = await withSlowPendingWrites(() => h.app.transaction(async () => t.echo.applyAsyncOnCommit(["committed"], { queue: IDLE, owner: "user:5" })));
    expect(await row(id)).toMatchObject({ status: "PENDING", owner: "user:5" });
  });

  it("durable: the outbox row carries the owner, reads as the owner's PENDING record, and reaches the worker's row", async () => {
    const queued = await h.app.transaction(async () => t.echo.applyAsyncOnCommit(["durable"], { queue: IDLE, owner: "user:6" }), { durable: true });
    expect(await h.db.taskOutbox.findUnique({ where: { id: queued } })).toMatchObject({ owner: "user:6" });
    expect(await h.app.AsyncResult.from(queued).info()).toMatchObject({ status: "PENDING", owner: "user:6" });

    const sent = await h.app.transaction(async () => t.mail.delayOnCommit(7), { durable: true });
    expect(await h.app.AsyncResult.from(sent).get({ timeout: 10_000 })).toBe("sent");
    expect((await row(sent))!.owner).toBe("user:7");
  });

  it("the relay re-sends an outbox row with its owner", async () => {
    // A database of its own: a relay takes the oldest unsent rows, other files' included, and would send them here.
    const database = await createTestDatabase(h.databaseUrl.startsWith("file:") ? "sqlite" : "postgres", "owner_relay");
    const relayed = createHarness("owner-relay", { databaseUrl: database.url });
    const { app, db } = relayed;
    const { echo } = defineTasks(app);
    await relayed.startWorker({ concurrency: 2 });
    try {
      const id = `owner-relayed-${randomUUID()}`;
      // A row its committer never sent (it crashed), old enough for a relay to take.
      await db.taskOutbox.create({ data: { id, name: echo.name, args: ["relayed"], queue: "default", createdAt: new Date(Date.now() - 10_000), owner: "user:8" } });
      const relay = startRelay({ outbox: app.outbox, broker: app.broker, log: app.log, intervalMs: 1_000_000 }, { autostart: false });
      try {
        expect(await relay.tick()).toBe(1);
      } finally {
        await relay.stop();
      }
      expect(await app.AsyncResult.from(id).get({ timeout: 10_000 })).toBe("relayed");
      expect((await db.taskResult.findUniqueOrThrow({ where: { id } })).owner).toBe("user:8");
    } finally {
      await relayed.close();
      await database.drop();
    }
  });
});

describe("eager mode", () => {
  it("the settled record and the stored row carry the owner", async () => {
    const echo = eager.app.task({ name: "owner.eagerEcho", args: z.tuple([z.string()]), run: (_ctx, text) => text });
    const r = await echo.applyAsync(["inline"], { owner: "user:9" });
    expect(await r.info()).toMatchObject({ status: "SUCCESS", owner: "user:9" });
    expect(await eager.db.taskResult.findUnique({ where: { id: r.id } })).toMatchObject({ status: "SUCCESS", owner: "user:9" });
  });
});
