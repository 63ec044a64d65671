/** After the run: delete this run's Redis keys (everything under `{CELERIAC_KEY_PREFIX}:`) and its uploaded files. */
import { rm } from "node:fs/promises";
import { Redis } from "ioredis";

export default async function globalTeardown() {
  if (process.env.E2E_UPLOAD_DIR) await rm(process.env.E2E_UPLOAD_DIR, { recursive: true, force: true });
  const prefix = process.env.CELERIAC_KEY_PREFIX;
  if (!prefix?.startsWith("e2e-")) return; // only ever a prefix this config made up
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `{${prefix}}:*`, "COUNT", 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
