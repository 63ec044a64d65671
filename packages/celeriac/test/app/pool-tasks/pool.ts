/** Tasks for the process-pool tests: each child process loads this module through ../lib/celery.ts. */
import { z } from "zod";
import { task } from "../lib/celery.js";

export const spin = task({
  name: "pool.spin",
  args: z.tuple([]),
  timeLimit: 0.5,
  /** Blocks its event loop: only killing the process can stop it. */
  run: () => {
    for (;;);
  },
});

export const fib = task({
  name: "pool.fib",
  args: z.tuple([z.number().int().min(0).max(40)]),
  run: (_ctx, n) => {
    const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));
    return f(n);
  },
});

export const whoAmI = task({ name: "pool.whoAmI", args: z.tuple([]), run: () => process.pid });
