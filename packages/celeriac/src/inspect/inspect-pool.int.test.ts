/**
 * inspect on a `--pool process` worker: tasks run (and fire their signals) in child processes, yet the
 * worker's heartbeat reports them as running and counts their outcomes.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDatabaseUrl } from "../../test/harness.js";
import { deleteKeys, uniquePrefix } from "../../test/redis.js";
import { discoverTasks } from "../task/discover.js";
import { startProcessPool } from "../worker/process-pool.js";
import { active, registered, stats } from "./inspect.js";

// The tests' app module (test/app/lib/celery.ts, which the children load too) reads its database and key
// prefix from the environment when it is imported: set them first (the children inherit them).
const keyPrefix = uniquePrefix("inspect-pool");
Object.assign(process.env, { DATABASE_URL: runDatabaseUrl(), CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_LOG_LEVEL: "silent" });
const APP_MODULE = resolve(import.meta.dirname, "../../test/app/lib/celery.ts");
const TASKS_DIR = resolve(import.meta.dirname, "../../test/app/pool-tasks");
const { celeriac } = await import("../../test/app/lib/celery.js");
const tasks = await import("../../test/app/pool-tasks/pool.js");

let stop: (() => Promise<unknown>) | undefined;

beforeAll(async () => {
  const registry = await discoverTasks(TASKS_DIR);
  const { backend, config, hostname, log } = celeriac;
  const pool = startProcessPool({ size: 2, appModule: APP_MODULE, tasksDir: TASKS_DIR, registry, backend, config, hostname, log });
  await pool.ready();
  stop = (await celeriac.startWorker({ registry, queues: ["ipool"], concurrency: 2, pool })).stop;
}, 60_000);

afterAll(async () => {
  await stop?.();
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

describe("inspect with --pool process", () => {
  it("registered, active and stats see the tasks the children run", async () => {
    expect((await registered(celeriac.broker))[0].tasks).toEqual(expect.arrayContaining(["pool.fib", "pool.spin", "pool.whoAmI"]));
    expect((await stats(celeriac.broker)).workers[0].pool).toBe("process");

    const results = await Promise.all([1, 2, 3].map(() => tasks.fib.applyAsync([15], { queue: "ipool" })));
    expect(await Promise.all(results.map((r) => r.get({ timeout: 20_000 })))).toEqual([610, 610, 610]);

    // pool.spin blocks its child's event loop until the pool kills it (time limit 0.5 s + 1 s of grace).
    const spinning = await tasks.spin.applyAsync([], { queue: "ipool" });
    await expect.poll(async () => (await active(celeriac.broker))[0].tasks.map((t) => [t.id, t.task]), { timeout: 5_000, interval: 100 }).toEqual([[spinning.id, "pool.spin"]]);
    await expect(spinning.get({ timeout: 20_000 })).rejects.toThrow("TimeLimitExceeded");

    await expect
      .poll(async () => (await stats(celeriac.broker)).workers[0].counts, { timeout: 5_000, interval: 100 })
      .toEqual({ processed: 4, succeeded: 3, failed: 1, retried: 0, revoked: 0 });
    expect((await active(celeriac.broker))[0].tasks).toEqual([]);
  });
});
