/**
 * The tasks bench sections 7 and 9 run in the production worker (the app's own dist/worker.js, built with this
 * module as one more task module): a no-op, one that answers when it started (epoch ms, sub-ms), and
 * section 9's chord callback.
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { task } from "@/lib/celery";

export const noop = task({ name: "bench.noop", args: z.tuple([z.number()]), run: (_ctx, n) => n });
export const clock = task({ name: "bench.clock", args: z.tuple([]), run: () => performance.timeOrigin + performance.now() });
/** Section 9's chord callback: how many results it was given. */
export const count = task({ name: "bench.count", args: z.tuple([z.array(z.number())]), run: (_ctx, xs) => xs.length });
