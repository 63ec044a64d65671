/**
 * `.delay()` against a raw BullMQ `queue.add` published exactly as celeriac's broker publishes: same
 * key layout (`{prefix:queue}`, app.ts's queuePrefix), same job name, data and options, own ioredis connection with the broker's
 * options. Sequential awaited calls, several alternating rounds (ABBA order) so drift hits both sides.
 * Two diagnostic rows split `.delay()` into its parts: its checks alone (`delayOnCommit` inside a transaction
 * that is rolled back, so nothing is sent: validation and deferral, no I/O) and `broker.publish()` alone (no
 * validation). Public API only: the job options are read back from a job celeriac published, not imported.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Job, Queue, type JobsOptions } from "bullmq";
import { createRedisConnection, type Celeriac } from "celeriac";
import { benchApp, queuePrefix, REDIS_URL, type Noop } from "./app";
import type { BenchDatabase } from "./db";
import { summarize, type Summary } from "./stats";

/** A function giving the BullMQ job options celeriac's broker gives a task with no countdown, for a new id. */
export type JobOptionsFor = () => JobsOptions;

/**
 * The job options celeriac's broker gave a no-countdown `.delay()` (read back from Redis: BullMQ stores a
 * job's options with it), so the raw side publishes as the broker does without copying its options. The
 * probe job goes to `probeQueue`, which nothing consumes, and is removed.
 */
export async function learnJobOptions(app: Pick<Celeriac, "config">, noop: Noop, probeQueue: string): Promise<JobOptionsFor> {
  const sent = await noop.applyAsync([0], { queue: probeQueue });
  const connection = createRedisConnection(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(probeQueue, { connection, prefix: queuePrefix(app.config.keyPrefix, probeQueue) });
  try {
    const job = await Job.fromId(queue, sent.id);
    if (!job) throw new Error(`the probe job ${sent.id} is not in queue ${probeQueue}`);
    await job.remove();
    const { jobId: _id, ...options } = job.opts;
    return () => ({ ...options, jobId: randomUUID() });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** learnJobOptions with an app of its own, on `db` (for the raw BullMQ drains, which have no app). */
export async function celeriacJobOptions(db: BenchDatabase, keyPrefix: string, probeQueue: string): Promise<JobOptionsFor> {
  const { app, noop } = benchApp({ db: db.client, databaseUrl: db.url, keyPrefix, queue: probeQueue });
  try {
    return await learnJobOptions(app, noop, probeQueue);
  } finally {
    await app.close();
  }
}

/** What `ROLLBACK` ends: the transaction that times the checks, so that nothing it deferred is sent. */
const ROLLBACK = new Error("rolled back on purpose: nothing deferred in it is sent");

export interface DelayVsAddResult {
  delay: Summary;
  raw: Summary;
  prepareOnly: Summary;
  publishOnly: Summary;
  ratioP50: number;
  ratioMean: number;
  rounds: number;
}

type Call = (i: number) => Promise<unknown> | unknown;

async function timeCalls(call: Call, n: number, into: number[], signal: AbortSignal): Promise<void> {
  for (let i = 0; i < n; i++) {
    signal.throwIfAborted();
    const t0 = performance.now();
    await call(i);
    into.push((performance.now() - t0) * 1000);
  }
}

export async function delayVsAdd(options: {
  app: Celeriac;
  noop: Noop;
  redisUrl: string;
  /** The raw side's queue; `${rawQueue}-publish` receives the publish-only calls, `${rawQueue}-probe` the job-options probe. */
  rawQueue: string;
  n: number;
  warmup: number;
  rounds: number;
  signal: AbortSignal;
}): Promise<DelayVsAddResult> {
  const { app, noop, n, warmup, rounds, signal } = options;
  const connection = createRedisConnection(options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false });
  const queue = new Queue(options.rawQueue, { connection, prefix: queuePrefix(app.config.keyPrefix, options.rawQueue) });
  if (connection.status !== "ready") await new Promise((resolve) => connection.once("ready", resolve)); // no offline queue, as the broker's
  try {
    const rawJobOptions = await learnJobOptions(app, noop, `${options.rawQueue}-probe`);
    const delay: Call = (i) => noop.delay(i);
    const raw: Call = (i) => queue.add(noop.name, { args: [i], sentAt: Date.now(), retries: 0 }, rawJobOptions());
    const checks: Call = (i) => noop.delayOnCommit(i);
    /** Times `call` n times inside a transaction, then rolls it back: what was deferred is never sent. */
    const inRolledBack = (call: Call, n: number, into: number[]) =>
      app
        .transaction(async () => {
          await timeCalls(call, n, into, signal);
          throw ROLLBACK;
        })
        .catch((error: unknown) => {
          if (error !== ROLLBACK) throw error;
        });
    // The message .delay(i) builds (its type is the broker's, so a change to it fails to compile here).
    const messageOf = (i: number): Parameters<Celeriac["broker"]["publish"]>[0] => ({
      id: randomUUID(),
      task: noop.name,
      args: [i],
      queue: `${options.rawQueue}-publish`, // kept out of the other two queues
      sentAt: Date.now(),
      retries: 0,
    });
    const publish: Call = (i) => {
      const message = messageOf(i);
      const t0 = performance.now();
      return app.broker.publish(message, { delayMs: 0 }).then(() => (performance.now() - t0) * 1000);
    };

    for (const f of [delay, raw, delay, raw]) await timeCalls(f, warmup, [], signal);
    await inRolledBack(checks, warmup, []);
    const samples = { delay: [] as number[], raw: [] as number[], prep: [] as number[], publish: [] as number[] };
    const per = Math.ceil(n / rounds);
    for (let r = 0; r < rounds; r++) {
      const order: [Call, number[]][] = [[delay, samples.delay], [raw, samples.raw]];
      if (r % 2 === 1) order.reverse();
      for (const [f, into] of order) await timeCalls(f, per, into, signal);
    }
    await inRolledBack(checks, n, samples.prep);
    // publish-only: time the broker call itself, without the prepare() done before it.
    for (let i = 0; i < n; i++) {
      signal.throwIfAborted();
      samples.publish.push((await publish(i)) as number);
    }

    const d = summarize(samples.delay);
    const w = summarize(samples.raw);
    return {
      delay: d,
      raw: w,
      prepareOnly: summarize(samples.prep),
      publishOnly: summarize(samples.publish),
      ratioP50: d.p50 / w.p50,
      ratioMean: d.mean / w.mean,
      rounds,
    };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
