/**
 * The app module of section 4's process pool (its lib/celery.ts): each pool child imports it, as the
 * worker's parent does, so everything comes from the environment, set by the parent before it imports
 * this module (children inherit it): BENCH_POOL_DATABASE_URL (the run's temp database), BENCH_POOL_KEY_PREFIX
 * (the run's key prefix), REDIS_URL. Logging is off: a child's log would go to the bench's stdout.
 * The module waits for the broker's Redis connection before it finishes loading (whenBrokerAnswers): with
 * lib/celeriac/broker/bullmq.ts as of 80759a6, a child's first task otherwise fails at its revoked check
 * ("Stream isn't writeable"), the child exits, and every task ends FAILURE WorkerLostError. Harmless once
 * every producer call waits for the connection.
 */
import { createCeleriac } from "celeriac";
import { REDIS_URL, whenBrokerAnswers } from "./app";
import { clientFor } from "./db";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench/pool-app.ts: ${name} is not set (the bench sets it before importing this module)`);
  return value;
}

const databaseUrl = required("BENCH_POOL_DATABASE_URL");

/** This process's client for the run's database (the parent counts the finished rows with it). */
export const db = clientFor(databaseUrl);

export const celeriac = createCeleriac({
  appName: "celeriac-bench-pool",
  prisma: db,
  databaseUrl,
  redisUrl: REDIS_URL,
  keyPrefix: required("BENCH_POOL_KEY_PREFIX"),
  logLevel: "silent",
});

export const task = celeriac.task;

await whenBrokerAnswers(celeriac);
