/** The celeriac app a bench phase uses: the run's key prefix, one queue, and the no-op task. */
import { z } from "zod";
import { createCeleriac, type Celeriac } from "@/lib/celeriac";
import type { Db } from "./db";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function benchApp(options: { db: Db; databaseUrl: string; keyPrefix: string; queue: string }) {
  const app: Celeriac<Db> = createCeleriac({
    appName: "celeriac-bench",
    prisma: options.db,
    databaseUrl: options.databaseUrl,
    redisUrl: REDIS_URL,
    keyPrefix: options.keyPrefix,
    defaultQueue: options.queue,
    logLevel: "silent",
  });
  const noop = app.task({ name: "bench.noop", args: z.tuple([z.number()]), run: (_ctx, n) => n });
  return { app, noop };
}

export type Noop = ReturnType<typeof benchApp>["noop"];
