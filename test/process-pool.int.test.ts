/** `--pool process`: tasks in child processes, hard time limits by kill, recycling, terminate, lost children. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "./app-env";
import { deleteKeys } from "./redis";

const TASKS_DIR = "test/fixtures/pool-tasks";
const { keyPrefix } = pointAppAtTestRun("pool");
const { celeriac } = await import("@/lib/celery");
const { discoverTasks } = await import("celeriac/task/discover");
const { startProcessPool } = await import("celeriac/worker/process-pool");
const tasks = await import("./fixtures/pool-tasks/pool");

type Started = Awaited<ReturnType<typeof celeriac.startWorker>>;
const stops: (() => Promise<unknown>)[] = [];

async function poolWorker(queue: string, size: number, maxTasksPerChild?: number): Promise<Started> {
  const registry = await discoverTasks(TASKS_DIR);
  const pool = startProcessPool({
    size,
    appModule: "lib/celery.ts",
    tasksDir: TASKS_DIR,
    maxTasksPerChild,
    registry,
    backend: celeriac.backend,
    config: celeriac.config,
    hostname: celeriac.hostname,
    log: celeriac.log,
  });
  await pool.ready();
  const worker = await celeriac.startWorker({ registry, queues: [queue], concurrency: size, pool });
  stops.push(worker.stop);
  return worker;
}

beforeAll(async () => {
  await poolWorker("pool", 2);
}, 60_000);
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

const run = <T>(t: { applyAsync(args: never, o: { queue: string }): Promise<{ get(o: { timeout: number }): Promise<T> }> }, queue = "pool") =>
  t.applyAsync([] as never, { queue });

describe("--pool process", () => {
  it("runs tasks in child processes, not in the worker's", async () => {
    const pids = await Promise.all([1, 2, 3, 4].map(async () => (await run(tasks.whoAmI)).get({ timeout: 20_000 })));
    expect(pids.every((pid) => pid !== process.pid)).toBe(true);
    expect(new Set(pids).size).toBeGreaterThanOrEqual(1);
  });

  it("hard time limit: kills a child whose task blocks its event loop; FAILURE TimeLimitExceeded; the pool goes on", async () => {
    const before = await (await run(tasks.whoAmI)).get({ timeout: 20_000 });
    const r = await run(tasks.spin);
    await expect(r.get({ timeout: 20_000 })).rejects.toThrow("TimeLimitExceeded: time limit (0.5 s) exceeded");
    const results = await Promise.all([1, 2, 3].map(async () => (await tasks.fib.applyAsync([20], { queue: "pool" })).get({ timeout: 20_000 })));
    expect(results).toEqual([6765, 6765, 6765]);
    expect(before).toBeGreaterThan(0);
  });

  it("a child that dies mid-task: FAILURE WorkerLostError, and a new child takes its place", async () => {
    const r = await run(tasks.crash);
    await expect(r.get({ timeout: 20_000 })).rejects.toThrow(/WorkerLostError: the child process running the task exited \(code 3\)/);
    expect(await (await tasks.fib.applyAsync([10], { queue: "pool" })).get({ timeout: 20_000 })).toBe(55);
  });

  it("revoke with terminate kills the child running the task: REVOKED", async () => {
    const r = await tasks.spinForever.applyAsync([], { queue: "pool" });
    await expect.poll(() => r.status(), { timeout: 10_000, interval: 50 }).toBe("STARTED");
    await r.revoke({ terminate: true });
    await expect.poll(() => r.status(), { timeout: 10_000, interval: 50 }).toBe("REVOKED");
    expect(await (await tasks.fib.applyAsync([5], { queue: "pool" })).get({ timeout: 20_000 })).toBe(5);
  });

  it("--max-tasks-per-child replaces a child after that many tasks", async () => {
    await poolWorker("recycle", 1, 2);
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await (await run(tasks.whoAmI, "recycle")).get({ timeout: 20_000 }));
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[2]).not.toBe(pids[1]);
    expect(new Set(pids).size).toBe(3);
  }, 60_000);
});
