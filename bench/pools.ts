/**
 * Section 4: pools and rate limiting.
 *   a) `--pool process` vs `--pool async` on a CPU-bound task (recursive fib) and an I/O-bound one (a sleep),
 *      results stored (SQLite WAL), and again with results ignored (diagnostic). Process pool as the CLI builds
 *      it: children load bench/pool-app.ts and discover bench/pool-tasks/; the bench process discovers the same
 *      tasks and runs the worker (`startProcessPool` + `startWorker({ pool })`).
 *   b) What a rate limit costs when it never binds (the same no-op task with and without a taskAnnotations
 *      rateLimit, results ignored, so the limiter's Redis round trip is what differs), and what a binding
 *      limit achieves.
 * Drains are timed as in section 2 (throughput.ts): N tasks enqueued first, the clock started before the
 * worker; a process pool is started, and waited for, before the clock starts (its start-up is reported apart),
 * and serves both of its kind's drains.
 */
import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { discoverTasks, parseRate } from "celeriac";
import { startProcessPool, type ProcessPool } from "celeriac/cli";
import { benchApp, whenBrokerAnswers, type BenchApp } from "./app";
import type { BenchDatabase } from "./db";
import { summarize, table, type Summary } from "./stats";
import { celeriacThroughput, drainClock, enqueueChunked, sleep, type ThroughputResult } from "./throughput";

const APP_MODULE = fileURLToPath(new URL("./pool-app.ts", import.meta.url));
const TASKS_DIR = fileURLToPath(new URL("./pool-tasks", import.meta.url));

type Phase = <T>(label: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
/** What `startWorker({ pool })` runs messages on, and its message and answer types (from the public API). */
type WorkerPool = NonNullable<NonNullable<Parameters<BenchApp["startWorker"]>[0]>["pool"]>;
type TaskMessage = Parameters<WorkerPool["run"]>[0];
type HandlerResult = Awaited<ReturnType<WorkerPool["run"]>>;
type PoolName = "async" | "process";
type Kind = "cpu" | "io";

export interface PoolsOptions {
  db: BenchDatabase;
  keyPrefix: string;
  /** Records a queue name for the final cleanup and returns it. */
  queue: (name: string) => string;
  phase: Phase;
  note: (line: string) => void;
  chunk: number;
  cpu: { n: number; fib: number; concurrency: number };
  io: { n: number; sleepMs: number; concurrency: number };
  rate: { n: number; concurrency: number; free: readonly string[]; binding: string; bindingN: number; rounds: number };
}

export type Results = "stored" | "ignored";
export type PoolRun = ThroughputResult & { kind: Kind; pool: PoolName; results: Results; poolStartMs?: number };

/** The pool app and its tasks, imported once per process: the module reads its database and prefix from env. */
async function loadPoolApp(db: BenchDatabase, keyPrefix: string) {
  Object.assign(process.env, { BENCH_POOL_DATABASE_URL: db.url, BENCH_POOL_KEY_PREFIX: keyPrefix });
  const app = await import("./pool-app");
  const registry = await discoverTasks(TASKS_DIR);
  const tasks = await import("./pool-tasks/pool");
  return { ...app, registry, tasks };
}
type PoolApp = Awaited<ReturnType<typeof loadPoolApp>>;

/** Outcomes of the current drain: successes, and the first failure (which ends the run). */
interface Tally {
  succeeded: number;
  failure?: string;
}

/**
 * A process pool kept across several workers: `worker.stop()` closes the pool it was given, so each worker
 * gets this wrapper, which counts outcomes as they come back from the children and leaves closing to us.
 */
function sharedPool(pool: ProcessPool) {
  const shared = {
    tally: { succeeded: 0 } as Tally,
    run: async (message: TaskMessage): Promise<HandlerResult> => {
      const result = await pool.run(message);
      if (result.status === "SUCCESS") shared.tally.succeeded++;
      else if (result.status === "FAILURE") shared.tally.failure ??= `${result.error.type}: ${result.error.message}`;
      return result;
    },
    terminate: (taskId: string) => pool.terminate(taskId),
    close: async () => undefined,
  };
  return shared;
}

/**
 * One drain of N fib or sleep tasks by one worker, on the async pool or on `shared` (the process pool).
 * Done when N runs have succeeded (the result row, when kept, is written before a run reports back);
 * any failure ends the run at once. With results stored, the rows are checked afterwards.
 */
async function drain(o: {
  app: PoolApp;
  kind: Kind;
  results: Results;
  shared?: ReturnType<typeof sharedPool>;
  queue: string;
  n: number;
  arg: number;
  concurrency: number;
  chunk: number;
  signal: AbortSignal;
}): Promise<ThroughputResult> {
  const { celeriac, db, registry, tasks } = o.app;
  const stored = o.results === "stored";
  const task = o.kind === "cpu" ? (stored ? tasks.fib : tasks.fibNoResult) : stored ? tasks.sleep : tasks.sleepNoResult;
  const tally: Tally = { succeeded: 0 };
  if (o.shared) o.shared.tally = tally;
  const offs = o.shared
    ? []
    : [
        celeriac.signals.on("taskSuccess", () => void tally.succeeded++),
        celeriac.signals.on("taskFailure", ({ error }) => void (tally.failure ??= `${error.type}: ${error.message}`)),
      ];
  let worker: Awaited<ReturnType<typeof celeriac.startWorker>> | undefined;
  try {
    const enqueueMs = await enqueueChunked(o.n, o.chunk, o.signal, () => task.applyAsync([o.arg], { queue: o.queue }));
    const stop = drainClock(o.n, o.concurrency, enqueueMs);
    worker = await celeriac.startWorker({ registry, queues: [o.queue], concurrency: o.concurrency, pool: o.shared });
    while (tally.succeeded < o.n) {
      if (tally.failure) throw new Error(`a task failed: ${tally.failure}`);
      if (o.signal.aborted) throw new Error(`${tally.succeeded} of ${o.n} tasks succeeded so far`);
      await sleep(5);
    }
    const result = stop();
    const rows = await db.taskResult.count({ where: { queue: o.queue, status: "SUCCESS" } });
    if (rows !== (stored ? o.n : 0)) throw new Error(`${rows} SUCCESS rows for ${o.n} tasks with results ${o.results}`);
    return result;
  } finally {
    offs.forEach((off) => off());
    await worker?.stop();
  }
}

/** For one kind of task: the async pool, then a process pool of `concurrency` children; results stored, then ignored. */
async function poolRuns(app: PoolApp, kind: Kind, o: PoolsOptions): Promise<PoolRun[]> {
  const { n, concurrency } = o[kind];
  const arg = kind === "cpu" ? o.cpu.fib : o.io.sleepMs;
  const what = `${n} ${kind === "cpu" ? `fib(${arg})` : `sleep(${arg} ms)`} tasks, c=${concurrency}`;
  const base = { app, kind, n, arg, concurrency, chunk: o.chunk };
  const runs: PoolRun[] = [];
  for (const results of ["stored", "ignored"] as const) {
    const r = await o.phase(`async pool, ${what}, results ${results}`, (signal) => drain({ ...base, results, queue: o.queue(`pool-${kind}-async-${results}`), signal }));
    runs.push({ ...r, kind, pool: "async", results });
  }
  let pool: ProcessPool | undefined;
  try {
    const poolStartMs = await o.phase(`start a process pool of ${concurrency}`, async () => {
      const t0 = performance.now();
      pool = startProcessPool({
        size: concurrency,
        appModule: APP_MODULE,
        tasksDir: TASKS_DIR,
        registry: app.registry,
        backend: app.celeriac.backend,
        config: app.celeriac.config,
        hostname: app.celeriac.hostname,
        log: app.celeriac.log,
      });
      await pool.ready();
      return performance.now() - t0;
    });
    const shared = sharedPool(pool!);
    for (const results of ["stored", "ignored"] as const) {
      const r = await o.phase(`process pool, ${what}, results ${results}`, (signal) =>
        drain({ ...base, results, shared, queue: o.queue(`pool-${kind}-process-${results}`), signal }),
      );
      runs.push({ ...r, kind, pool: "process", results, poolStartMs });
    }
  } finally {
    await (pool as ProcessPool | undefined)?.close();
  }
  return runs;
}

/** Counts the app's rate-limit reservations (calls, deferred, failed) by wrapping its broker's reserveRate. */
function countReservations(app: BenchApp) {
  const counts = { calls: 0, deferred: 0, errors: 0 };
  const reserve = app.broker.reserveRate.bind(app.broker);
  app.broker.reserveRate = async (task, rate) => {
    counts.calls++;
    try {
      const ms = await reserve(task, rate);
      if (ms > 0) counts.deferred++;
      return ms;
    } catch (error) {
      counts.errors++;
      throw error;
    }
  };
  return counts;
}

/** The first rate that Redis accepts (reserving twice on a probe key), and why the others were passed over. */
async function usableRate(app: BenchApp, rates: readonly string[]): Promise<{ rate?: string; refused: { rate: string; error: string }[] }> {
  const refused: { rate: string; error: string }[] = [];
  for (const rate of rates) {
    try {
      for (let i = 0; i < 2; i++) await app.broker.reserveRate("bench.rate-probe", rate);
      return { rate, refused };
    } catch (error) {
      refused.push({ rate, error: (error as Error).message.split("\n")[0] });
    }
  }
  return { refused };
}

/** Sequential awaited reserveRate() calls: the limiter's own round trip, in µs. */
async function reserveLatency(app: BenchApp, rate: string, n: number): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await app.broker.reserveRate("bench.rate-latency", rate);
    samples.push((performance.now() - t0) * 1000);
  }
  return summarize(samples.slice(Math.floor(n / 10)));
}

/** fib(n) called in this process, outside any worker: the task's own cost, in µs (after one warm-up call). */
function timeFib(n: number): Summary {
  const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));
  f(n);
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    f(n);
    samples.push((performance.now() - t0) * 1000);
  }
  return summarize(samples);
}

const median = <T>(runs: T[], by: (r: T) => number): T => [...runs].sort((a, b) => by(a) - by(b))[Math.floor(runs.length / 2)];

export async function poolsSection(o: PoolsOptions) {
  const loadBefore = loadavg()[0];
  // a) process vs async
  const fibCall = timeFib(o.cpu.fib);
  const poolApp = await loadPoolApp(o.db, o.keyPrefix);
  const runs: PoolRun[] = [];
  try {
    for (const kind of ["cpu", "io"] as const) runs.push(...(await poolRuns(poolApp, kind, o)));
  } finally {
    await poolApp.celeriac.close();
    await poolApp.db.$disconnect();
  }
  const rate = (kind: Kind, pool: PoolName, results: Results) => runs.find((r) => r.kind === kind && r.pool === pool && r.results === results)!.perSecond;
  const ratio = (kind: Kind, results: Results) => rate(kind, "process", results) / rate(kind, "async", results);
  const processVsAsync = {
    cpu: { stored: ratio("cpu", "stored"), ignored: ratio("cpu", "ignored") },
    io: { stored: ratio("io", "stored"), ignored: ratio("io", "ignored") },
  };

  // b) rate limiting
  const probeApp = benchApp({ db: o.db.client, databaseUrl: o.db.url, keyPrefix: o.keyPrefix, queue: "rate-probe" }).app;
  let free: string | undefined;
  let refused: { rate: string; error: string }[] = [];
  let reserve: Summary | undefined;
  try {
    await whenBrokerAnswers(probeApp);
    ({ rate: free, refused } = await usableRate(probeApp, o.rate.free));
    for (const r of refused) o.note(`rate limit "${r.rate}" refused by Redis: ${r.error}`);
    if (free) reserve = await reserveLatency(probeApp, free, 2_000);
  } finally {
    await probeApp.close();
  }
  const noop = { db: o.db, keyPrefix: o.keyPrefix, n: o.rate.n, chunk: o.chunk, concurrency: o.rate.concurrency };
  const unlimited = { taskIgnoreResult: true };
  const limited = (rate: string) => ({ taskIgnoreResult: true, taskAnnotations: { "bench.noop": { rateLimit: rate } } });
  await o.phase(`no-op warm-up, ${o.rate.n} tasks, results ignored`, (signal) => celeriacThroughput({ ...noop, queue: o.queue("rate-warmup"), signal, settings: unlimited }));
  const without: ThroughputResult[] = [];
  const withLimit: (ThroughputResult & { reservations: ReturnType<typeof countReservations> })[] = [];
  for (let k = 1; k <= (free ? o.rate.rounds : 0); k++) {
    without.push(await o.phase(`no-op, no rate limit, ${o.rate.n} tasks, run ${k}/${o.rate.rounds}`, (signal) =>
      celeriacThroughput({ ...noop, queue: o.queue(`rate-none-${k}`), signal, settings: unlimited }),
    ));
    let reservations!: ReturnType<typeof countReservations>;
    const r = await o.phase(`no-op, rateLimit "${free}", ${o.rate.n} tasks, run ${k}/${o.rate.rounds}`, (signal) =>
      celeriacThroughput({ ...noop, queue: o.queue(`rate-free-${k}`), signal, settings: limited(free!), instrument: (app) => void (reservations = countReservations(app)) }),
    );
    withLimit.push({ ...r, reservations });
  }
  if (free) o.note(`no limit: ${without.map((r) => Math.round(r.perSecond)).join(", ")} tasks/s; "${free}": ${withLimit.map((r) => Math.round(r.perSecond)).join(", ")} tasks/s; medians kept`);
  const starts: number[] = [];
  let bindingReservations!: ReturnType<typeof countReservations>;
  const binding = await o.phase(`no-op, rateLimit "${o.rate.binding}", ${o.rate.bindingN} tasks`, (signal) =>
    celeriacThroughput({
      ...noop,
      n: o.rate.bindingN,
      queue: o.queue("rate-binding"),
      signal,
      settings: limited(o.rate.binding),
      instrument: (app) => {
        bindingReservations = countReservations(app);
        app.signals.on("taskPrerun", () => void starts.push(performance.now()));
      },
    }),
  );
  const limitPerSecond = parseRate(o.rate.binding)!.perSecond;
  const achievedPerSecond = (starts.length - 1) / ((starts[starts.length - 1] - starts[0]) / 1000);

  const m0 = without.length ? median(without, (r) => r.perSecond) : undefined;
  const m1 = withLimit.length ? median(withLimit, (r) => r.perSecond) : undefined;
  const overhead =
    m0 && m1
      ? {
          wallUsPerTask: 1e6 / m1.perSecond - 1e6 / m0.perSecond,
          cpuUsPerTask: median(withLimit, (r) => r.cpuUsPerTask).cpuUsPerTask - median(without, (r) => r.cpuUsPerTask).cpuUsPerTask,
        }
      : undefined;
  return {
    /** 1-minute load averages around the section: other processes on the same cores skew every figure. */
    load: { before: loadBefore, after: loadavg()[0], cores: availableParallelism() },
    fibCall,
    runs,
    processVsAsync,
    rate: {
      n: o.rate.n,
      concurrency: o.rate.concurrency,
      rounds: o.rate.rounds,
      refused,
      free,
      reserveRateUs: reserve,
      without: m0,
      with: m1 && { ...m1, reservations: m1.reservations },
      overhead,
      binding: { ...binding, limit: o.rate.binding, limitPerSecond, achievedPerSecond, reservations: bindingReservations },
    },
  };
}

export type PoolsResult = Awaited<ReturnType<typeof poolsSection>>;

export function printPools(r: PoolsResult, o: Pick<PoolsOptions, "cpu" | "io" | "rate">): void {
  const fibMs = (r.fibCall.p50 / 1000).toFixed(1);
  console.log(`4. Pools and rate limiting — 1-min load average ${r.load.before.toFixed(1)} before, ${r.load.after.toFixed(1)} after, on ${r.load.cores} cores (other processes skew these)\n`);
  console.log(`4a. --pool process vs --pool async: N tasks enqueued, then drained by one worker; results stored (SQLite WAL)`);
  console.log(`    CPU-bound: ${o.cpu.n} × fib(${o.cpu.fib}) (≈ ${fibMs} ms each in one process), c=${o.cpu.concurrency}; I/O-bound: ${o.io.n} × sleep(${o.io.sleepMs} ms), c=${o.io.concurrency}`);
  const label = (k: Kind) => (k === "cpu" ? `CPU fib(${o.cpu.fib})` : `I/O sleep(${o.io.sleepMs} ms)`);
  console.log(
    table([
      ["task", "results", "pool", "conc.", "n", "pool start s", "drain s", "tasks/s", "process÷async", "CPU µs/task (this process)"],
      ...r.runs.map((x) => [
        label(x.kind), x.results === "stored" ? "stored" : "ignored (diag.)", x.pool, x.concurrency, x.n,
        x.poolStartMs === undefined ? "-" : (x.poolStartMs / 1000).toFixed(1), x.drainMs / 1000, x.perSecond,
        x.pool === "process" ? r.processVsAsync[x.kind][x.results].toFixed(2) : "", x.cpuUsPerTask,
      ]),
    ]),
  );
  console.log(`(process pool: one child per concurrency slot, each running one task at a time; children load bench/pool-app.ts and`);
  console.log(` bench/pool-tasks/; one pool per task kind, started and waited for before the first drain ("pool start", not in drain s).`);
  console.log(` "ignored (diag.)": the same task with ignoreResult, no result rows: the pool without the result store's two writes per task.`);
  console.log(` CPU µs/task counts the bench process only: for the process pool that is the parent's share, not the children's. Logs off.`);
  console.log(` With 2 cores the CPU-bound process pool can at best use both cores while async uses one: ≤ 2× is the ceiling here,`);
  console.log(` less what the parent, Redis and SQLite take of the same 2 cores. Ideal I/O rate: ${o.io.concurrency} / ${o.io.sleepMs} ms = ${Math.round((o.io.concurrency * 1000) / o.io.sleepMs)} tasks/s.)\n`);

  const x = r.rate;
  console.log(`4b. Rate limiting: the no-op task with results ignored, ${x.n} tasks, c=${x.concurrency}, median of ${x.rounds} alternating runs after a warm-up`);
  for (const refused of x.refused) console.log(`    NOTE: rateLimit "${refused.rate}" is refused by Redis: ${refused.error}`);
  if (x.free && x.refused.length) console.log(`    so the never-binding limit measured is "${x.free}" (its interval rounds to 0 ms in the GCRA script; 0 tasks deferred below).`);
  const rows: (string | number)[][] = [["rate limit", "tasks/s", "drain s", "CPU µs/task", "reservations", "deferred"]];
  if (x.without) rows.push(["none", x.without.perSecond, x.without.drainMs / 1000, x.without.cpuUsPerTask, "-", "-"]);
  if (x.with) rows.push([`"${x.free}" (never binds)`, x.with.perSecond, x.with.drainMs / 1000, x.with.cpuUsPerTask, x.with.reservations.calls, x.with.reservations.deferred]);
  const b = x.binding;
  rows.push([`"${b.limit}" (binds), ${b.n} tasks`, b.perSecond, b.drainMs / 1000, b.cpuUsPerTask, b.reservations.calls, b.reservations.deferred]);
  console.log(table(rows));
  if (x.overhead) {
    console.log(`limiter overhead: ${x.overhead.wallUsPerTask.toFixed(0)} µs of drain time per task at c=${x.concurrency} (1/rate with − 1/rate without), ${x.overhead.cpuUsPerTask.toFixed(0)} µs CPU per task in the worker process`);
  }
  if (x.reserveRateUs) console.log(`reserveRate() alone (the GCRA script, sequential awaited calls): p50 ${x.reserveRateUs.p50.toFixed(0)} µs, p99 ${x.reserveRateUs.p99.toFixed(0)} µs`);
  console.log(`binding limit "${b.limit}": achieved ${b.achievedPerSecond.toFixed(1)} task starts/s between the first and last start (${((b.achievedPerSecond / b.limitPerSecond) * 100).toFixed(1)}% of the limit); ${b.perSecond.toFixed(1)} tasks/s over the whole drain`);
  console.log(`(a deferred task goes back to BullMQ's delayed set with its slot reserved, and runs again when the slot comes: "reservations" counts`);
  console.log(` reserveRate() calls, one per task unless a reservation fails; "deferred" those that were told to wait.)\n`);
}
