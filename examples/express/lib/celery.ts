/**
 * This app's celeriac (Django's proj/celery.py): created once, imported by route handlers (to dispatch),
 * by task modules (to define tasks) and by `celeriac worker` / `celeriac beat` (which find this file as
 * lib/celery.ts, or through --app). Every setting: https://www.npmjs.com/package/celeriac
 */
import { createCeleriac } from "celeriac";
import { db } from "./db";

export const celeriac = createCeleriac({
  appName: "celeriac-example-express",
  // Results, the durable outbox and periodic tasks live in your database, through this client; the result
  // path also opens its own connection to the same database, from databaseUrl. With SQLite, give the file
  // as your Prisma client opens it (a driver adapter: relative to the working directory).
  prisma: db,
  databaseUrl: process.env.DATABASE_URL ?? "file:./dev.db",
  // The broker: BullMQ on Redis.
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  // Every Redis key starts with it: apps (and test runs) sharing one Redis give each a prefix of its own.
  keyPrefix: process.env.CELERIAC_KEY_PREFIX ?? "celeriac-example-express",
  // Where task modules live: `celeriac worker` imports every module below it.
  tasksDir: "tasks",
  // Periodic tasks for `celeriac beat` (Celery's beat_schedule), e.g. every 30 seconds:
  // beatSchedule: { "hello-every-30-seconds": { task: "example.hello", schedule: 30, args: ["beat"] } },
});

// What the rest of the app imports: `task` to define tasks, `transaction` and `onCommit` to dispatch after a
// commit, `AsyncResult` to read a result by task id.
export const task = celeriac.task;
export const transaction = celeriac.transaction;
export const onCommit = celeriac.onCommit;
export const AsyncResult = celeriac.AsyncResult;
