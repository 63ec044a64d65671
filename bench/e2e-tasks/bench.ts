/**
 * The tasks bench section 7 runs in the production worker (the app's own dist/worker.js, built with this
 * module as one more task module): a no-op, and one that answers when it started (epoch ms, sub-ms).
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { task } from "@/lib/celery";

export const noop = task({ name: "bench.noop", args: z.tuple([z.number()]), run: (_ctx, n) => n });
export const clock = task({ name: "bench.clock", args: z.tuple([]), run: () => performance.timeOrigin + performance.now() });
