/**
 * An isolated celeriac app for one integration test file: the run's database, the real Redis, and a key
 * prefix of its own. `startWorker()` runs a real worker in this process; `close()` removes every key the
 * test made and closes connections.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { createCeleriac, type Celeriac, type CeleriacOptions } from "@/lib/celeriac";
import { Registry } from "@/lib/celeriac/task/registry";
import { startWorker, type RunningWorker } from "@/lib/celeriac/worker/worker";
import { createDb, type Db } from "@/lib/db";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface Harness {
  app: Celeriac;
  db: Db;
  keyPrefix: string;
  databaseUrl: string;
  /** Starts a worker that serves the app's tasks (or `registry`) on `queues`. */
  startWorker(options?: { queues?: string[]; registry?: Registry; concurrency?: number; graceMs?: number }): Promise<RunningWorker>;
  close(): Promise<void>;
}

export function uniquePrefix(label: string): string {
  return `test-${label}-${randomBytes(4).toString("hex")}`;
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`{${prefix}}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

export function createHarness(label: string, settings: Partial<CeleriacOptions> = {}): Harness {
  const databaseUrl = inject("databaseUrl");
  const db = createDb(databaseUrl);
  const keyPrefix = uniquePrefix(label);
  const app = createCeleriac({
    prisma: db,
    databaseUrl,
    redisUrl: REDIS_URL,
    keyPrefix,
    logLevel: "silent",
    resultPollIntervalMs: 50,
    ...settings,
  });
  const workers: RunningWorker[] = [];
  return {
    app,
    db,
    keyPrefix,
    databaseUrl,
    async startWorker(options = {}) {
      const worker = await startWorker({
        broker: app.broker,
        backend: app.backend,
        registry: options.registry ?? app.registry,
        queues: options.queues ?? [app.config.defaultQueue],
        concurrency: options.concurrency ?? 4,
        hostname: "celeriac@test",
        graceMs: options.graceMs ?? 5_000,
        log: app.log,
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await app.close();
      await deleteKeys(keyPrefix);
      await db.$disconnect();
    },
  };
}
