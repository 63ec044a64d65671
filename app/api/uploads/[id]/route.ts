/**
 * GET /api/uploads/[id] → `{ upload: { id, filename, size, status, summary, error, taskId, createdAt, doneAt } }`:
 * status received → processing → done (summary: lib/csv-summary.ts's CsvSummary) or failed (error).
 * To its owner only, by lib/result-access.ts's rule (the uploader; anyone holding the id of an anonymous
 * upload; staff): anyone else, and an id with no upload, get the same 404. An id that is not a UUID is a 400.
 */
import { z } from "zod";
import { db } from "@/lib/db";
import { HttpError, route } from "@/lib/http";
import { ANYONE, canRead, userOwner, viewerOf } from "@/lib/result-access";

export const dynamic = "force-dynamic";

const uploadId = z.uuid();

export const GET = route(async (request, { params }: { params: Promise<{ id: string }> }) => {
  const id = uploadId.safeParse((await params).id);
  if (!id.success) throw new HttpError(400, "an upload id is a UUID");
  const viewer = await viewerOf(request);
  const upload = await db.upload.findUnique({
    where: { id: id.data },
    select: { id: true, filename: true, size: true, status: true, summary: true, error: true, taskId: true, userId: true, createdAt: true, doneAt: true },
  });
  if (!upload || !canRead(viewer, { owner: upload.userId === null ? ANYONE : userOwner(upload.userId) })) throw new HttpError(404, "no such upload");
  const { userId: _owner, ...shown } = upload;
  return Response.json({ upload: shown });
});
