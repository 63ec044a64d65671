/**
 * The app module of the framework's tests that start processes: the `celeriac` bin run in this folder
 * finds it as lib/celery.ts (as in an app's), process-pool children load it, and commit-then-crash.ts
 * imports it. It imports `celeriac` by name, so a process run by node or tsx gets the package's build
 * (dist/), as an app does; in vitest it is the sources. The test that starts a process sets its
 * DATABASE_URL (the run's database), CELERIAC_KEY_PREFIX and REDIS_URL.
 */
import { createCeleriac, type LogLevel } from "celeriac";
import { createDb } from "../../db.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: the test that starts this process names the run's database");

export const celeriac = createCeleriac({
  appName: "celeriac-tests",
  prisma: createDb(databaseUrl),
  databaseUrl,
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  keyPrefix: process.env.CELERIAC_KEY_PREFIX ?? "celeriac",
  logLevel: (process.env.CELERIAC_LOG_LEVEL ?? "silent") as LogLevel,
  // A test that kills workers shortens it, so that the dead worker's tasks come back within seconds.
  ...(process.env.CELERIAC_WORKER_LOCK_MS && { workerLockMs: Number(process.env.CELERIAC_WORKER_LOCK_MS) }),
});

export const task = celeriac.task;
export const transaction = celeriac.transaction;
export const onCommit = celeriac.onCommit;
