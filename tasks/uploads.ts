/**
 * Seed 001's exercise 5.2: an uploaded file processed in the background. POST /api/uploads stores the CSV
 * under UPLOAD_DIR and dispatches `uploads.processUpload(uploadId)` on commit; the task gets the row's id,
 * never the file or the row: it loads the row when it runs, streams the file through the summary
 * (lib/csv-summary.ts: never the whole file in memory), reports how many bytes it has read as the task's
 * progress, and writes the summary on the row (status done), or the reason on it (status failed).
 */
import { createReadStream } from "node:fs";
import { z } from "zod";
import type { TaskContext } from "celeriac";
import { db } from "@/lib/db";
import { task } from "@/lib/celery";
import { CsvSummaryError, summarizeCsv, type CsvSummary } from "@/lib/csv-summary";
import { uploadPath } from "@/lib/upload-files";

/** The states of Upload.status, in order. */
export const UploadStatus = { RECEIVED: "received", PROCESSING: "processing", DONE: "done", FAILED: "failed" } as const;

/** Why an upload could not be summarised: named, so the dashboard and the page show the error's type. */
export class UploadFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UploadFailedError";
  }
}

/** What the task returns (the whole summary is on the row: GET /api/uploads/[id]). */
export interface UploadOutcome {
  uploadId: string;
  rows: number;
  columns: number;
  malformed: number;
}

function outcomeOf(uploadId: string, summary: CsvSummary): UploadOutcome {
  return { uploadId, rows: summary.rows, columns: summary.columns.length, malformed: summary.malformed };
}

/** celeriac's TaskProgress (issue 14, item 7: ctx.progress), which the framework is gaining. */
interface Progress {
  current: number;
  total: number;
  message?: string;
}

/** ctx.progress(); a no-op on a framework without it yet. */
function reportProgress(ctx: TaskContext, progress: Progress): void {
  (ctx as TaskContext & { progress?: (progress: Progress) => void }).progress?.(progress);
}

/** What an error reading or summarising the file means for the person who uploaded it. */
function reasonOf(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return "the uploaded file is no longer in UPLOAD_DIR";
  if (error instanceof CsvSummaryError) return error.message;
  return `the file could not be read: ${(error as Error).message}`;
}

export const processUpload = task({
  name: "uploads.processUpload",
  args: z.tuple([z.uuid()]),
  async run(ctx, uploadId): Promise<UploadOutcome> {
    const upload = await db.upload.findUnique({ where: { id: uploadId } });
    if (!upload) throw new UploadFailedError(`upload ${uploadId} does not exist`);
    // Delivered again after it finished (a worker lost after the write): the row has the answer.
    if (upload.status === UploadStatus.DONE) return outcomeOf(uploadId, upload.summary as unknown as CsvSummary);
    await db.upload.update({ where: { id: uploadId }, data: { status: UploadStatus.PROCESSING, error: null } });
    let summary: CsvSummary;
    try {
      summary = await summarizeCsv(createReadStream(uploadPath(uploadId)), {
        onBytes: (current) => reportProgress(ctx, { current, total: upload.size, message: "reading rows" }),
      });
    } catch (error) {
      const reason = reasonOf(error);
      await db.upload.update({ where: { id: uploadId }, data: { status: UploadStatus.FAILED, error: reason, doneAt: new Date() } });
      throw new UploadFailedError(reason);
    }
    await db.upload.update({ where: { id: uploadId }, data: { status: UploadStatus.DONE, summary: summary as object, doneAt: new Date() } });
    return outcomeOf(uploadId, summary);
  },
});
