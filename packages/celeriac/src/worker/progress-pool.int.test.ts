/**
 * ctx.progress() and the get() guard in `--pool process`: the task runs in a child process, which writes
 * its own rows (STARTED, PROGRESS, the outcome) through its own result writer, in order; the guard sees the
 * child's run. The children load the package's build (npm run build:celeriac) as an app's would.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDatabaseUrl } from "../../test/harness.js";
import { deleteKeys, uniquePrefix } from "../../test/redis.js";
import { States, SyncSubtaskError, type TaskFailedError } from "../index.js";
import { discoverTasks } from "../task/discover.js";
import { startProcessPool } from "./process-pool.js";

// The tests' app module (test/app/lib/celery.ts, which the children load too) reads its database and key
// prefix from the environment when it is imported: set them first (the children inherit them).
const keyPrefix = uniquePrefix("progress-pool");
Object.assign(process.env, { DATABASE_URL: runDatabaseUrl(), CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_LOG_LEVEL: "silent" });
const APP_MODULE = resolve(import.meta.dirname, "../../test/app/lib/celery.ts");
const TASKS_DIR = resolve(import.meta.dirname, "../../test/app/progress-tasks");
const { celeriac } = await import("../../test/app/lib/celery.js");
const tasks = await import("../../test/app/progress-tasks/progress.js");
const QUEUE = "progress-pool";

let stop: (() => Promise<unknown>) | undefined;

beforeAll(async () => {
  const registry = await discoverTasks(TASKS_DIR);
  const { backend, config, hostname, log } = celeriac;
  const pool = startProcessPool({ size: 2, appModule: APP_MODULE, tasksDir: TASKS_DIR, registry, backend, config, hostname, log });
  await pool.ready();
  stop = (await celeriac.startWorker({ registry, queues: [QUEUE], concurrency: 2, pool })).stop;
}, 60_000);

afterAll(async () => {
  await stop?.();
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

describe("progress in --pool process", () => {
  it("a child's task reports progress, seen mid-task, then its outcome replaces it", async () => {
    const r = await tasks.halfway.applyAsync([1_500], { queue: QUEUE });
    await expect.poll(() => r.progress(), { timeout: 15_000, interval: 50 }).toEqual({ current: 1, total: 2, message: expect.stringMatching(/^in child \d+$/) });
    expect(await r.status()).toBe(States.PROGRESS);
    const pid = await r.get({ timeout: 15_000 });
    expect(pid).not.toBe(process.pid);
    expect((await r.progress()) === null && (await r.info())?.meta).toBeNull();
  });

  it("the guard refuses get() inside a child's task; { allowInsideTask: true } waits", async () => {
    const other = await tasks.halfway.applyAsync([0], { queue: QUEUE });
    const refused = await (await tasks.waitsFor.applyAsync([other.id, false], { queue: QUEUE })).get({ timeout: 15_000 }).catch((e: unknown) => e);
    expect((refused as TaskFailedError).remote?.type).toBe(SyncSubtaskError.name);
    const allowed = await tasks.waitsFor.applyAsync([other.id, true], { queue: QUEUE });
    expect(await allowed.get({ timeout: 15_000 })).toBe(await other.get({ timeout: 15_000 }));
  });
});
