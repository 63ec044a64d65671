/**
 * Bench section 7: the result path, figure for figure against the seed stack (Celery 5 prefork + django-
 * celery-results, issue 10), with the worker as users run it in production: the app's own compiled worker
 * (`node <dist>/worker.js`, no npm, no tsx) in its own process, at its default settings, on the bench's
 * database and key prefix. This process only sends (through the public API: `.delay()`, `AsyncResult`).
 *   - throughput: 10,000 no-op tasks, first `.delay()` → last TaskResult row SUCCESS (enqueue and drain overlap);
 *   - enqueue → result visible through `get()`, one task at a time (p50 / p99);
 *   - enqueue → task start, one at a time (the task returns its start instant, sub-ms, same machine clock);
 *   - the worker process's RSS after the throughput run.
 * Raw BullMQ's drain rate (section 2's no-op worker, c=8) is measured in the same run for the ratio.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { buildWorkers } from "@/scripts/build-workers";
import { benchApp, REDIS_URL } from "./app";
import { processCpuUs } from "./cpu";
import type { BenchDatabase } from "./db";
import { summarize, table, type Summary } from "./stats";
import { celeriacJobOptions } from "./delay-vs-add";
import { enqueueChunked, rawThroughput, sleep } from "./throughput";

export const TARGETS = {
  perSecond: 5_000,
  vsRaw: 0.25,
  visibleP50Ms: 1.5,
  visibleP99Ms: 4,
  startP50Ms: 0.8,
  rssMb: 130,
} as const;

const ROOT = resolve(import.meta.dirname, "..");
export const OUTDIR = ".bench-dist";

export interface ResultPathOptions {
  dbs: BenchDatabase[];
  keyPrefix: string;
  queue: (name: string) => string;
  n: number;
  latencyN: number;
  chunk: number;
  phase: <T>(label: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  note: (line: string) => void;
}

export interface ResultPathRun {
  database: string;
  concurrency: number;
  n: number;
  perSecond: number;
  totalMs: number;
  enqueueMs: number;
  visible: Summary;
  start: Summary;
  rssMb: number;
  rssIdleMb: number;
  /** The worker process's CPU per task during the throughput run (diagnostic). */
  workerCpuUsPerTask: number;
}

export interface WorkerProcessOptions {
  /** -c (default: the worker's, settings.concurrency or 32). */
  concurrency?: number;
  /** -n (default: the worker's, celeriac@<host>). */
  hostname?: string;
  /** Default: REDIS_URL. */
  redisUrl?: string;
  /**
   * The worker's stdout and stderr go to this file (as `node worker.js >> file`) instead of a pipe this process
   * drains: section 10 keeps reading several workers' per-task log lines off the bench process's CPU.
   */
  logFile?: string;
}

/** The production worker in its own process, consuming `queues` (-Q); resolves once it printed "ready.". */
export async function startWorker(db: BenchDatabase, keyPrefix: string, queues: string | readonly string[], note: (l: string) => void, o: WorkerProcessOptions = {}) {
  // BENCH_WORKER_NODE_ARGS reach the worker's node only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const args = ["-Q", [queues].flat().join(","), ...(o.concurrency ? ["-c", String(o.concurrency)] : []), ...(o.hostname ? ["-n", o.hostname] : [])];
  const logFd = o.logFile === undefined ? undefined : openSync(o.logFile, "a");
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(OUTDIR, "worker.js"), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url, REDIS_URL: o.redisUrl ?? REDIS_URL, CELERIAC_KEY_PREFIX: keyPrefix, CELERIAC_LOG_LEVEL: "info", NODE_ENV: "production", NODE_OPTIONS: "", SECRET_KEY: randomBytes(32).toString("base64url") }, // production refuses to start without a strong key
    stdio: logFd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", logFd, logFd],
  });
  if (logFd !== undefined) closeSync(logFd); // the child has its own copy
  let piped = "";
  const output = () => (o.logFile === undefined ? piped : readFileSync(o.logFile, "utf8"));
  await new Promise<void>((resolveReady, reject) => {
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output().slice(-2000)}`)));
    if (o.logFile !== undefined) {
      const timer = setInterval(() => output().includes(" ready.") && (clearInterval(timer), resolveReady()), 20);
      child.once("exit", () => clearInterval(timer));
      return;
    }
    const onData = (chunk: Buffer) => {
      piped += chunk.toString();
      if (piped.includes(" ready.")) {
        child.stdout!.off("data", onData);
        resolveReady();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (piped += c.toString()));
  });
  const concurrency = Number(/concurrency:\s*(\d+)/.exec(output())?.[1] ?? 0);
  // The worker logs a line per task at info (as shipped); the bench only drains it.
  child.stdout?.resume();
  const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) / 1024;
  return {
    pid: child.pid!,
    concurrency,
    rssMb,
    /** The worker's user + system CPU so far, µs. */
    cpuUs: () => processCpuUs(child.pid!) ?? NaN,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => (note("worker did not stop within 15 s; killed"), child.kill("SIGKILL")), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function onDatabase(o: ResultPathOptions, db: BenchDatabase, signal: AbortSignal): Promise<ResultPathRun> {
  const queue = o.queue(`results-${db.kind}`);
  const { app, noop } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix: o.keyPrefix, queue });
  const clock = app.task({ name: "bench.clock", args: z.tuple([]), run: () => 0 });
  const worker = await startWorker(db, o.keyPrefix, queue, o.note);
  const done = () => db.client.taskResult.count({ where: { queue, status: "SUCCESS" } });
  /**
   * Sends `n` no-ops and resolves when every row is SUCCESS. It waits on the last task's get() first (the
   * queue is FIFO, so the others are done or nearly), then counts: counting 10,000 rows every few ms from
   * the start loaded the very database being measured (PostgreSQL drained at half the rate).
   */
  const sendAndWait = async (n: number, total: number) => {
    let last: Awaited<ReturnType<typeof noop.delay>> | undefined;
    const enqueueMs = await enqueueChunked(n, o.chunk, signal, async (i) => {
      const r = await noop.delay(i);
      if (i === n - 1) last = r;
    });
    await last!.get({ timeout: 60_000 });
    while ((await done()) < total) {
      if (signal.aborted) throw new Error(`${await done()} of ${total} results SUCCESS so far`);
      await sleep(2);
    }
    return { enqueueMs, doneAt: performance.now() };
  };
  try {
    const rssIdleMb = worker.rssMb();
    // Warm-up: JIT, connections, prepared statements on both sides.
    await sendAndWait(1_000, 1_000);
    const t0 = performance.now();
    const cpu0 = worker.cpuUs();
    const { enqueueMs, doneAt } = await sendAndWait(o.n, 1_000 + o.n);
    const totalMs = doneAt - t0;
    const workerCpuUsPerTask = (worker.cpuUs() - cpu0) / o.n;
    const rssMb = worker.rssMb();
    const visible: number[] = [];
    const start: number[] = [];
    for (let i = 0; i < 50 + o.latencyN; i++) {
      signal.throwIfAborted();
      const a = performance.now();
      const r = await noop.delay(i);
      await r.get({ timeout: 10_000 });
      const b = performance.now();
      const sentAt = performance.timeOrigin + performance.now();
      const startedAt = (await (await clock.delay()).get({ timeout: 10_000 })) as number;
      if (i < 50) continue;
      visible.push((b - a) * 1000);
      start.push((startedAt - sentAt) * 1000);
    }
    return {
      database: db.kind === "postgres" ? "PostgreSQL" : "SQLite (WAL)",
      concurrency: worker.concurrency,
      n: o.n,
      perSecond: (o.n / totalMs) * 1000,
      totalMs,
      enqueueMs,
      visible: summarize(visible),
      start: summarize(start),
      rssMb,
      rssIdleMb,
      workerCpuUsPerTask,
    };
  } finally {
    await worker.stop();
    await app.close();
  }
}

export async function resultPathSection(o: ResultPathOptions) {
  await o.phase("build the production worker (with the bench's tasks)", () =>
    buildWorkers({ outdir: OUTDIR, extraTasks: [{ in: "bench/e2e-tasks/bench.ts", out: "bench" }] }),
  );
  const jobOptions = await o.phase("read back celeriac's BullMQ job options", () => celeriacJobOptions(o.dbs[0], o.keyPrefix, o.queue("results-raw-probe")));
  await o.phase("raw BullMQ warm-up, 2000 jobs", (signal) =>
    rawThroughput({ jobOptions, keyPrefix: o.keyPrefix, queue: o.queue("results-raw-warmup"), n: 2_000, chunk: o.chunk, concurrency: 8, signal }),
  );
  const raw = await o.phase(`raw BullMQ drain, ${o.n} jobs, c=8`, (signal) =>
    rawThroughput({ jobOptions, keyPrefix: o.keyPrefix, queue: o.queue("results-raw"), n: o.n, chunk: o.chunk, concurrency: 8, signal }),
  );
  const runs: ResultPathRun[] = [];
  for (const db of o.dbs) runs.push(await o.phase(`result path on ${db.kind}: worker process, ${o.n} tasks + ${o.latencyN} one at a time`, (signal) => onDatabase(o, db, signal)));
  return { raw: { perSecond: raw.perSecond }, targets: TARGETS, runs };
}

const verdict = (ok: boolean) => (ok ? "met" : "NOT MET");

export function printResultPath(r: Awaited<ReturnType<typeof resultPathSection>>, o: Pick<ResultPathOptions, "n" | "latencyN">): void {
  const ms = (us: number) => (us / 1000).toFixed(2);
  console.log(`7. The result path vs the seed stack: the production worker (node dist/worker.js, defaults) in its own process`);
  const rows: (string | number)[][] = [["figure", "database", "celeriac", "target", "", "seed stack (issue 10)"]];
  for (const run of r.runs) {
    const pg = run.database === "PostgreSQL";
    rows.push(
      [`tasks/s, ${run.n} no-op, results stored (c=${run.concurrency})`, run.database, Math.round(run.perSecond), `≥ ${TARGETS.perSecond}`, verdict(run.perSecond >= TARGETS.perSecond), pg ? "~970" : "~660"],
      ["  ÷ raw BullMQ drain (c=8, same run)", run.database, (run.perSecond / r.raw.perSecond).toFixed(2), `≥ ${TARGETS.vsRaw}`, verdict(run.perSecond / r.raw.perSecond >= TARGETS.vsRaw), ""],
      ["enqueue → result via get(), p50 ms", run.database, ms(run.visible.p50), `≤ ${TARGETS.visibleP50Ms}`, verdict(run.visible.p50 / 1000 <= TARGETS.visibleP50Ms), pg ? "2.3" : ""],
      ["enqueue → result via get(), p99 ms", run.database, ms(run.visible.p99), `≤ ${TARGETS.visibleP99Ms}`, verdict(run.visible.p99 / 1000 <= TARGETS.visibleP99Ms), ""],
      ["enqueue → task start, p50 ms", run.database, ms(run.start.p50), `≤ ${TARGETS.startP50Ms}`, verdict(run.start.p50 / 1000 <= TARGETS.startP50Ms), pg ? "0.8" : ""],
      ["  worker CPU µs per task (diagnostic)", run.database, Math.round(run.workerCpuUsPerTask), "", "", ""],
      ["worker RSS after the run, MB", run.database, Math.round(run.rssMb), `≤ ${TARGETS.rssMb}`, verdict(run.rssMb <= TARGETS.rssMb), "217 (process tree)"],
    );
  }
  console.log(table(rows));
  console.log(`(raw BullMQ drain in this run: ${Math.round(r.raw.perSecond)} jobs/s. Throughput: first .delay() → last row SUCCESS, after 1,000 warm-up tasks;`);
  console.log(` latencies: ${o.latencyN} tasks one at a time after 50 warm-up; start = the task's own clock − the instant before .delay(). Worker RSS idle: ${r.runs.map((x) => `${Math.round(x.rssIdleMb)} MB`).join(", ")}.)\n`);
}
