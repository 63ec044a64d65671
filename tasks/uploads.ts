/**
 * Seed 001's exercise 5.2: an uploaded file processed in the background. POST /api/uploads stores the CSV
 * under UPLOAD_DIR and dispatches `uploads.processUpload(uploadId)` on commit; the task gets the row's id,
 * never the file or the row: it loads the row when it runs, streams the file through the summary
 * (lib/csv-summary.ts: never the whole file in memory), reports how many bytes it has read as the task's
 * progress, and writes the summary on the row (status done), or the reason on it (status failed).
 *
 * A file of UPLOAD_FAN_OUT_BYTES or more (32 MiB by default) is fanned out instead: processUpload finds
 * where its records end (lib/csv-ranges.ts, one quick pass), cuts it into UPLOAD_FAN_OUT_PARTS parts and
 * sends `chord(group(processUploadPart × parts), finishUpload)`, then returns the callback's task id
 * (`finishTaskId`) at once; the parts are summarised in parallel by whichever workers are free, and
 * finishUpload merges their summaries (mergeSummaries: exactly the whole file's) and writes the row. A
 * part that fails for good marks the upload failed (its linkError, failUpload), and the chord fails.
 */
import { createReadStream } from "node:fs";
import { buffer } from "node:stream/consumers";
import { z } from "zod";
import { chord, group } from "celeriac";
import { AsyncResult, task } from "@/lib/celery";
import { csvLayout, parseHeader } from "@/lib/csv-ranges";
import { CsvSummaryError, mergeSummaries, summarizeCsv, type CsvSummary } from "@/lib/csv-summary";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { ANYONE, userOwner } from "@/lib/result-access";
import { uploadPath } from "@/lib/upload-files";

/** The states of Upload.status, in order. */
export const UploadStatus = { RECEIVED: "received", PROCESSING: "processing", DONE: "done", FAILED: "failed" } as const;

/** How many parts a fanned-out file is cut into (a worker's default concurrency serves 4 at once on most machines). */
export const UPLOAD_FAN_OUT_PARTS = 4;

/** Why an upload could not be summarised: named, so the dashboard and the page show the error's type. */
export class UploadFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UploadFailedError";
  }
}

/** What processUpload returns: the outcome, or (a fanned-out file) the task that will have it. */
export type UploadOutcome =
  | { uploadId: string; status: "done"; rows: number; columns: number; malformed: number }
  | { uploadId: string; status: "fanned out"; parts: number; finishTaskId: string };

function doneOutcome(uploadId: string, summary: CsvSummary): UploadOutcome & { status: "done" } {
  return { uploadId, status: "done", rows: summary.rows, columns: summary.columns.length, malformed: summary.malformed };
}

/** What an error reading or summarising the file means for the person who uploaded it. */
function reasonOf(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return "the uploaded file is no longer in UPLOAD_DIR";
  if (error instanceof CsvSummaryError) return error.message;
  return `the file could not be read: ${(error as Error).message}`;
}

async function markDone(uploadId: string, summary: CsvSummary) {
  await db.upload.update({ where: { id: uploadId }, data: { status: UploadStatus.DONE, summary: summary as object, error: null, doneAt: new Date() } });
  return doneOutcome(uploadId, summary);
}

/** Records why the upload failed (the first reason: a second failing part does not overwrite it). */
async function markFailed(uploadId: string, reason: string): Promise<void> {
  await db.upload.updateMany({ where: { id: uploadId, status: { not: UploadStatus.FAILED } }, data: { status: UploadStatus.FAILED, error: reason, doneAt: new Date() } });
}

/** `run`'s result, or the upload marked failed with the reason of what it threw. */
async function orFail<T>(uploadId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const reason = reasonOf(error);
    await markFailed(uploadId, reason);
    throw new UploadFailedError(reason);
  }
}

const uploadId = z.uuid();

export const processUpload = task({
  name: "uploads.processUpload",
  args: z.tuple([uploadId]),
  async run(ctx, id): Promise<UploadOutcome> {
    const upload = await db.upload.findUnique({ where: { id } });
    if (!upload) throw new UploadFailedError(`upload ${id} does not exist`);
    // Delivered again after it finished (a worker lost after the write): the row has the answer.
    if (upload.status === UploadStatus.DONE) return doneOutcome(id, upload.summary as unknown as CsvSummary);
    await db.upload.update({ where: { id }, data: { status: UploadStatus.PROCESSING, error: null } });
    const path = uploadPath(id);
    const total = upload.size;

    if (total >= env.UPLOAD_FAN_OUT_BYTES) {
      const layout = await orFail(id, () => csvLayout(createReadStream(path), Math.ceil(total / UPLOAD_FAN_OUT_PARTS)));
      if (layout.parts.length > 1) {
        const header = parseHeader(await orFail(id, () => buffer(createReadStream(path, { start: 0, end: layout.header.end - 1 }))));
        ctx.progress({ current: 0, total, message: `summarising in ${layout.parts.length} parts` });
        const parts = layout.parts.map(({ start, end }) => processUploadPart.s(id, header, start, end).linkError(failUpload.s(id)));
        const owner = upload.userId === null ? ANYONE : userOwner(upload.userId);
        const finish = await chord(group(...parts), finishUpload.s(id)).applyAsync({ owner });
        return { uploadId: id, status: "fanned out", parts: parts.length, finishTaskId: finish.id };
      }
    }

    const summary = await orFail(id, () =>
      summarizeCsv(createReadStream(path), { onBytes: (current) => ctx.progress({ current, total, message: "reading rows" }) }),
    );
    return markDone(id, summary);
  },
});

/** One part of a fanned-out file: the summary of bytes [start, end), records of the file's header. */
export const processUploadPart = task({
  name: "uploads.processUploadPart",
  args: z.tuple([uploadId, z.array(z.string()), z.number().int().nonnegative(), z.number().int().positive()]),
  async run(ctx, id, header, start, end): Promise<CsvSummary> {
    const total = end - start;
    const input = createReadStream(uploadPath(id), { start, end: end - 1 });
    return summarizeCsv(input, { header, onBytes: (current) => ctx.progress({ current, total, message: "reading rows" }) }).catch((error: unknown) => {
      throw new UploadFailedError(reasonOf(error));
    });
  },
});

/** The chord's callback: the parts' summaries, in file order, merged into the file's and written on the row. */
export const finishUpload = task({
  name: "uploads.finishUpload",
  args: z.tuple([z.array(z.custom<CsvSummary>((value) => typeof value === "object" && value !== null)), uploadId]),
  async run(_ctx, summaries, id) {
    return markDone(id, mergeSummaries(summaries));
  },
});

/** A part's linkError: the upload failed, for the part's reason. */
export const failUpload = task({
  name: "uploads.failUpload",
  args: z.tuple([z.string(), uploadId]),
  async run(_ctx, failedTaskId, id) {
    const failed = await AsyncResult.from(failedTaskId).info();
    await markFailed(id, failed?.error?.message ?? `part ${failedTaskId} failed`);
    return { uploadId: id, failedTaskId };
  },
});
