/** Tasks of the `celeriac worker` processes the framework's tests start in this folder (worker-process.int.test.ts). */
import { z } from "zod";
import { task } from "../lib/celery.js";

/** Sleeps `ms`, then returns it: a task still running when its worker is asked to stop. */
export const nap = task({
  name: "control.nap",
  args: z.tuple([z.number().int().min(0).max(60_000)]),
  run: (_ctx, ms) => new Promise<number>((done) => setTimeout(() => done(ms), ms)),
});
