/**
 * Seed 002's article example: after an article is saved, a task rewrites its abbreviations. It receives
 * the article's id, never the article: it loads the current row when it runs, and it writes back only if
 * nobody edited the article meanwhile (otherwise it reloads and expands the newer text).
 *
 * `articles.proofread` is the dashboard's failure story (issue 13): it fails while the article's body
 * still has a TODO in it, so an operator sees the FAILURE and its stack at /admin/tasks, fixes the
 * article (PATCH /api/articles/<id>) and retries the task from its page; the retry reads the fixed row.
 * Nothing dispatches it on its own: send it from the dashboard ("Send a task") or with `.delay(id)`.
 */
import { z } from "zod";
import { db } from "@/lib/db";
import { task } from "@/lib/celery";

const ABBREVIATIONS: Record<string, string> = {
  "e.g.": "for example",
  "i.e.": "that is",
  "etc.": "and so on",
  "w.r.t.": "with respect to",
  asap: "as soon as possible",
  fyi: "for your information",
  btw: "by the way",
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const PATTERN = new RegExp(
  `(?<![\\w.])(${Object.keys(ABBREVIATIONS).map(escape).join("|")})(?![\\w])`,
  "gi",
);

export function expand(text: string): string {
  return text.replace(PATTERN, (match) => ABBREVIATIONS[match.toLowerCase()] ?? match);
}

const MAX_ATTEMPTS = 5;

export const expandAbbreviations = task({
  name: "articles.expandAbbreviations",
  args: z.tuple([z.number().int().positive()]),
  async run(ctx, articleId) {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const article = await db.article.findUnique({ where: { id: articleId } });
      if (!article) return { articleId, changed: false, reason: "deleted" };
      const body = expand(article.body);
      // Optimistic concurrency: the write applies only to the version that was read.
      const { count } = await db.article.updateMany({
        where: { id: articleId, updatedAt: article.updatedAt },
        data: { body, expandedAt: new Date() },
      });
      if (count === 1) return { articleId, changed: body !== article.body };
      ctx.log.info({ articleId, attempt }, "article edited while expanding; reloading");
    }
    throw new Error(`article ${articleId} kept changing; gave up after ${MAX_ATTEMPTS} attempts`);
  },
});

/** A nightly sweep (lib/celery.ts beatSchedule): one expandAbbreviations per article never expanded. */
export const expandPending = task({
  name: "articles.expandPending",
  args: z.tuple([]),
  async run() {
    const pending = await db.article.findMany({ where: { expandedAt: null }, select: { id: true } });
    for (const { id } of pending) await expandAbbreviations.delay(id);
    return { dispatched: pending.length };
  },
});

/** Why proofreading refused an article: named, so the dashboard shows the error's type. */
export class DraftNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DraftNotReadyError";
  }
}

/** The article's word count once its body has no TODO left; fails (no retry) while it has one. */
export const proofread = task({
  name: "articles.proofread",
  args: z.tuple([z.number().int().positive()]),
  async run(_ctx, articleId) {
    const article = await db.article.findUnique({ where: { id: articleId } });
    if (!article) throw new DraftNotReadyError(`article ${articleId} does not exist`);
    if (/\bTODO\b/.test(article.body)) throw new DraftNotReadyError(`article ${articleId} still has a TODO: edit it, then retry`);
    return { articleId, words: article.body.split(/\s+/).filter(Boolean).length };
  },
});
