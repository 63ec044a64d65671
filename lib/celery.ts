/**
 * This app's celeriac (Django's proj/celery.py): settings from the environment, the Prisma client for
 * results. Tasks, route handlers and worker.ts import `task`, `AsyncResult` and `celeriac` from here.
 */
import { createCeleriac } from "@/lib/celeriac";
import { db } from "./db";
import { env } from "./env";

export const celeriac = createCeleriac({
  appName: "celeriac-demo",
  prisma: db,
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  keyPrefix: env.CELERIAC_KEY_PREFIX,
  alwaysEager: env.CELERIAC_ALWAYS_EAGER,
  logLevel: env.CELERIAC_LOG_LEVEL,
  logFormat: env.CELERIAC_LOG_FORMAT,
  concurrency: env.CELERIAC_CONCURRENCY,
});

export const task = celeriac.task;
export const AsyncResult = celeriac.AsyncResult;
export const transaction = celeriac.transaction;
export const onCommit = celeriac.onCommit;
