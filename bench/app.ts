/** The celeriac app a bench phase uses: the run's key prefix, one queue, and the no-op task. */
import { z } from "zod";
import { createCeleriac, type Celeriac, type Settings } from "celeriac";
import type { Db } from "./db";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Settings a phase may add to the bench app's (e.g. section 4: taskIgnoreResult, a rate limit by taskAnnotations). */
export type BenchSettings = Omit<Settings, "appName" | "redisUrl" | "keyPrefix" | "defaultQueue" | "logLevel">;
export type BenchApp = Celeriac<Db>;

/**
 * queuePrefix(keyPrefix, queue): the BullMQ `prefix` of one of the app's queues in the broker's default key layout
 * (`{keyPrefix:queue}`), the broker's own formula, so a raw BullMQ baseline publishes where and as celeriac does.
 */
export { queueKeyPrefix as queuePrefix } from "../packages/celeriac/src/broker/key-layout";

/** `redisUrl` defaults to REDIS_URL (section 10 passes a local Redis Cluster's). */
export function benchApp(options: { db: Db; databaseUrl: string; keyPrefix: string; queue: string; settings?: BenchSettings; redisUrl?: string }) {
  const app: BenchApp = createCeleriac({
    ...options.settings,
    appName: "celeriac-bench",
    prisma: options.db,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl ?? REDIS_URL,
    keyPrefix: options.keyPrefix,
    defaultQueue: options.queue,
    logLevel: "silent",
  });
  const noop = app.task({ name: "bench.noop", args: z.tuple([z.number()]), run: (_ctx, n) => n });
  return { app, noop };
}

export type Noop = ReturnType<typeof benchApp>["noop"];

/**
 * Resolves once the app's broker answers a producer-side call. Since 80759a6 the producer connection has no
 * offline queue and only publish() waits for it to be ready, so a first isRevoked()/reserveRate() on a fresh
 * app (a worker process that has not published anything yet) fails with "Stream isn't writeable …".
 */
export async function whenBrokerAnswers(app: Pick<Celeriac, "broker">, timeoutMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 10))) {
    try {
      await app.broker.isRevoked("bench-connect");
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}
