/** The first demo (seed 002): add two numbers, slowly, in the background. */
import { z } from "zod";
import { task } from "@/lib/celery";

export const add = task({
  name: "demo.add",
  args: z.tuple([z.number(), z.number()]),
  async run(ctx, x, y) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ctx.log.info({ x, y }, "adding");
    return x + y;
  },
});
