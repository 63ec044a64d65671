/**
 * GET /api/articles/[id] → `{ article }`, 404 when there is none.
 * PATCH /api/articles/[id] `{ body }` → `{ article, taskId }`: saves the edit and expands it again on commit.
 */
import { z } from "zod";
import { db } from "@/lib/db";
import { parseDecimalId } from "@/lib/decimal-id";
import { transaction } from "@/lib/celery";
import { HttpError, parseBody, route } from "@/lib/http";
import { requestOwner } from "@/lib/result-access";
import { expandAbbreviations } from "@/tasks/articles";
import { articleBody } from "../fields";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

async function articleId({ params }: Context): Promise<number> {
  const id = parseDecimalId((await params).id);
  if (id === undefined) throw new HttpError(400, "an article id is a positive integer, in decimal");
  return id;
}

export const GET = route(async (_request, context: Context) => {
  const article = await db.article.findUnique({ where: { id: await articleId(context) } });
  if (!article) throw new HttpError(404, "no such article");
  return Response.json({ article });
});

const edit = z.object({ body: articleBody });

export const PATCH = route(async (request, context: Context) => {
  const id = await articleId(context);
  const { body } = await parseBody(request, edit);
  const owner = await requestOwner(request); // read first: the transaction need not wait on it (SQLite has one writer)
  const result = await transaction(async (tx) => {
    const { count } = await tx.article.updateMany({ where: { id }, data: { body, expandedAt: null } });
    if (count === 0) throw new HttpError(404, "no such article");
    return { article: await tx.article.findUniqueOrThrow({ where: { id } }), taskId: expandAbbreviations.applyAsyncOnCommit([id], { owner }) };
  });
  return Response.json(result);
});
