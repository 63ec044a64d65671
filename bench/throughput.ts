/**
 * End-to-end throughput: N no-op tasks enqueued first (Promise.all over chunks), then one worker drains
 * them. celeriac: `.delay()` + `startWorker` with the result store, done when N TaskResult rows are
 * SUCCESS. Raw BullMQ: `queue.add` with the broker's job options + a Worker with a no-op processor and
 * no result storage, done when N jobs completed (with the job options celeriac's broker uses, read back
 * by delay-vs-add.ts's celeriacJobOptions). The drain clock starts before the worker is created.
 * `withoutStore` sets taskIgnoreResult: the framework's own cost without the database (no row is written).
 * `settings` are passed on to the app (section 4: taskIgnoreResult, taskAnnotations with a rate limit); with
 * taskIgnoreResult no rows are written, and the run is done when N taskSuccess signals have fired.
 */
import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import { createRedisConnection } from "celeriac";
import { pino } from "pino";
import { benchApp, queuePrefix, REDIS_URL, type BenchApp, type BenchSettings } from "./app";
import type { BenchDatabase } from "./db";
import type { JobOptionsFor } from "./delay-vs-add";

export interface ThroughputResult {
  n: number;
  concurrency: number;
  enqueueMs: number;
  drainMs: number;
  /** Tasks per second while draining. */
  perSecond: number;
  /** CPU time of this process (user + system) per task while draining, in µs: steadier than wall time on a busy box. */
  cpuUsPerTask: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the drain clocks (wall and this process's CPU); the returned function stops them. */
export function drainClock(n: number, concurrency: number, enqueueMs: number) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return (): ThroughputResult => {
    const drainMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { n, concurrency, enqueueMs, drainMs, perSecond: (n / drainMs) * 1000, cpuUsPerTask: (cpu.user + cpu.system) / n };
  };
}

export async function enqueueChunked(n: number, chunk: number, signal: AbortSignal, send: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let start = 0; start < n; start += chunk) {
    signal.throwIfAborted();
    await Promise.all(Array.from({ length: Math.min(chunk, n - start) }, (_, k) => send(start + k)));
  }
  return performance.now() - t0;
}

/** The worker's logger at the default level (info, one JSON line per task), written to /dev/null. */
function nullLogger() {
  return pino(
    { level: "info", base: { app: "celeriac-bench" }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: "/dev/null", sync: true }),
  );
}

export async function celeriacThroughput(o: {
  db: BenchDatabase;
  keyPrefix: string;
  queue: string;
  n: number;
  chunk: number;
  concurrency: number;
  signal: AbortSignal;
  /** Diagnostic: no result store (taskIgnoreResult), to see what the framework costs without it. */
  withoutStore?: boolean;
  /** More settings for the app (section 4). */
  settings?: BenchSettings;
  /** Called with the app before anything is enqueued: to listen to its signals, or to count broker calls. */
  instrument?: (app: BenchApp) => void;
}): Promise<ThroughputResult> {
  const settings = o.withoutStore ? { ...o.settings, taskIgnoreResult: true } : o.settings;
  const { app, noop } = benchApp({ db: o.db.client, databaseUrl: o.db.url, keyPrefix: o.keyPrefix, queue: o.queue, settings });
  o.instrument?.(app);
  let worker: Awaited<ReturnType<typeof app.startWorker>> | undefined;
  try {
    const enqueueMs = await enqueueChunked(o.n, o.chunk, o.signal, (i) => noop.delay(i));
    let finished = 0;
    const counted = settings?.taskIgnoreResult === true;
    if (counted) app.signals.on("taskSuccess", () => void finished++);
    const done = async () => (counted ? finished : o.db.client.taskResult.count({ where: { queue: o.queue, status: "SUCCESS" } }));
    const stop = drainClock(o.n, o.concurrency, enqueueMs);
    // The app's own worker: its broker, result store, signals and tasks.
    worker = await app.startWorker({
      queues: [o.queue],
      concurrency: o.concurrency,
      hostname: "celeriac@bench",
      graceMs: 5_000,
      log: nullLogger(),
    });
    for (let count = 0; (count = await done()) < o.n; await sleep(counted ? 5 : 100)) {
      if (o.signal.aborted) throw new Error(`${count} of ${o.n} ${counted ? "tasks" : "TaskResult rows"} SUCCESS so far`);
    }
    return stop();
  } finally {
    await worker?.stop();
    await app.close();
  }
}

export async function rawThroughput(o: {
  /** celeriac's job options (delay-vs-add.ts's celeriacJobOptions), so the raw jobs are the broker's. */
  jobOptions: JobOptionsFor;
  keyPrefix: string;
  queue: string;
  n: number;
  chunk: number;
  concurrency: number;
  signal: AbortSignal;
}): Promise<ThroughputResult> {
  const prefix = queuePrefix(o.keyPrefix, o.queue);
  const producer = createRedisConnection(REDIS_URL, { maxRetriesPerRequest: null });
  const consumer = createRedisConnection(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(o.queue, { connection: producer, prefix });
  let worker: Worker | undefined;
  try {
    const enqueueMs = await enqueueChunked(o.n, o.chunk, o.signal, (i) =>
      queue.add("bench.noop", { args: [i], sentAt: Date.now(), retries: 0 }, o.jobOptions()),
    );
    let completed = 0;
    let finish!: () => void;
    const allDone = new Promise<void>((resolve, reject) => {
      finish = resolve;
      o.signal.addEventListener("abort", () => reject(new Error(`${completed} of ${o.n} jobs completed so far`)));
    });
    const stop = drainClock(o.n, o.concurrency, enqueueMs);
    worker = new Worker(o.queue, async () => "SUCCESS", { connection: consumer, prefix, concurrency: o.concurrency });
    worker.on("completed", () => ++completed === o.n && finish());
    await allDone;
    return stop();
  } finally {
    await worker?.close();
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
  }
}
