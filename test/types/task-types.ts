/**
 * Compile-time tests, checked by `tsc --noEmit` (part of `npm test`): each @ts-expect-error line must be
 * a type error, or tsc fails with "Unused '@ts-expect-error' directive". Never executed.
 */
import { z } from "zod";
import type { AsyncResult, Celeriac } from "celeriac";

export async function typeTests(app: Celeriac) {
  const add = app.task({ name: "t.add", args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y });
  const greet = app.task({
    name: "t.greet",
    args: z.tuple([z.string(), z.number().default(1)]),
    async run(_ctx, name, times) {
      const n: number = times; // the schema's output type: the default is applied
      return { text: `hi ${name}`.repeat(n) };
    },
  });

  const r: AsyncResult<number> = await add.delay(1, 2);
  const total: number = await r.get();
  // @ts-expect-error a task that takes numbers refuses a string
  await add.delay("x", 2);
  // @ts-expect-error too few arguments
  await add.delay(1);
  // @ts-expect-error the result is a number, not a string
  const wrong: string = await r.get();

  await greet.delay("ada"); // the defaulted argument may be left out
  const text: string = (await (await greet.applyAsync(["bob", 2], { countdown: 5 })).get()).text;
  // @ts-expect-error applyAsync takes the arguments as a tuple
  await greet.applyAsync("bob");
  // @ts-expect-error unknown option
  await greet.applyAsync(["bob"], { countdwn: 5 });

  const owned: AsyncResult<number> = await add.applyAsync([1, 2], { owner: "user:7" });
  const ownedId: string = add.applyAsyncOnCommit([1, 2], { owner: "user:7" });
  // @ts-expect-error an owner is a string
  await add.applyAsync([1, 2], { owner: 7 });
  app.task({ name: "t.mail", args: z.tuple([z.number().int()]), owner: (userId) => `user:${userId.toFixed(0)}`, run: () => 0 });
  app.task({
    name: "t.badOwner",
    args: z.tuple([z.number()]),
    // @ts-expect-error owner() receives the arguments as run does, and returns a string
    owner: (userId: string) => userId,
    run: () => 0,
  });

  const fromId = app.AsyncResult.from<typeof add>("some-id");
  const later: number = await fromId.get({ timeout: 1000 });
  // @ts-expect-error AsyncResult.from<typeof add> resolves numbers
  const notText: string = await fromId.get();

  app.task({
    name: "t.bad",
    args: z.tuple([z.number()]),
    // @ts-expect-error run receives the schema's types: a number, not a string
    run: (_ctx, s: string) => s,
  });
  return { total, wrong, text, later, notText, owned, ownedId };
}
