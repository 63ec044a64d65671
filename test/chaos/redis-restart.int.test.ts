/**
 * Chaos: Redis stops in the middle of a run and comes back ~2 s later on the same port and data directory
 * (a dedicated redis-server with `appendfsync always`, so every acknowledged write survives). A producer
 * keeps calling `.applyAsync()` throughout and a real worker process keeps consuming. Every call that
 * resolved must reach SUCCESS, and the producer and the worker must reconnect by themselves.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHarness, type Harness } from "@/test/harness";
import { freePort, readRunLog, redisServer, sleep, startChaosWorker, waitFor, type ChaosWorker, type RedisServer } from "./helpers";

const DOWN_MS = 2000;
const SEND_EVERY_MS = 20;

let redis: RedisServer;
let h: Harness | undefined;
const workers: ChaosWorker[] = [];

const defineRecord = (app: Harness["app"]) => app.task({ name: "chaos.record", args: z.tuple([z.number()]), run: (_ctx, n) => n });
let record: ReturnType<typeof defineRecord>;

beforeAll(async () => {
  redis = redisServer(await freePort());
  await redis.start();
  h = createHarness("chaos-redis", { redisUrl: redis.url });
  record = defineRecord(h.app);
}, 30_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill("SIGKILL")));
  // The harness's connections need this Redis to close cleanly; it is up unless a test failed mid-outage.
  if (redis) await redis.start().catch(() => undefined);
  await h?.close();
  await redis?.destroy();
}, 30_000);

type Phase = "before" | "down" | "after";

interface Send {
  n: number;
  phase: Phase;
  sentAt: number;
  state: "pending" | "resolved" | "rejected";
  settledAt?: number;
  id?: string;
  error?: string;
}

describe("Redis restarts in the middle of a run", () => {
  // SIGTERM: Redis's own shutdown. SIGKILL: a crash; `appendfsync always` still keeps every acknowledged write.
  it.each(["SIGTERM", "SIGKILL"] as const)(
    "stopped with %s and restarted: loses no enqueued task; the producer and the worker reconnect by themselves",
    async (signal) => {
      const queue = `restart-${signal.toLowerCase()}-${randomBytes(3).toString("hex")}`;
      const WORKER = `celeriac@chaos-redis-${signal.toLowerCase()}`;
      const worker = await startChaosWorker({
        databaseUrl: h!.databaseUrl,
        keyPrefix: h!.keyPrefix,
        redisUrl: redis.url,
        queues: [queue],
        concurrency: 4,
        taskMs: 5,
        lockMs: 2000,
        hostname: WORKER,
      });
      workers.push(worker);

      const sends: Send[] = [];
      let phase: Phase = "before";
      let producing = true;
      const producer = (async () => {
        for (let n = 0; producing; n++) {
          const send: Send = { n, phase, sentAt: Date.now(), state: "pending" };
          sends.push(send);
          // Not awaited: a call that waits for Redis must not stop the producer from trying the next one.
          record.applyAsync([n], { queue }).then(
            (r) => Object.assign(send, { state: "resolved", settledAt: Date.now(), id: r.id }),
            (e: unknown) => Object.assign(send, { state: "rejected", settledAt: Date.now(), error: String(e) }),
          );
          await sleep(SEND_EVERY_MS);
        }
      })();

      const resolvedBefore = () => sends.filter((s) => s.phase === "before" && s.state === "resolved").length;
      let stoppedAt = 0;
      let restartedAt = 0;
      try {
        await sleep(1500);
        await waitFor(async () => (await h!.db.taskResult.count({ where: { queue, status: "SUCCESS" } })) > 20, "the worker to run tasks before the outage", 15_000);

        phase = "down";
        stoppedAt = Date.now();
        await redis.stop(signal);
        await sleep(DOWN_MS);
        await redis.start();
        restartedAt = Date.now();
        phase = "after";
        await sleep(2000);
      } finally {
        producing = false; // even when a step above failed: nothing of this test may keep sending
        await producer;
      }

      // Calls made while Redis was down: ioredis (maxRetriesPerRequest: null) keeps them in its offline
      // queue; they should settle once Redis is back.
      await waitFor(() => sends.every((s) => s.state !== "pending"), "every .applyAsync() call to settle after the restart", 20_000).catch(() => undefined);
      const pending = sends.filter((s) => s.state === "pending");
      const rejected = sends.filter((s) => s.state === "rejected");
      const resolved = sends.filter((s) => s.state === "resolved");
      const downSends = sends.filter((s) => s.phase === "down");
      const downWait = downSends.filter((s) => s.settledAt).map((s) => s.settledAt! - s.sentAt);

      const ids = resolved.map((s) => s.id!);
      let successes = 0;
      await waitFor(
        async () => (successes = await h!.db.taskResult.count({ where: { id: { in: ids }, status: "SUCCESS" } })) === ids.length,
        `all ${ids.length} resolved sends to reach SUCCESS`,
        45_000,
        250,
      ).catch(() => undefined);
      const rows = await h!.db.taskResult.findMany({ where: { id: { in: ids } }, select: { id: true, status: true, worker: true } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      const lost = resolved.filter((s) => byId.get(s.id!)?.status !== "SUCCESS");
      const runs = await readRunLog(redis.url, h!.keyPrefix);
      const runCounts = new Map<string, number>();
      for (const run of runs) if (ids.includes(run.id)) runCounts.set(run.id, (runCounts.get(run.id) ?? 0) + 1);
      const ranTwice = [...runCounts.values()].filter((n) => n > 1).length;
      const brokerErrors = worker.output().split("\n").filter((l) => /broker connection error|could not|ECONNREFUSED|Connection is closed/.test(l)).length;

      console.log(
        `[chaos redis] Redis down ${restartedAt - stoppedAt} ms (${signal}, restart on the same port and AOF dir); ` +
          `${sends.length} sends: ${resolved.length} resolved, ${rejected.length} rejected, ${pending.length} still pending 20 s after the restart; ` +
          `${downSends.length} sent while down, settled after ${downWait.length ? `${Math.min(...downWait)}–${Math.max(...downWait)}` : "-"} ms; ` +
          `${successes}/${ids.length} resolved sends SUCCESS; ${ranTwice} ran twice; ${resolvedBefore()} resolved before the outage; ` +
          `worker alive: ${worker.alive}, ${brokerErrors} connection-error log lines`,
      );
      if (rejected.length) console.log(`[chaos redis] rejections: ${[...new Set(rejected.map((s) => s.error))].join(" | ")}`);
      if (lost.length) console.log(`[chaos redis] not SUCCESS: ${lost.map((s) => `#${s.n} (${s.phase}) ${s.id} → ${byId.get(s.id!)?.status ?? "no row"}`).join(", ")}`);

      expect(pending.map((s) => `#${s.n} sent ${s.phase}`), ".applyAsync() calls that never settled after Redis came back").toEqual([]);
      expect(lost.map((s) => `#${s.n} (${s.phase}) ${s.id}`), "tasks whose .applyAsync() resolved but which never reached SUCCESS").toEqual([]);
      expect(sends.filter((s) => s.phase === "after" && s.state === "resolved").length, "sends after the restart that resolved").toBeGreaterThan(0);

      // The same worker process, never restarted, serves a task sent now.
      expect(worker.alive).toBe(true);
      const after = await record.applyAsync([-1], { queue });
      expect(await after.get({ timeout: 15_000 })).toBe(-1);
      expect((await after.info())!.worker).toBe(WORKER);
      await worker.kill("SIGTERM");
    },
    100_000,
  );
});
