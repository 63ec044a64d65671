/**
 * The durable outbox: a process killed between commit and enqueue still gets its task run, exactly once;
 * the same crash without the outbox loses the task (kept as the documented difference). The fast path and
 * relays racing each other never send a row twice.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHarness, type Harness } from "../../test/harness.js";
import { MIN_RELAY_GRACE_MS } from "./outbox.js";
import { startRelay } from "./relay.js";

let h: Harness;
const runs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  h = createHarness("outbox");
  h.app.task({ name: "crash.record", args: z.tuple([z.string()]), run: (ctx) => void runs.push(ctx.id) });
  await h.startWorker({ concurrency: 8 });
});
afterAll(() => h.close());

/** Runs the fixture, waits for its commit, SIGKILLs it before it enqueues; returns the committed task id. */
async function commitThenCrash(mode: "durable" | "plain"): Promise<string> {
  // node with tsx's loader, not the tsx wrapper: SIGKILL must hit the process that committed.
  const child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "../../test/app/commit-then-crash.ts"), mode], {
    env: { ...process.env, DATABASE_URL: h.databaseUrl, CELERIAC_KEY_PREFIX: h.keyPrefix, CELERIAC_LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const taskId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no commit from the ${mode} child: ${out}`)), 30_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const match = /committed (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  child.kill("SIGKILL");
  await exited;
  return taskId;
}

describe("a crash between commit and enqueue", () => {
  it("durable: the relay delivers the committed task, exactly once", async () => {
    const taskId = await commitThenCrash("durable");
    expect(await h.app.AsyncResult.from(taskId).info()).toMatchObject({ status: "PENDING", name: "crash.record" }); // the outbox row
    const relay = startRelay({ outbox: h.app.outbox, broker: h.app.broker, log: h.app.log, intervalMs: 100, graceMs: 500 });
    try {
      await expect.poll(() => runs.filter((id) => id === taskId).length, { timeout: 15_000 }).toBe(1);
      await sleep(1500); // further relay passes must not send it again
      expect(runs.filter((id) => id === taskId)).toHaveLength(1);
      expect(await h.db.taskOutbox.findUnique({ where: { id: taskId } })).toMatchObject({ dispatchedAt: expect.any(Date) });
    } finally {
      await relay.stop();
    }
  });

  it("plain onCommit: the task is lost — the reason durable mode exists", async () => {
    const taskId = await commitThenCrash("plain");
    const relay = startRelay({ outbox: h.app.outbox, broker: h.app.broker, log: h.app.log, intervalMs: 100, graceMs: 0 });
    try {
      await sleep(2000);
      expect(runs).not.toContain(taskId);
      expect(await h.app.AsyncResult.from(taskId).status()).toBe("PENDING"); // no worker ever took it
    } finally {
      await relay.stop();
    }
  });
});

describe("fast path and relays racing", () => {
  it("never run a task twice", { timeout: 60_000 }, async () => {
    const ran = new Map<string, number>();
    const race = h.app.task({ name: "outbox.race", args: z.tuple([z.number()]), run: (ctx) => void ran.set(ctx.id, (ran.get(ctx.id) ?? 0) + 1) });
    // Two relays at their least grace (asked for none) compete with the fast path for every row: each
    // transaction commits only once its rows are older than that grace, so the fast path must claim them
    // too (a fresh row's send takes no claim, and no relay may take such a row: that is tested below).
    const relays = [1, 2].map(() => startRelay({ outbox: h.app.outbox, broker: h.app.broker, log: h.app.log, intervalMs: 2, graceMs: 0 }));
    try {
      const ids = (
        await Promise.all(
          Array.from({ length: 4 }, (_, batch) =>
            h.app.transaction(
              async () => {
                const batchIds = Array.from({ length: 25 }, (_, i) => race.delayOnCommit(batch * 25 + i));
                await sleep(MIN_RELAY_GRACE_MS + 100);
                return batchIds;
              },
              { durable: true, maxWait: 60_000, timeout: 30_000 },
            ),
          ),
        )
      ).flat();
      await expect.poll(() => ids.every((id) => ran.has(id)), { timeout: 30_000 }).toBe(true);
      await sleep(1000);
      expect(ids.filter((id) => ran.get(id) !== 1)).toEqual([]);
      const unsent = await h.db.taskOutbox.count({ where: { id: { in: ids }, dispatchedAt: null } });
      expect(unsent).toBe(0);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });

  it("a relay never takes a row younger than its least grace, whatever it is asked", async () => {
    const young = h.app.task({ name: "outbox.young", args: z.tuple([]), run: () => 1 });
    // A young row made to look never sent (as after a crash), and a relay asked for no grace at all.
    const id = await h.app.transaction(async () => young.delayOnCommit(), { durable: true });
    await expect.poll(async () => (await h.db.taskOutbox.findUnique({ where: { id } }))!.dispatchedAt, { timeout: 2_000, interval: 20 }).not.toBeNull();
    await h.db.taskOutbox.update({ where: { id }, data: { dispatchedAt: null, claimedAt: null, createdAt: new Date() } });
    const relay = startRelay({ outbox: h.app.outbox, broker: h.app.broker, log: h.app.log, intervalMs: 1_000_000, graceMs: 0 }, { autostart: false });
    try {
      expect(await relay.tick()).toBe(0);
      expect((await h.db.taskOutbox.findUnique({ where: { id } }))!.claimedAt).toBeNull();
    } finally {
      await relay.stop();
    }
  });

  it("a durable dispatch is sent by the fast path at once, without a claim, and marked sent soon after", async () => {
    const fast = h.app.task({ name: "outbox.fast", args: z.tuple([]), run: () => "fast" });
    const id = await h.app.transaction(async () => fast.delayOnCommit(), { durable: true });
    // No relay runs here: only the fast path can have sent it.
    expect(await h.app.AsyncResult.from(id).get({ timeout: 5_000 })).toBe("fast");
    await expect.poll(async () => (await h.db.taskOutbox.findUnique({ where: { id } }))!.dispatchedAt, { timeout: 2_000, interval: 20 }).not.toBeNull();
    expect((await h.db.taskOutbox.findUnique({ where: { id } }))!.claimedAt).toBeNull();
  });

  it("a rolled-back durable transaction leaves no outbox row", async () => {
    const none = h.app.task({ name: "outbox.none", args: z.tuple([]), run: () => 1 });
    let id = "";
    await h.app
      .transaction(
        async () => {
          id = none.delayOnCommit();
          throw new Error("rollback");
        },
        { durable: true },
      )
      .catch(() => undefined);
    expect(await h.db.taskOutbox.findUnique({ where: { id } })).toBeNull();
  });
});
