/** Tasks for the process-pool progress test: each child process loads this module through ../lib/celery.ts. */
import { z } from "zod";
import { celeriac, task } from "../lib/celery.js";

/** Reports half way, holds its child for a while (the test reads the report meanwhile), then returns. */
export const halfway = task({
  name: "progress.halfway",
  args: z.tuple([z.number()]),
  async run(ctx, holdMs) {
    ctx.progress({ current: 1, total: 2, message: `in child ${process.pid}` });
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    return process.pid;
  },
});

/** Waits on another task from inside a child's task: what the guard refuses, unless told otherwise. */
export const waitsFor = task({
  name: "progress.waitsFor",
  args: z.tuple([z.string(), z.boolean()]),
  run: (_ctx, id, allowInsideTask) => celeriac.AsyncResult.from<number>(id).get({ timeout: 10_000, allowInsideTask }),
});
