/**
 * Compile-time tests of the canvas (chain, group, chord), checked by `tsc --noEmit`: each @ts-expect-error
 * line must be a type error. Never executed.
 */
import { z } from "zod";
import { chain, chord, group, type AsyncResult, type Celeriac, type GroupResult } from "celeriac";

export async function canvasTypeTests(app: Celeriac) {
  const fetchPage = app.task({ name: "t.fetch", args: z.tuple([z.string()]), run: (_ctx, url) => `<html>${url}</html>` });
  const parsePage = app.task({ name: "t.parse", args: z.tuple([z.string()]), run: (_ctx, page) => ({ title: page, words: page.length }) });
  const storePage = app.task({ name: "t.store", args: z.tuple([z.object({ title: z.string(), words: z.number() }), z.string()]), run: (_ctx, info, url) => `${info.title}@${url}` });
  const add = app.task({ name: "t.add", args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y });
  const sum = app.task({ name: "t.sum", args: z.tuple([z.array(z.number())]), run: (_ctx, xs) => xs.length });
  const count = app.task({ name: "t.count", args: z.tuple([]), run: () => 1 });

  // Seed 002's chain: each step takes the previous result first; the handle is the last step's.
  const stored: AsyncResult<string> = await chain(fetchPage.s("https://example.org"), parsePage.s(), storePage.s("https://example.org")).delay();
  const parent: AsyncResult | undefined = stored.parent;
  const id: string = chain(add.s(1, 2), add.s(3)).delayOnCommit();
  // An immutable step takes whatever comes before it.
  await chain(add.s(1, 2), count.si()).delay();

  // @ts-expect-error parsePage takes a string, add gives a number
  await chain(add.s(1, 2), parsePage.s()).delay();
  // @ts-expect-error the first step has no previous result: it needs every argument
  await chain(parsePage.s(), storePage.s("u")).delay();
  // @ts-expect-error a step with every argument given cannot also take the previous result
  await chain(add.s(1, 2), add.s(3, 4)).delay();
  // @ts-expect-error storePage's own argument is a string
  await chain(fetchPage.s("u"), parsePage.s(), storePage.s(42)).delay();

  const g: GroupResult<[number, number]> = await group(add.s(1, 2), add.s(3, 4)).delay();
  const values: [number, number] = await g.get();
  // @ts-expect-error a group's member needs every argument
  group(add.s(1));

  const total: AsyncResult<number> = await chord(group(add.s(1, 2), add.s(3, 4)), sum.s()).delay();
  // @ts-expect-error the callback takes the members' results (numbers), not a string
  chord(group(add.s(1, 2)), parsePage.s());
  return { stored, parent, id, values, total };
}
