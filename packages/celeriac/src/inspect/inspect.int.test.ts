/**
 * inspect and purge on real workers, real Redis and the run's database: registered, active, scheduled
 * (countdown, eta, retry wait), stats, workers coming and going (clean stop and TTL), purge; and the real
 * `celeriac` bin in a child process.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { States } from "../index.js";
import type { WorkerHeartbeat } from "../broker/inspection.js";
import { active, knownQueues, purge, purgeable, registered, scheduled, stats } from "./inspect.js";
import { createHarness, type Harness } from "../../test/harness.js";
import { REDIS_URL } from "../../test/redis.js";

let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ran: string[] = [];
/** Running `i.block` tasks by tag: calling one lets that task finish. */
const gates = new Map<string, () => void>();

function defineTasks(app: Harness["app"]) {
  return {
    record: app.task({ name: "i.record", args: z.tuple([z.string()]), run: (_ctx, tag) => void ran.push(tag) }),
    block: app.task({
      name: "i.block",
      args: z.tuple([z.string()]),
      run: (_ctx, tag) => new Promise<string>((done) => gates.set(tag, () => done(tag))),
    }),
    fail: app.task({
      name: "i.fail",
      args: z.tuple([]),
      run: () => {
        throw new Error("boom");
      },
    }),
    retryLater: app.task({ name: "i.retryLater", args: z.tuple([]), maxRetries: 3, run: (ctx) => ctx.retry({ countdown: 60 }) }),
  };
}

let t: ReturnType<typeof defineTasks>;

beforeAll(() => {
  h = createHarness("inspect");
  t = defineTasks(h.app);
});
afterAll(() => h.close());

describe("registered", () => {
  it("lists each live worker with the task names it runs", async () => {
    const worker = await h.startWorker({ queues: ["reg"], concurrency: 2 });
    try {
      const replies = await registered(h.app.broker);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toEqual({ worker: "celeriac@test", hostname: "celeriac@test", pid: process.pid, tasks: ["celeriac.backendCleanup", "i.block", "i.fail", "i.record", "i.retryLater"] });
    } finally {
      await worker.stop();
    }
  });
});

describe("active", () => {
  it("shows a running task with its id, name and start, and drops it once it finished", async () => {
    const worker = await h.startWorker({ queues: ["active"], concurrency: 2 });
    try {
      const before = Date.now();
      const r = await t.block.applyAsync(["active-1"], { queue: "active" });
      await expect.poll(async () => (await active(h.app.broker))[0]?.tasks.map((x) => x.id), { timeout: 5_000, interval: 100 }).toEqual([r.id]);
      const [reply] = await active(h.app.broker);
      expect(reply.tasks[0].task).toBe("i.block");
      expect(reply.tasks[0].startedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(reply.tasks[0].startedAt.getTime()).toBeLessThanOrEqual(Date.now());
      gates.get("active-1")!();
      expect(await r.get({ timeout: 10_000 })).toBe("active-1");
      await expect.poll(async () => (await active(h.app.broker))[0]?.tasks, { timeout: 5_000, interval: 100 }).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});

describe("scheduled", () => {
  it("lists countdown, eta and retry waits per queue with their eta, soonest first", async () => {
    const worker = await h.startWorker({ queues: ["sched-retry"], concurrency: 1 });
    try {
      const sent = Date.now();
      const eta = new Date(sent + 120_000);
      const later = await t.record.applyAsync(["sched-eta"], { queue: "sched", eta });
      const soon = await t.record.applyAsync(["sched-countdown"], { queue: "sched", countdown: 60 });
      const retrying = await t.retryLater.applyAsync([], { queue: "sched-retry" });
      await expect.poll(() => retrying.status(), { timeout: 5_000, interval: 50 }).toBe(States.RETRY);

      const replies = await scheduled(h.app.broker, { queues: ["sched", "sched-retry"] });
      const [sched, retry] = replies;
      expect(sched.queue).toBe("sched");
      expect(sched.total).toBe(2);
      expect(sched.tasks.map((x) => [x.id, x.task, x.args, x.retries])).toEqual([
        [soon.id, "i.record", ["sched-countdown"], 0],
        [later.id, "i.record", ["sched-eta"], 0],
      ]);
      expect(Math.abs(sched.tasks[0].eta.getTime() - (sent + 60_000))).toBeLessThan(2_000);
      // An eta travels as a delay from the moment of sending, so BullMQ's due time may be off by a ms or two.
      expect(Math.abs(sched.tasks[1].eta.getTime() - eta.getTime())).toBeLessThan(50);
      expect(retry.tasks).toHaveLength(1);
      expect(retry.tasks[0]).toMatchObject({ id: retrying.id, task: "i.retryLater", retries: 1 });
      expect(Math.abs(retry.tasks[0].eta.getTime() - (Date.now() + 60_000))).toBeLessThan(3_000);

      // Without a queue list: every known queue, including ones no worker serves.
      const all = await scheduled(h.app.broker);
      expect(all.map((r) => r.queue)).toEqual(expect.arrayContaining(["sched", "sched-retry"]));
      expect((await scheduled(h.app.broker, { queues: ["sched"], limit: 1 }))[0]).toMatchObject({ total: 2, tasks: [{ id: soon.id }] });
    } finally {
      await worker.stop();
      await purge(h.app.broker, ["sched", "sched-retry"]);
    }
  });
});

describe("stats", () => {
  it("reports pid, uptime, concurrency, queues and what the worker did; and the queues' job counts", async () => {
    const worker = await h.startWorker({ queues: ["stats"], concurrency: 3 });
    try {
      const ok = await Promise.all([1, 2, 3].map((i) => t.record.applyAsync([`stats-${i}`], { queue: "stats" })));
      const bad = await t.fail.applyAsync([], { queue: "stats" });
      await Promise.all(ok.map((r) => r.get({ timeout: 10_000 })));
      await expect(bad.get({ timeout: 10_000 })).rejects.toThrow("boom");
      await expect
        .poll(async () => (await stats(h.app.broker)).workers[0]?.counts, { timeout: 5_000, interval: 100 })
        .toEqual({ processed: 4, succeeded: 3, failed: 1, retried: 0, revoked: 0 });
      const s = await stats(h.app.broker);
      expect(s.workers).toHaveLength(1);
      expect(s.workers[0]).toMatchObject({ hostname: "celeriac@test", pid: process.pid, pool: "async", concurrency: 3, queues: ["stats"], active: 0 });
      expect(s.workers[0].total).toEqual({ "i.record": 3, "i.fail": 1 });
      expect(s.workers[0].uptimeS).toBeGreaterThanOrEqual(0);
      expect(s.workers[0].uptimeS).toBeLessThan(60);
      expect(s.queues.find((q) => q.queue === "stats")).toEqual({ queue: "stats", waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 1, paused: false });
    } finally {
      await worker.stop();
    }
  });
});

describe("workers coming and going", () => {
  it("a stopped worker disappears at once; workers sharing a hostname stay apart", async () => {
    const a = await h.app.startWorker({ queues: ["ga"], hostname: "celeriac@a", graceMs: 5_000 });
    const b = await h.app.startWorker({ queues: ["gb"], hostname: "celeriac@b", graceMs: 5_000 });
    const b2 = await h.app.startWorker({ queues: ["gb"], hostname: "celeriac@b", graceMs: 5_000 });
    try {
      const names = (await registered(h.app.broker)).map((r) => r.worker);
      expect(names).toHaveLength(3);
      expect(names[0]).toBe("celeriac@a");
      expect(names[1]).toMatch(new RegExp(`^celeriac@b \\(pid ${process.pid}, [0-9a-f]{6}\\)$`));
      expect(names[2]).not.toBe(names[1]);
      await a.stop();
      expect((await registered(h.app.broker)).map((r) => r.hostname)).toEqual(["celeriac@b", "celeriac@b"]);
      await Promise.all([b.stop(), b2.stop()]);
      expect(await registered(h.app.broker)).toEqual([]);
      expect(await knownQueues(h.app.broker)).toEqual(expect.arrayContaining(["ga", "gb"]));
    } finally {
      await Promise.all([a.stop(), b.stop(), b2.stop()]);
    }
  });

  it("a worker that stops sending heartbeats (it died) disappears after the record's TTL", async () => {
    const record: WorkerHeartbeat = {
      id: "celeriac@dead:1:abcdef",
      hostname: "celeriac@dead",
      pid: 1,
      queues: ["dead"],
      concurrency: 1,
      pool: "async",
      tasks: [],
      startedAt: Date.now(),
      sentAt: Date.now(),
      intervalMs: 100,
      counts: { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0 },
      total: {},
      active: [],
    };
    await h.app.broker.sendHeartbeat(record, 300);
    expect((await registered(h.app.broker)).map((r) => r.hostname)).toEqual(["celeriac@dead"]);
    await sleep(600);
    expect(await registered(h.app.broker)).toEqual([]);
  });
});

describe("purge", () => {
  it("drops the waiting and delayed tasks of the named queues: they never run; running tasks and other queues go on", async () => {
    const worker = await h.startWorker({ queues: ["purge-a"], concurrency: 1 });
    try {
      const running = await t.block.applyAsync(["purge-running"], { queue: "purge-a" });
      await expect.poll(() => gates.has("purge-running"), { timeout: 5_000, interval: 50 }).toBe(true);
      const doomed = [
        ...(await Promise.all([1, 2, 3].map((i) => t.record.applyAsync([`purge-wait-${i}`], { queue: "purge-a" })))),
        await t.record.applyAsync(["purge-prio"], { queue: "purge-a", priority: 3 }),
        await t.record.applyAsync(["purge-delayed"], { queue: "purge-a", countdown: 1 }),
      ];
      const kept = await Promise.all([1, 2].map((i) => t.record.applyAsync([`purge-other-${i}`], { queue: "purge-b" })));
      expect(await h.app.broker.queueCounts("purge-a")).toMatchObject({ waiting: 3, prioritized: 1, delayed: 1, active: 1 });
      expect(await purgeable(h.app.broker, ["purge-a"])).toBe(5);

      expect(await purge(h.app.broker, ["purge-a"])).toEqual({ total: 5, queues: [{ queue: "purge-a", purged: 5 }] });
      expect(await h.app.broker.queueCounts("purge-a")).toMatchObject({ waiting: 0, prioritized: 0, delayed: 0, active: 1 });
      expect(await h.app.broker.queueCounts("purge-b")).toMatchObject({ waiting: 2 });

      gates.get("purge-running")!();
      expect(await running.get({ timeout: 10_000 })).toBe("purge-running");
      await sleep(1_500); // past the delayed task's countdown
      expect(ran.filter((tag) => tag.startsWith("purge-"))).toEqual([]);
      for (const r of doomed) expect(await r.status()).toBe(States.PENDING);

      const other = await h.startWorker({ queues: ["purge-b"] });
      try {
        await Promise.all(kept.map((r) => r.get({ timeout: 10_000 })));
        expect(ran.filter((tag) => tag.startsWith("purge-")).sort()).toEqual(["purge-other-1", "purge-other-2"]);
      } finally {
        await other.stop();
      }
    } finally {
      await worker.stop();
    }
  });
});

describe("the celeriac command (the package's compiled bin, in a child process, run in an app's folder)", () => {
  // The tests' app (test/app): the bin finds its lib/celery.ts there, as it finds an app's own.
  const root = resolve(import.meta.dirname, "../../test/app");
  const bin = resolve(import.meta.dirname, "../../dist/cli/main.js");
  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, DATABASE_URL: h.databaseUrl, CELERIAC_KEY_PREFIX: h.keyPrefix, REDIS_URL, CELERIAC_LOG_LEVEL: "silent" };
    return new Promise((done) => {
      execFile(process.execPath, [bin, ...args], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      });
    });
  }

  it("inspect registered --json answers for a worker started here; with no worker it exits 69", async () => {
    const worker = await h.startWorker({ queues: ["cli"] });
    try {
      const { code, stdout, stderr } = await cli(["inspect", "registered", "--json"]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual([{ worker: "celeriac@test", hostname: "celeriac@test", pid: process.pid, tasks: ["celeriac.backendCleanup", "i.block", "i.fail", "i.record", "i.retryLater"] }]);
    } finally {
      await worker.stop();
    }
    const none = await cli(["inspect", "registered"]);
    expect(none.code).toBe(69);
    expect(none.stderr).toContain(`no worker is running (no heartbeat under {${h.keyPrefix}})`);
  });

  it("purge refuses without --force and deletes with it", async () => {
    await t.record.applyAsync(["cli-purged"], { queue: "cli-purge", countdown: 60 });
    const refused = await cli(["purge", "-Q", "cli-purge"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("purge would delete 1 waiting and delayed task from cli-purge");
    expect(refused.stderr).toContain("add --force");
    expect(await h.app.broker.queueCounts("cli-purge")).toMatchObject({ delayed: 1 });
    const done = await cli(["purge", "-Q", "cli-purge", "--force"]);
    expect(done).toMatchObject({ code: 0, stderr: "" });
    expect(done.stdout).toBe("Purged 1 task from 1 queue.\n    cli-purge: 1\n");
    expect(await h.app.broker.queueCounts("cli-purge")).toMatchObject({ delayed: 0 });
  });
});
