/**
 * An isolated celeriac app for one of the framework's integration test files: the run's database (made by
 * global-setup.ts from the package's migration set; or `settings.databaseUrl`, one a test made), the real
 * Redis, and a key prefix of its own. `startWorker()` runs a real worker in this process; `close()` removes
 * every key the test made and closes connections.
 */
import { inject } from "vitest";
import { createCeleriac, type Celeriac, type CeleriacOptions } from "../src/index.js";
import type { Registry } from "../src/task/registry.js";
import type { RunningWorker } from "../src/worker/worker.js";
import { createDb, type Db } from "./db.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis.js";

/** The run's database (a fresh one per run, migrated with the package's migrations). */
export const runDatabaseUrl = (): string => inject("celeriacDatabaseUrl");

export interface Harness {
  app: Celeriac<Db>;
  db: Db;
  keyPrefix: string;
  databaseUrl: string;
  /** Starts a worker that serves the app's tasks (or `registry`) on `queues`. */
  startWorker(options?: { queues?: string[]; registry?: Registry; concurrency?: number; graceMs?: number }): Promise<RunningWorker>;
  close(): Promise<void>;
}

export function createHarness(label: string, settings: Omit<Partial<CeleriacOptions>, "prisma"> = {}): Harness {
  const databaseUrl = settings.databaseUrl ?? runDatabaseUrl();
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
      const worker = await app.startWorker({ concurrency: 4, hostname: "celeriac@test", graceMs: 5_000, ...options });
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
