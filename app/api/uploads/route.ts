/**
 * POST /api/uploads (multipart/form-data, the CSV in the field `file`, at most 50 MB) → 202 `{ id, taskId }`
 * at once: the file is streamed to UPLOAD_DIR/<id>.csv (lib/upload-receive.ts), then one transaction creates
 * the Upload row and dispatches `uploads.processUpload(id)` on commit (tasks/uploads.ts). Follow the task at
 * GET /api/tasks/<taskId>/events (its progress included), read the summary at GET /api/uploads/<id>.
 *
 * Refused with `{ error }` and nothing stored (no file, no row): 413 too large, 415 not multipart or not a
 * .csv, 422 not CSV inside (binary, not UTF-8, unparseable) or empty, 400 no file; 403 cross-site, and a
 * request with neither Origin nor Sec-Fetch-Site (route()'s `streamedBody`: a form could send multipart).
 * Anyone may upload, as anyone may write an article: a logged-in user's upload and its task are theirs
 * alone, an anonymous one belongs to whoever holds its ids (lib/result-access.ts).
 */
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { transaction } from "@/lib/celery";
import { route } from "@/lib/http";
import { ANYONE, userOwner, viewerOf } from "@/lib/result-access";
import { uploadDir, uploadPath } from "@/lib/upload-files";
import { receiveCsv } from "@/lib/upload-receive";
import { processUpload } from "@/tasks/uploads";

export const dynamic = "force-dynamic";

export const POST = route(
  async (request) => {
    const viewer = await viewerOf(request);
    const id = randomUUID();
    const path = uploadPath(id, await uploadDir());
    const { filename, size } = await receiveCsv(request, path);
    try {
      const taskId = await transaction(async (tx) => {
        const taskId = processUpload.applyAsyncOnCommit([id], { owner: viewer ? userOwner(viewer.userId) : ANYONE });
        await tx.upload.create({ data: { id, filename, size, taskId, userId: viewer?.userId ?? null } });
        return taskId;
      });
      return Response.json({ id, taskId }, { status: 202 });
    } catch (error) {
      await rm(path, { force: true }); // no row, no file
      throw error;
    }
  },
  { streamedBody: true },
);
