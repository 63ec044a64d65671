/**
 * `.delay()` against a raw BullMQ `queue.add` published exactly as celeriac's broker publishes: same
 * `{prefix}` key style, same job name, data and options, own ioredis connection with the broker's
 * options. Sequential awaited calls, several alternating rounds (ABBA order) so drift hits both sides.
 * Two diagnostic rows split `.delay()` into its parts: `prepare()` alone (validation, no I/O) and
 * `broker.publish()` alone (no validation).
 */
import { randomUUID } from "node:crypto";
import { jobOptions } from "celeriac/broker/bullmq";
import { performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Celeriac } from "celeriac";
import { prepare } from "celeriac/dispatch/apply";
import type { AnyTaskDefinition } from "celeriac/task/define";
import type { Noop } from "./app";
import { summarize, type Summary } from "./stats";

/** The job options celeriac's broker passes (lib/celeriac/broker/bullmq.ts) for a task with no countdown, for a new id. */
export function rawJobOptions() {
  return jobOptions(randomUUID(), { delayMs: 0 });
}

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
  /** The raw side's queue; `${rawQueue}-publish` receives the publish-only calls. */
  rawQueue: string;
  n: number;
  warmup: number;
  rounds: number;
  signal: AbortSignal;
}): Promise<DelayVsAddResult> {
  const { app, noop, n, warmup, rounds, signal } = options;
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false });
  const queue = new Queue(options.rawQueue, { connection, prefix: `{${app.config.keyPrefix}}` });
  if (connection.status !== "ready") await new Promise((resolve) => connection.once("ready", resolve)); // no offline queue, as the broker's
  try {
    const delay: Call = (i) => noop.delay(i);
    const raw: Call = (i) => queue.add(noop.name, { args: [i], sentAt: Date.now(), retries: 0 }, rawJobOptions());
    const prep: Call = (i) => prepare(noop as AnyTaskDefinition, [i], undefined, app.config);
    const publish: Call = (i) => {
      const { message, publish } = prepare(noop as AnyTaskDefinition, [i], undefined, app.config);
      message.queue = `${options.rawQueue}-publish`; // keep it out of the other two queues
      const t0 = performance.now();
      return app.broker.publish(message, publish).then(() => (performance.now() - t0) * 1000);
    };

    for (const f of [delay, raw, prep, delay, raw]) await timeCalls(f, warmup, [], signal);
    const samples = { delay: [] as number[], raw: [] as number[], prep: [] as number[], publish: [] as number[] };
    const per = Math.ceil(n / rounds);
    for (let r = 0; r < rounds; r++) {
      const order: [Call, number[]][] = [[delay, samples.delay], [raw, samples.raw]];
      if (r % 2 === 1) order.reverse();
      for (const [f, into] of order) await timeCalls(f, per, into, signal);
    }
    await timeCalls(prep, n, samples.prep, signal);
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
