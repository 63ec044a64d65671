/**
 * POST /api/articles `{ title, body }` → 201 `{ article, taskId, status: "PENDING" }`.
 * The article is created in a transaction and `articles.expandAbbreviations` is dispatched on commit with
 * the article's id: it never runs for a rolled-back article, and it reads the row as committed.
 * GET /api/articles → the 20 newest articles.
 */
import { z } from "zod";
import { safeText } from "celeriac";
import { db } from "@/lib/db";
import { transaction } from "@/lib/celery";
import { parseBody, route } from "@/lib/http";
import { requestOwner } from "@/lib/result-access";
import { expandAbbreviations } from "@/tasks/articles";
import { articleBody } from "./fields";

export const dynamic = "force-dynamic";

const body = z.object({
  title: safeText().trim().min(1, "a title is required").max(200),
  body: articleBody,
});

export const POST = route(async (request) => {
  const data = await parseBody(request, body);
  const owner = await requestOwner(request); // read first: the transaction need not wait on it (SQLite has one writer)
  const { article, taskId } = await transaction(async (tx) => {
    const article = await tx.article.create({ data });
    return { article, taskId: expandAbbreviations.applyAsyncOnCommit([article.id], { owner }) };
  });
  return Response.json({ article, taskId, status: "PENDING" }, { status: 201 });
});

export const GET = route(async () => {
  const articles = await db.article.findMany({ orderBy: { id: "desc" }, take: 20 });
  return Response.json({ articles });
});
