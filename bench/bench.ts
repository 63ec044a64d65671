/**
 * `npm run bench`: what celeriac costs over raw BullMQ on this machine.
 *   1. `.delay()` vs `queue.add`, sequential awaited calls (target: delay ≤ 1.15× raw; reported, never fatal).
 *   2. End-to-end throughput of N no-op tasks with results stored (SQLite, SQLite WAL, PostgreSQL when
 *      reachable) vs raw BullMQ with no result storage.
 *   3. A route handler that creates a row and dispatches (plain / onCommit / durable) under local HTTP load
 *      (autocannon; the server in a child process), on SQLite (WAL) and PostgreSQL when reachable.
 *   4. Pools and rate limiting (pools.ts): `--pool process` vs `--pool async` on CPU-bound and I/O-bound tasks
 *      (results in SQLite WAL), and what a rate limit costs when it never binds / achieves when it does.
 *   5. The sign-up route (app/api/signup) while SMTP is slow (signup.ts): its latency at 1 and 4 connections with the
 *      dev inbox delaying each mail by 2 s (target: p99 < 100 ms), hashPassword timed alone, and when the mails arrive.
 *   6. Beat lateness (beat.ts): periodic tasks every 1 s sent by one beat process and by two (one leads), on SQLite (WAL)
 *      and PostgreSQL when reachable: sentAt − slotAt and worker start − slotAt (p50/p99/max), sends vs expected, no slot
 *      twice, who led; the leader SIGKILLed (time to the other's first send, slots collapsed); 50 entries (per-turn cost).
 *   7. The result path vs the seed stack (result-path.ts): the production worker (compiled, `node …/worker.js`, defaults)
 *      in its own process: 10,000 no-op tasks first .delay() → last row; enqueue → result via get() and enqueue → task
 *      start one at a time (p50/p99); the worker's RSS; the ratio to raw BullMQ's drain in the same run; targets beside.
 *   8. The dashboard's task queries (task-queries.ts): a TaskResult table of 1,000,000 rows on SQLite (WAL) and PostgreSQL when
 *      reachable; the Tasks list's first page, every filter, a text search, a deep page, the facets, counts, the overview's
 *      aggregates, timed through app.taskQueries (median and p95); targets beside (150 ms list, 500 ms overview).
 *   9. Workflows (workflows.ts): a 10-step chain and a 1,000-member chord on the production worker, beside the same
 *      work as single tasks the caller sequences itself.
 *  10. Scale (scale.ts): N no-op tasks drained by 1, 2 and 4 production worker processes, on a redis-server of its own (one
 *      queue, and 4) and on a local 3-master Redis Cluster (4 queues), results in SQLite (WAL) and PostgreSQL when reachable,
 *      beside raw BullMQ in as many processes; each component's CPU (workers, redis-server, PostgreSQL, the rest of the machine).
 * Everything runs under the Redis key prefix `bench-<pid>` (keys `{bench-<pid>}:…` and, per queue, `{bench-<pid>:<queue>}:…`),
 * removed at the end with the temp databases; section 10's Redis servers are its own, stopped at its end.
 * Each phase is bounded (BENCH_PHASE_LIMIT_S, default 120 s). Knobs: BENCH_DELAY_N, BENCH_E2E_N, BENCH_CONCURRENCY;
 * BENCH_SECTIONS (default "1,2,3,4,5,6,7,8,9,10": e.g. BENCH_SECTIONS=3 runs only section 3); section 3: BENCH_HTTP_S (measured
 * seconds per mode, default 8, over 2 rounds), BENCH_HTTP_WARMUP_S (2), BENCH_HTTP_CONNECTIONS (10); section 4:
 * BENCH_POOL_CPU_N (200), BENCH_POOL_FIB (30), BENCH_POOL_IO_N (2000), BENCH_POOL_IO_C (20), BENCH_RATE_N (3000); section 5:
 * BENCH_SIGNUP_S (seconds per connection count, 8), BENCH_SIGNUP_CONNECTIONS ("1,4"), BENCH_SMTP_DELAY_MS (2000); section 6:
 * BENCH_BEAT_S (seconds per lateness run, 30), BENCH_BEAT_ENTRIES (periodic tasks in those runs, 1), BENCH_BEAT_TAKEOVER_S
 * (the takeover run, 20; the leader is killed BENCH_BEAT_KILL_AFTER_S = 5 s in), BENCH_BEAT_MANY (entries of the per-turn
 * run, 50; 0 skips it), BENCH_BEAT_MANY_S (10); section 7: BENCH_RESULTS_N (10000), BENCH_LATENCY_N (tasks one at a time, 500);
 * section 8: BENCH_TASKS_N (rows, 1000000), BENCH_TASKS_RUNS (timed calls per query, 20); section 9: BENCH_WORKFLOW_RUNS
 * (timed runs of each figure, 5), BENCH_CHAIN_STEPS (10), BENCH_CHORD_MEMBERS (1000); section 10: BENCH_SCALE_N (tasks per drain,
 * 20000), BENCH_SCALE_WORKERS (worker process counts, "1,2,4"), BENCH_SCALE_QUEUES (queues of the several-queue and Cluster
 * runs, 4), BENCH_SCALE_INFLIGHT (tasks in flight per worker process, 32: -c 32 on one queue, -c 8 on each of 4),
 * BENCH_SCALE_ROUNDS (2, the worker counts' order reversed every other round), BENCH_SCALE_WARMUP (tasks per worker
 * process before the clock, 500), BENCH_SCALE_QUIET_WAIT_S (the longest wait for a quiet second before each run, 30; 0 never
 * waits), BENCH_SCALE_BROKERS ("redis,redis-queues,cluster").
 * Prints tables, then one JSON line with every figure.
 */
import { availableParallelism, cpus, totalmem } from "node:os";
import { createRequire } from "node:module";
import { createRedisConnection } from "celeriac";
import { deleteKeys, keysUnder } from "@/test/redis";
import { benchApp, REDIS_URL } from "./app";
import { beatSection, printBeat, type BeatOptions } from "./beat";
import { createBenchDatabase, journalMode, postgresVersion, type BenchDatabase } from "./db";
import { celeriacJobOptions, delayVsAdd } from "./delay-vs-add";
import { dispatchLatency, printDispatchLatency, type LoadOptions, type ModeResult } from "./dispatch-latency";
import { poolsSection, printPools, type PoolsOptions } from "./pools";
import { printSignup, signupSection, type SignupOptions } from "./signup";
import { printResultPath, resultPathSection } from "./result-path";
import { printTaskQueries, taskQueriesSection } from "./task-queries";
import { printWorkflows, workflowSection } from "./workflows";
import { printScale, scaleSection, type BrokerKind } from "./scale";
import { round, table } from "./stats";
import { celeriacThroughput, rawThroughput, type ThroughputResult } from "./throughput";

const LIMIT_S = Number(process.env.BENCH_PHASE_LIMIT_S ?? 120);
const DELAY_N = Number(process.env.BENCH_DELAY_N ?? 3_000);
const WARMUP = 1_000;
/** Blocks of DELAY_N / ROUNDS calls, delay and raw alternating (ABBA); small blocks cancel drift best. */
const ROUNDS = 30;
/** Raw BullMQ drains take about a second each, so each is run RAW_RUNS times and the median kept. */
const RAW_RUNS = 3;
const E2E_N = Number(process.env.BENCH_E2E_N ?? 10_000);
const CHUNK = 500;
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "8,50").split(",").map(Number);
const TARGET = 1.15;
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? "1,2,3,4,5,6,7,8,9,10").split(",").map((s) => s.trim()));
const WORKFLOWS = {
  runs: Number(process.env.BENCH_WORKFLOW_RUNS ?? 5),
  chainSteps: Number(process.env.BENCH_CHAIN_STEPS ?? 10),
  chordMembers: Number(process.env.BENCH_CHORD_MEMBERS ?? 1_000),
};
const SCALE = {
  n: Number(process.env.BENCH_SCALE_N ?? 20_000),
  workers: (process.env.BENCH_SCALE_WORKERS ?? "1,2,4").split(",").map(Number),
  queues: Number(process.env.BENCH_SCALE_QUEUES ?? 4),
  inflight: Number(process.env.BENCH_SCALE_INFLIGHT ?? 32),
  rounds: Number(process.env.BENCH_SCALE_ROUNDS ?? 2),
  warmup: Number(process.env.BENCH_SCALE_WARMUP ?? 500),
  quietWaitS: Number(process.env.BENCH_SCALE_QUIET_WAIT_S ?? 30),
  brokers: (process.env.BENCH_SCALE_BROKERS ?? "redis,redis-queues,cluster").split(",").map((s) => s.trim()) as BrokerKind[],
};
const RESULTS_N = Number(process.env.BENCH_RESULTS_N ?? 10_000);
const LATENCY_N = Number(process.env.BENCH_LATENCY_N ?? 500);
const TASKS = { n: Number(process.env.BENCH_TASKS_N ?? 1_000_000), runs: Number(process.env.BENCH_TASKS_RUNS ?? 20) };
const HTTP: LoadOptions = {
  connections: Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10),
  seconds: Number(process.env.BENCH_HTTP_S ?? 8),
  warmupS: Number(process.env.BENCH_HTTP_WARMUP_S ?? 2),
  rounds: 2,
};
const POOLS: Pick<PoolsOptions, "cpu" | "io" | "rate"> = {
  cpu: { n: Number(process.env.BENCH_POOL_CPU_N ?? 200), fib: Number(process.env.BENCH_POOL_FIB ?? 30), concurrency: availableParallelism() },
  io: { n: Number(process.env.BENCH_POOL_IO_N ?? 2_000), sleepMs: 20, concurrency: Number(process.env.BENCH_POOL_IO_C ?? 20) },
  // "100000/s" first: the limit that should never bind; the next is used if Redis refuses it (see pools.ts).
  rate: { n: Number(process.env.BENCH_RATE_N ?? 3_000), concurrency: 8, free: ["100000/s", "10000000/s"], binding: "200/s", bindingN: 400, rounds: 3 },
};
const SIGNUP: SignupOptions = {
  connections: (process.env.BENCH_SIGNUP_CONNECTIONS ?? "1,4").split(",").map(Number),
  seconds: Number(process.env.BENCH_SIGNUP_S ?? 8),
  warmupS: 2,
  smtpDelayMs: Number(process.env.BENCH_SMTP_DELAY_MS ?? 2_000),
  workerConcurrency: 32,
  mailSample: 50,
  mailWaitS: 20,
  breakdownN: 20,
  breakdownParallel: 4,
};
const BEAT: BeatOptions = {
  seconds: Number(process.env.BENCH_BEAT_S ?? 30),
  entries: Number(process.env.BENCH_BEAT_ENTRIES ?? 1),
  takeoverS: Number(process.env.BENCH_BEAT_TAKEOVER_S ?? 20),
  killAfterS: Number(process.env.BENCH_BEAT_KILL_AFTER_S ?? 5),
  manyEntries: Number(process.env.BENCH_BEAT_MANY ?? 50),
  manySeconds: Number(process.env.BENCH_BEAT_MANY_S ?? 10),
};
const keyPrefix = `bench-${process.pid}`;

const queuesUsed = new Set<string>();
const databases: BenchDatabase[] = [];
const note = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const version = (pkg: string) => (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version;

/** Runs one phase with an abort signal that fires after LIMIT_S; a hard backstop 15 s later. */
async function phase<T>(label: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  note(`${label} …`);
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const backstop = new Promise<never>((_, reject) => {
    timers.push(setTimeout(() => abort.abort(), LIMIT_S * 1000));
    timers.push(setTimeout(() => reject(new Error("did not stop when aborted")), LIMIT_S * 1000 + 15_000));
  });
  try {
    return await Promise.race([fn(abort.signal), backstop]);
  } catch (error) {
    const why = (error as Error).message;
    throw new Error(abort.signal.aborted ? `phase '${label}' exceeded ${LIMIT_S} s and was aborted (${why})` : `phase '${label}' failed: ${why}`);
  } finally {
    timers.forEach(clearTimeout);
  }
}

async function machineFacts() {
  const redis = createRedisConnection(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  const info = await redis.info("server").finally(() => redis.disconnect());
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memGiB: round(totalmem() / 2 ** 30),
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? "?",
    postgres: await postgresVersion(),
    bullmq: version("bullmq"),
    ioredis: version("ioredis"),
    prisma: version("@prisma/client"),
  };
}

/**
 * Deletes every key under the run's prefix in both key layouts: celeriac's queues (and the raw baselines, which
 * publish as it does) under `{prefix:queue}`, its app-wide keys under `{prefix}`; then drops the temp databases.
 */
async function cleanup(): Promise<void> {
  try {
    const found = (await keysUnder(keyPrefix)).length;
    await deleteKeys(keyPrefix);
    const left = (await keysUnder(keyPrefix)).length;
    note(`removed ${found} keys of ${queuesUsed.size} queues under {${keyPrefix}} and {${keyPrefix}:<queue>}${left ? `; ${left} still there` : ""}`);
  } catch (error) {
    note(`Redis clean-up failed: ${(error as Error).message}`);
  }
  for (const db of databases.splice(0)) await db.drop().catch((e: Error) => note(`drop ${db.url}: ${e.message}`));
}

function queue(name: string): string {
  queuesUsed.add(name);
  return name;
}

type Run = ThroughputResult & { system: string; results: string; journal: string };

async function delayPhase(sqlite: BenchDatabase) {
  const { app, noop } = benchApp({ db: sqlite.client, databaseUrl: sqlite.url, keyPrefix, queue: queue("delay") });
  queue("raw");
  queue("raw-publish");
  queue("raw-probe");
  const d = await phase(".delay() vs queue.add", (signal) =>
    delayVsAdd({ app, noop, redisUrl: REDIS_URL, rawQueue: "raw", n: DELAY_N, warmup: WARMUP, rounds: ROUNDS, signal }).finally(() => app.close()),
  );
  const verdict = d.ratioP50 <= TARGET && d.ratioMean <= TARGET ? "PASS" : "MISS";
  console.log(`1. .delay() vs raw BullMQ queue.add — sequential awaited calls, ${DELAY_N} each after ${WARMUP} warm-up, ${ROUNDS} alternating rounds`);
  const row = (name: string, s: typeof d.raw) => [name, s.n, s.p50, s.p99, s.mean, s.perSecond];
  console.log(
    table([
      ["call", "n", "p50 µs", "p99 µs", "mean µs", "calls/s"],
      row("raw queue.add (same job options)", d.raw),
      row("celeriac .delay()", d.delay),
      row("  of which its checks (no I/O)", d.prepareOnly),
      row("  of which broker.publish()", d.publishOnly),
    ]),
  );
  console.log(`delay/raw: p50 ${d.ratioP50.toFixed(3)}×, mean ${d.ratioMean.toFixed(3)}× — target ≤ ${TARGET}× on both: ${verdict}\n`);
  return { n: DELAY_N, warmup: WARMUP, target: TARGET, verdict, ...d };
}

/** Raw BullMQ at each concurrency (with celeriac's job options, read back on `sqlite`): a warm-up, then the median of RAW_RUNS runs. */
async function rawRuns(sqlite: BenchDatabase): Promise<Run[]> {
  const jobOptions = await phase("read back celeriac's BullMQ job options", () => celeriacJobOptions(sqlite, keyPrefix, queue("e2e-raw-probe")));
  await phase("raw BullMQ warm-up, 2000 jobs", (signal) =>
    rawThroughput({ jobOptions, keyPrefix, queue: queue("e2e-raw-warmup"), n: 2_000, chunk: CHUNK, concurrency: 8, signal }),
  );
  const runs: Run[] = [];
  for (const c of CONCURRENCY) {
    const tries: ThroughputResult[] = [];
    for (let k = 1; k <= RAW_RUNS; k++) {
      tries.push(await phase(`raw BullMQ, ${E2E_N} jobs, c=${c}, run ${k}/${RAW_RUNS}`, (signal) =>
        rawThroughput({ jobOptions, keyPrefix, queue: queue(`e2e-raw-c${c}-${k}`), n: E2E_N, chunk: CHUNK, concurrency: c, signal }),
      ));
    }
    note(`raw c=${c}: ${tries.map((t) => Math.round(t.perSecond)).join(", ")} jobs/s; median kept`);
    const median = tries.sort((a, b) => a.perSecond - b.perSecond)[Math.floor(RAW_RUNS / 2)];
    runs.push({ ...median, system: "raw BullMQ", results: "none", journal: "-" });
  }
  return runs;
}

/** celeriac without a result store (diagnostic), then on each database at each concurrency. */
async function celeriacRuns(sqlite: BenchDatabase, withPostgres: boolean): Promise<Run[]> {
  const runs: Run[] = [];
  for (const c of CONCURRENCY) {
    const r = await phase(`celeriac, results ignored, ${E2E_N} tasks, c=${c}`, (signal) =>
      celeriacThroughput({ db: sqlite, keyPrefix, queue: queue(`e2e-noresults-c${c}`), n: E2E_N, chunk: CHUNK, concurrency: c, signal, withoutStore: true }),
    );
    runs.push({ ...r, system: "celeriac", results: "none (diag.)", journal: "-" });
  }
  const kinds: BenchDatabase["kind"][] = withPostgres ? ["sqlite", "sqlite-wal", "postgres"] : ["sqlite", "sqlite-wal"];
  for (const kind of kinds) {
    const db = kind === "sqlite" ? sqlite : await phase(`create ${kind} database`, () => createBenchDatabase(kind));
    if (db !== sqlite) databases.push(db);
    const journal = await journalMode(db);
    for (const c of CONCURRENCY) {
      const r = await phase(`celeriac on ${kind}, ${E2E_N} tasks, c=${c}`, (signal) =>
        celeriacThroughput({ db, keyPrefix, queue: queue(`e2e-${kind}-c${c}`), n: E2E_N, chunk: CHUNK, concurrency: c, signal }),
      );
      runs.push({ ...r, system: "celeriac", results: kind === "postgres" ? "PostgreSQL" : "SQLite", journal });
    }
    if (kind === "sqlite") continue;
    // Celery's task_track_started=False: one result write per task instead of two.
    for (const c of CONCURRENCY) {
      const r = await phase(`celeriac on ${kind}, taskTrackStarted false, ${E2E_N} tasks, c=${c}`, (signal) =>
        celeriacThroughput({ db, keyPrefix, queue: queue(`e2e-${kind}-nostart-c${c}`), n: E2E_N, chunk: CHUNK, concurrency: c, signal, settings: { taskTrackStarted: false } }),
      );
      runs.push({ ...r, system: "celeriac", results: `${kind === "postgres" ? "PostgreSQL" : "SQLite"}, no STARTED`, journal });
    }
  }
  return runs;
}

function printThroughput(runs: Run[], vsRaw: (r: Run) => number): void {
  console.log(`2. End-to-end: ${E2E_N} no-op tasks enqueued (Promise.all, chunks of ${CHUNK}), then drained by one worker`);
  console.log(
    table([
      ["system", "results", "journal", "conc.", "enqueue/s", "drain s", "tasks/s", "÷ raw", "CPU µs/task"],
      ...runs.map((r) => [
        r.system, r.results, r.journal, r.concurrency, (r.n / r.enqueueMs) * 1000, r.drainMs / 1000, r.perSecond, vsRaw(r).toFixed(2), r.cpuUsPerTask,
      ]),
    ]),
  );
  console.log("(celeriac: done when all TaskResult rows are SUCCESS; its worker logs at info, to /dev/null.");
  console.log(' "none (diag.)": taskIgnoreResult, no row written, to show the framework\'s cost without the database.');
  console.log(` raw: no-op processor, no result storage, median of ${RAW_RUNS} runs after a warm-up. drain = worker start → last task done.`);
  console.log(" CPU µs/task: this process's user+system CPU while draining (includes SQLite, excludes the Redis and PostgreSQL servers).)\n");
}

/** Section 3 on SQLite (WAL, as lib/db.ts opens it) and PostgreSQL: one fresh database and one server each. */
async function dispatchSection(withPostgres: boolean) {
  const results: ModeResult[] = [];
  const kinds: BenchDatabase["kind"][] = withPostgres ? ["sqlite-wal", "postgres"] : ["sqlite-wal"];
  const labels: Record<string, string> = {};
  for (const kind of kinds) {
    const db = await phase(`create ${kind} database`, () => createBenchDatabase(kind));
    databases.push(db);
    labels[kind] = kind === "postgres" ? "PostgreSQL" : `SQLite (${await journalMode(db)})`;
    results.push(...(await phase(`HTTP dispatch on ${kind}: 3 modes`, (signal) => dispatchLatency({ ...HTTP, db, keyPrefix, queue, signal, note }))));
  }
  printDispatchLatency(results, { ...HTTP, labels });
  const ratios = (r: ModeResult) => {
    const plain = results.find((x) => x.database === r.database && x.mode === "plain")!;
    return { perSecondVsPlain: r.perSecond / plain.perSecond, p50VsPlain: r.p50Ms / plain.p50Ms };
  };
  return { ...HTTP, results: results.map((r) => ({ ...r, ...ratios(r) })) };
}

/** Section 4 on one fresh SQLite (WAL) database: the pools' results, and the rate-limit runs' (which keep none). */
async function poolsAndRates() {
  const db = await phase("create sqlite-wal database", () => createBenchDatabase("sqlite-wal"));
  databases.push(db);
  const t0 = Date.now();
  const r = await poolsSection({ ...POOLS, db, keyPrefix, queue, phase, note, chunk: CHUNK });
  printPools(r, POOLS);
  note(`section 4 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

/** Section 5 on one fresh SQLite (WAL) database: the sign-up route, its worker and a slow dev inbox. */
async function signupRoute() {
  const db = await phase("create sqlite-wal database", () => createBenchDatabase("sqlite-wal"));
  databases.push(db);
  const t0 = Date.now();
  const r = await phase("sign-up route while SMTP is slow", (signal) => signupSection({ ...SIGNUP, db, keyPrefix, queue, signal, note }));
  printSignup(r, SIGNUP);
  note(`section 5 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ...SIGNUP, ...r };
}

/** A fresh SQLite (WAL) database, and a fresh PostgreSQL one when reachable; dropped at the end of the run. */
async function freshDatabases(withPostgres: boolean): Promise<BenchDatabase[]> {
  const dbs: BenchDatabase[] = [];
  for (const kind of (withPostgres ? ["sqlite-wal", "postgres"] : ["sqlite-wal"]) as BenchDatabase["kind"][]) {
    const db = await phase(`create ${kind} database`, () => createBenchDatabase(kind));
    databases.push(db);
    dbs.push(db);
  }
  return dbs;
}

/** Section 6 on a fresh SQLite (WAL) database, and a fresh PostgreSQL one when reachable: beat processes and their sends. */
async function beatLateness(withPostgres: boolean) {
  const dbs = await freshDatabases(withPostgres);
  const t0 = Date.now();
  const results = await beatSection({ ...BEAT, dbs, keyPrefix, queue, phase, note });
  printBeat(results, BEAT);
  note(`section 6 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ...BEAT, results };
}

/** Section 7 on a fresh SQLite (WAL) database, and a fresh PostgreSQL one when reachable. */
async function resultPath(withPostgres: boolean) {
  const dbs = await freshDatabases(withPostgres);
  const options = { dbs, keyPrefix, queue, n: RESULTS_N, latencyN: LATENCY_N, chunk: CHUNK, phase, note };
  const r = await resultPathSection(options);
  printResultPath(r, options);
  return r;
}

/** Section 9 on a fresh SQLite (WAL) database, and a fresh PostgreSQL one when reachable. */
async function workflows(withPostgres: boolean) {
  const dbs = await freshDatabases(withPostgres);
  const t0 = Date.now();
  const runs = await workflowSection({ ...WORKFLOWS, dbs, keyPrefix, queue, phase, note });
  printWorkflows(runs, WORKFLOWS);
  note(`section 9 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ...WORKFLOWS, runs };
}

/** Section 10 on a fresh SQLite (WAL) database, and a fresh PostgreSQL one when reachable. */
async function scale(withPostgres: boolean) {
  const dbs = await freshDatabases(withPostgres);
  const t0 = Date.now();
  const runs = await scaleSection({ ...SCALE, dbs, keyPrefix, queue, chunk: CHUNK, phase, note });
  const { figures, verdicts } = printScale(runs, SCALE);
  note(`section 10 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ...SCALE, figures, verdicts, runs };
}

/** Section 8 on a fresh SQLite (WAL) database, and a fresh PostgreSQL one when reachable, each filled with TASKS.n rows. */
async function taskQueries(withPostgres: boolean) {
  const dbs = await freshDatabases(withPostgres);
  const t0 = Date.now();
  const results = await taskQueriesSection({ ...TASKS, dbs, keyPrefix, queue, phase, note });
  printTaskQueries(results, TASKS);
  note(`section 8 took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { ...TASKS, results };
}

async function main(): Promise<void> {
  const facts = await machineFacts();
  console.log(`celeriac bench — ${facts.cores} cores (${facts.cpu}), ${facts.memGiB} GiB, node ${facts.node}`);
  console.log(`redis ${facts.redis}, postgres ${facts.postgres ?? "not reachable"}, bullmq ${facts.bullmq}, ioredis ${facts.ioredis}, prisma ${facts.prisma}`);
  console.log(`key prefix {${keyPrefix}}; phase limit ${LIMIT_S} s\n`);
  if (!facts.postgres) note("PostgreSQL not reachable: skipping it");

  let delay: Awaited<ReturnType<typeof delayPhase>> | undefined;
  let throughput: Record<string, unknown>[] | undefined;
  if (SECTIONS.has("1") || SECTIONS.has("2")) {
    const sqlite = await phase("create SQLite database", () => createBenchDatabase("sqlite"));
    databases.push(sqlite);
    if (SECTIONS.has("1")) delay = await delayPhase(sqlite);
    if (SECTIONS.has("2")) {
      const raw = await rawRuns(sqlite);
      const runs = [...raw, ...(await celeriacRuns(sqlite, facts.postgres !== undefined))];
      const vsRaw = (r: Run) => r.perSecond / raw.find((x) => x.concurrency === r.concurrency)!.perSecond;
      printThroughput(runs, vsRaw);
      throughput = runs.map(({ system, results, journal, concurrency, n, enqueueMs, drainMs, perSecond, cpuUsPerTask }) => ({
        system, results, journal, concurrency, n, enqueuePerSecond: (n / enqueueMs) * 1000, drainMs, perSecond, cpuUsPerTask,
        vsRaw: vsRaw({ concurrency, perSecond } as Run),
      }));
    }
  }
  const dispatch = SECTIONS.has("3") ? await dispatchSection(facts.postgres !== undefined) : undefined;
  const pools = SECTIONS.has("4") ? await poolsAndRates() : undefined;
  const signup = SECTIONS.has("5") ? await signupRoute() : undefined;
  const beat = SECTIONS.has("6") ? await beatLateness(facts.postgres !== undefined) : undefined;
  const results = SECTIONS.has("7") ? await resultPath(facts.postgres !== undefined) : undefined;
  const tasks = SECTIONS.has("8") ? await taskQueries(facts.postgres !== undefined) : undefined;
  const workflowRuns = SECTIONS.has("9") ? await workflows(facts.postgres !== undefined) : undefined;
  const scaleRuns = SECTIONS.has("10") ? await scale(facts.postgres !== undefined) : undefined;
  const compact = (_key: string, v: unknown) =>
    typeof v !== "number" || Number.isInteger(v) ? v : Math.abs(v) >= 100 ? Math.round(v) : Number(v.toFixed(3));
  console.log(JSON.stringify({ machine: facts, keyPrefix, sections: [...SECTIONS], delayVsAdd: delay, throughput, dispatchLatency: dispatch, pools, signup, beat, resultPath: results, taskQueries: tasks, workflows: workflowRuns, scale: scaleRuns }, compact));
}

let exitCode = 0;
process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
try {
  await main();
} catch (error) {
  console.error(`bench aborted: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
