/** The article demo against the real app glue: the task reloads the row, so an edit made while it waits is kept. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("articles");
const { celeriac, transaction } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { expandAbbreviations, proofread } = await import("./articles");

let stop: () => Promise<unknown>;

beforeAll(async () => {
  const worker = await celeriac.startWorker({ concurrency: 2 });
  stop = worker.stop;
});
afterAll(async () => {
  await stop();
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

describe("articles.expandAbbreviations", () => {
  it("expands the committed article's body", async () => {
    const { article, taskId } = await transaction(async (tx) => {
      const article = await tx.article.create({ data: { title: "t", body: "Fruit, e.g. apples, etc." } });
      return { article, taskId: expandAbbreviations.delayOnCommit(article.id) };
    });
    expect(await celeriac.AsyncResult.from<typeof expandAbbreviations>(taskId).get({ timeout: 10_000 })).toEqual({ articleId: article.id, changed: true });
    expect(await db.article.findUniqueOrThrow({ where: { id: article.id } })).toMatchObject({
      body: "Fruit, for example apples, and so on",
      expandedAt: expect.any(Date),
    });
  });

  it("keeps an edit made while the task waited in the queue (no stale overwrite)", async () => {
    const { article, taskId } = await transaction(async (tx) => {
      const article = await tx.article.create({ data: { title: "t", body: "first draft, e.g. this" } });
      return { article, taskId: expandAbbreviations.applyAsyncOnCommit([article.id], { countdown: 1 }) };
    });
    await db.article.update({ where: { id: article.id }, data: { body: "second draft, i.e. that" } });
    await celeriac.AsyncResult.from(taskId).get({ timeout: 10_000 });
    expect((await db.article.findUniqueOrThrow({ where: { id: article.id } })).body).toBe("second draft, that is that");
  });
});

describe("articles.proofread", () => {
  it("fails while the body has a TODO, and a retry after the fix succeeds", async () => {
    const article = await db.article.create({ data: { title: "t", body: "Intro. TODO: the ending" } });
    const failed = await proofread.delay(article.id);
    await expect(failed.get({ timeout: 10_000 })).rejects.toThrow(`article ${article.id} still has a TODO`);
    expect(await failed.info()).toMatchObject({ status: "FAILURE", error: { type: "DraftNotReadyError" } });

    await db.article.update({ where: { id: article.id }, data: { body: "Intro. The ending." } });
    const fixed = await proofread.delay(article.id);
    expect(await fixed.get({ timeout: 10_000 })).toEqual({ articleId: article.id, words: 3 });
  });
});
