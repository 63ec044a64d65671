/** Redis helpers for tests: unique key prefixes and their cleanup. Imports nothing from the app. */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { queueKeyPrefix } from "../src/broker/key-layout.js";
import { createRedisConnection, scanKeys } from "../src/broker/redis-connection.js";

/** The Redis the tests use: a single server, or a Cluster or Sentinel URL (redis-url.ts) in the Cluster pass. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function uniquePrefix(label: string): string {
  return `test-${label}-${randomBytes(4).toString("hex")}`;
}

/** Every key under a celeriac key prefix, in either key layout: `{prefix}:*` and `{prefix:<queue>}:*`. */
export async function keysUnder(prefix: string, url = REDIS_URL): Promise<string[]> {
  const redis = createRedisConnection(url);
  try {
    return [...(await scanKeys(redis, `{${prefix}}:*`)), ...(await scanKeys(redis, `{${prefix}:*}:*`))];
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under a celeriac key prefix. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const keys = await keysUnder(prefix, url);
  const redis = createRedisConnection(url);
  try {
    // One DEL per key: on a Cluster, one command may not name keys of several slots.
    await Promise.all(keys.map((key) => redis.del(key)));
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs `use` with a BullMQ Queue on one of an app's queues (key layout "per-queue"), on a connection of its own to
 * REDIS_URL — a test's view from the outside of what the broker put in Redis — and closes both after.
 */
export async function withBullQueue<T>(prefix: string, name: string, use: (queue: Queue) => Promise<T>): Promise<T> {
  const connection = createRedisConnection(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix: queueKeyPrefix(prefix, name) });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
