/**
 * control on real workers (in this process), real Redis and the run's database: pausing and resuming a
 * queue, the workers seen lately (online, stopped, offline, pruned after the retention), and a shutdown
 * asked through the broker. The worker processes (SIGKILL, `celeriac control shutdown`) are in
 * worker/worker-process.int.test.ts.
 */
import { createRedisConnection } from "../broker/redis-connection.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { WorkerHeartbeat } from "../broker/inspection.js";
import { WORKER_RETENTION_MS } from "../broker/worker-records.js";
import { NotFoundError, States } from "../index.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { REDIS_URL } from "../../test/redis.js";
import { pauseQueue, resumeQueue, shutdown } from "./inspect.js";

let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Running `ctl.block` tasks by tag: calling one lets that task finish. */
const gates = new Map<string, () => void>();

function defineTasks(app: Harness["app"]) {
  return {
    echo: app.task({ name: "ctl.echo", args: z.tuple([z.string()]), run: (_ctx, tag) => tag }),
    block: app.task({ name: "ctl.block", args: z.tuple([z.string()]), run: (_ctx, tag) => new Promise<string>((done) => gates.set(tag, () => done(tag))) }),
  };
}

let t: ReturnType<typeof defineTasks>;

beforeAll(() => {
  h = createHarness("control-inspect");
  t = defineTasks(h.app);
});
afterAll(() => h.close());

/** The live worker of a hostname (each test starts its own). */
async function liveId(hostname: string): Promise<string> {
  await expect.poll(async () => (await h.app.broker.heartbeats()).filter((b) => b.hostname === hostname).length, { timeout: 5_000, interval: 50 }).toBe(1);
  return (await h.app.broker.heartbeats()).find((b) => b.hostname === hostname)!.id;
}

async function seenState(id: string) {
  return (await h.app.broker.workersSeen()).find((w) => w.heartbeat.id === id)?.state;
}

describe("pause and resume a queue", () => {
  it("a paused queue keeps its new tasks waiting while its running one finishes; resumed, they run", async () => {
    const worker = await h.startWorker({ queues: ["ctl-pause"], concurrency: 2 });
    try {
      const running = await t.block.applyAsync(["ctl-running"], { queue: "ctl-pause" });
      await expect.poll(() => running.status(), { timeout: 5_000, interval: 50 }).toBe(States.STARTED);
      await pauseQueue(h.app.broker, "ctl-pause");
      expect(await h.app.broker.queueCounts("ctl-pause")).toMatchObject({ paused: true, active: 1 });

      const waiting = await t.echo.applyAsync(["ctl-waiting"], { queue: "ctl-pause" });
      gates.get("ctl-running")!();
      expect(await running.get({ timeout: 10_000 })).toBe("ctl-running");
      await sleep(1_500); // the worker is idle and serving the queue: unpaused, it would have run the task by now
      expect(await waiting.status()).toBe(States.PENDING);
      expect(await h.app.broker.queueCounts("ctl-pause")).toMatchObject({ paused: true, waiting: 1, active: 0 });

      await resumeQueue(h.app.broker, "ctl-pause");
      expect(await waiting.get({ timeout: 10_000 })).toBe("ctl-waiting");
      expect(await h.app.broker.queueCounts("ctl-pause")).toMatchObject({ paused: false, waiting: 0 });
    } finally {
      await worker.stop();
    }
  });

  it("a queue is not paused until asked, and one nobody knows is refused (NotFoundError), not created", async () => {
    await t.echo.applyAsync(["ctl-known"], { queue: "ctl-known", countdown: 60 });
    expect((await h.app.broker.queueCounts("ctl-known")).paused).toBe(false);
    await expect(pauseQueue(h.app.broker, "ctl-nobody")).rejects.toThrow(NotFoundError);
    await expect(resumeQueue(h.app.broker, "ctl-nobody")).rejects.toThrow(NotFoundError);
    expect(await h.app.broker.queueNames()).not.toContain("ctl-nobody");
  });
});

describe("workersSeen", () => {
  const record = (over: Partial<WorkerHeartbeat>): WorkerHeartbeat => ({
    id: "celeriac@crafted:1:000000",
    hostname: "celeriac@crafted",
    pid: 1,
    queues: ["crafted"],
    concurrency: 1,
    pool: "process",
    tasks: [],
    startedAt: Date.now() - 60_000,
    sentAt: Date.now(),
    intervalMs: 1000,
    counts: { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0 },
    total: {},
    active: [],
    ...over,
  });

  it("a running worker is online with its pool; stopped cleanly it is listed as stopped, no longer live", async () => {
    const worker = await h.startWorker({ queues: ["ctl-seen"], hostname: "celeriac@seen" });
    const id = await liveId("celeriac@seen");
    const seen = (await h.app.broker.workersSeen()).find((w) => w.heartbeat.id === id)!;
    expect(seen.state).toBe("online");
    expect(seen.heartbeat).toMatchObject({ hostname: "celeriac@seen", pid: process.pid, pool: "async", queues: ["ctl-seen"] });
    await worker.stop();
    expect(await seenState(id)).toBe("stopped");
    expect((await h.app.broker.heartbeats()).map((b) => b.id)).not.toContain(id);
  });

  it("a worker gone silent is offline: its last beat older than three intervals, or its live record gone", async () => {
    const stale = record({ id: "celeriac@crafted:1:aaaaaa", sentAt: Date.now() - 10_000 });
    await h.app.broker.sendHeartbeat(stale, 60_000); // live key still there, but no beat for 10 intervals
    expect(await seenState(stale.id)).toBe("offline");

    const lapsing = record({ id: "celeriac@crafted:1:bbbbbb" });
    await h.app.broker.sendHeartbeat(lapsing, 200);
    await sleep(500); // past the live record's TTL, within three intervals by its sentAt
    expect(await seenState(lapsing.id)).toBe("offline");
    const listed = (await h.app.broker.workersSeen()).find((w) => w.heartbeat.id === lapsing.id)!;
    expect(listed.heartbeat).toEqual(lapsing);
  });

  it("keeps an hour of workers: older ones are left out, and the next heartbeat deletes them", async () => {
    const old = record({ id: "celeriac@crafted:1:cccccc", sentAt: Date.now() - WORKER_RETENTION_MS - 60_000 });
    const redis = createRedisConnection(REDIS_URL);
    const key = (name: string) => `{${h.keyPrefix}}:${name}`;
    try {
      // As a heartbeat of an hour ago left it, then a clean stop.
      await redis
        .multi()
        .hset(key("workers-seen"), old.id, JSON.stringify(old))
        .zadd(key("workers-seen-at"), old.sentAt, old.id)
        .hset(key("workers-stopped"), old.id, String(old.sentAt))
        .exec();
      expect(await seenState(old.id)).toBeUndefined();
      await h.app.broker.sendHeartbeat(record({ id: "celeriac@crafted:1:dddddd" }), 1000);
      expect(await redis.hexists(key("workers-seen"), old.id)).toBe(0);
      expect(await redis.zscore(key("workers-seen-at"), old.id)).toBeNull();
      expect(await redis.hexists(key("workers-stopped"), old.id)).toBe(0);
      // A heartbeat sent with an old sentAt is pruned by its own write.
      const late = record({ id: "celeriac@crafted:1:eeeeee", sentAt: old.sentAt });
      await h.app.broker.sendHeartbeat(late, 1000);
      expect(await redis.hexists(key("workers-seen"), late.id)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe("shutdownWorker", () => {
  it("asks a live worker to stop warm: its running task finishes, then it is stopped", async () => {
    const worker = await h.startWorker({ queues: ["ctl-shut"], hostname: "celeriac@shut", graceMs: 20_000 });
    const id = await liveId("celeriac@shut");
    const running = await t.block.applyAsync(["ctl-shut-running"], { queue: "ctl-shut" });
    await expect.poll(() => running.status(), { timeout: 5_000, interval: 50 }).toBe(States.STARTED);

    expect(await shutdown(h.app.broker, "celeriac@shut")).toEqual([{ worker: "celeriac@shut", hostname: "celeriac@shut", pid: process.pid, id }]);
    await worker.shutdownRequested;
    expect(await seenState(id)).toBe("online"); // still beating while its task runs
    gates.get("ctl-shut-running")!();
    expect(await running.get({ timeout: 10_000 })).toBe("ctl-shut-running");
    expect(await worker.stop()).toEqual({ drained: true }); // the shutdown already under way
    const [last] = (await h.app.broker.workersSeen()).filter((w) => w.heartbeat.id === id);
    expect(last).toMatchObject({ state: "stopped", heartbeat: { active: [], counts: { processed: 1, succeeded: 1 } } });
    expect(await h.app.broker.shutdownWorker(id)).toBe(false); // not live any more
  });

  it("resolves false, asking nobody, for an id no live worker has", async () => {
    const worker = await h.startWorker({ queues: ["ctl-other"], hostname: "celeriac@other" });
    try {
      const id = await liveId("celeriac@other");
      expect(await h.app.broker.shutdownWorker("celeriac@nobody:1:abcdef")).toBe(false);
      expect(await shutdown(h.app.broker, "celeriac@nobody")).toEqual([]);
      await sleep(300);
      expect(await seenState(id)).toBe("online");
    } finally {
      await worker.stop();
    }
  });
});
