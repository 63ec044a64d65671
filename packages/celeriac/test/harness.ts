/**
 * An isolated celeriac app for one of the framework's integration test files: the run's database (made by
 * global-setup.ts from the package's migration set; or `settings.databaseUrl`, one a test made), the real
 * Redis, and a key prefix of its own. `startWorker()` runs a real worker in this process; `close()` removes
 * every key the test made and closes connections.
 */
import { inject } from "vitest";
// The type of inject("celeriacDatabaseUrl") (its declaration), for type checks that reach this file from outside.
import type {} from "./global-setup.js";
import { createCeleriac, type Celeriac, type CeleriacOptions, type CeleriacPrisma } from "../src/index.js";
import type { Registry } from "../src/task/registry.js";
import type { RunningWorker } from "../src/worker/worker.js";
import { createDb, type Db } from "./db.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis.js";

/** The run's database (a fresh one per run, migrated with the package's migrations). */
export const runDatabaseUrl = (): string => inject("celeriacDatabaseUrl");

type TestClient = CeleriacPrisma & { $disconnect(): Promise<void> };

export interface Harness<P extends TestClient = Db> {
  app: Celeriac<P>;
  db: P;
  keyPrefix: string;
  databaseUrl: string;
  /** Starts a worker that serves the app's tasks (or `registry`) on `queues`. */
  startWorker(options?: { queues?: string[]; registry?: Registry; concurrency?: number; graceMs?: number; hostname?: string }): Promise<RunningWorker>;
  close(): Promise<void>;
}

/** A harness over the package's test database and client (celeriac's models and TestItem). */
export function createHarness(label: string, settings: Omit<Partial<CeleriacOptions>, "prisma"> = {}): Harness {
  const databaseUrl = settings.databaseUrl ?? runDatabaseUrl();
  return harnessOver(label, createDb(databaseUrl), databaseUrl, settings);
}

/** A harness over any client of celeriac's models (the demo's tests give theirs, with the demo's models). */
export function harnessOver<P extends TestClient>(label: string, db: P, databaseUrl: string, settings: Omit<Partial<CeleriacOptions>, "prisma"> = {}): Harness<P> {
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
