/**
 * Tasks of the `celeriac worker` processes canvas-workers.int.test.ts starts. Each logs every run it makes
 * to Redis before its work, as the Redis list `{prefix}:canvas:runs` (`<taskId>|<ms since epoch>|<worker>`),
 * so the test counts runs per task id outside the workers: a member run twice, a callback run twice.
 */
import { createRedisConnection, type RedisConnection } from "celeriac";
import { z } from "zod";
import { task } from "../lib/celery.js";

// Opened at the first run: every worker started in test/app imports this module, most never run these.
let runLog: RedisConnection | undefined;
async function logRun(id: string, worker: string): Promise<void> {
  runLog ??= createRedisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  await runLog.rpush(`{${process.env.CELERIAC_KEY_PREFIX ?? "celeriac"}}:canvas:runs`, `${id}|${Date.now()}|${worker}`);
}

/** A chord's or group's member: returns `n` after `ms`. */
export const member = task({
  name: "canvas.member",
  args: z.tuple([z.number().int(), z.number().int().min(0).max(10_000)]),
  async run(ctx, n, ms) {
    await logRun(ctx.id, ctx.hostname);
    await new Promise((done) => setTimeout(done, ms));
    return n;
  },
});

/** A chain's step: the previous step's result plus one. */
export const increment = task({
  name: "canvas.increment",
  args: z.tuple([z.number().int()]),
  async run(ctx, n) {
    await logRun(ctx.id, ctx.hostname);
    return n + 1;
  },
});

/** A chord's callback: the members' results as it got them. */
export const collect = task({
  name: "canvas.collect",
  args: z.tuple([z.array(z.number().int())]),
  async run(ctx, results) {
    await logRun(ctx.id, ctx.hostname);
    return results;
  },
});
