/**
 * One task's state as the HTTP API shows it: the body of GET /api/tasks/[id] and of each `state` event of
 * GET /api/tasks/[id]/events (one presenter, so the two never drift apart), and who gets it.
 *
 *   SUCCESS                     { id, name, status, result }
 *   FAILURE, REVOKED, RETRY     { id, name, status, error: { type, message } }   (never the stack)
 *                               + chainStoppedBy: <id> for a chain's step that never ran, stopped by that step's failure
 *   PROGRESS                    { id, name, status, progress: { current, total, message? } }   (ctx.progress())
 *   PENDING, STARTED            { id, name, status }
 *
 * Only to a viewer who may read the result (lib/result-access.ts canRead). To anyone else, and for an id
 * with no row at all, both routes answer the same 404 `{ error: "task not found" }`: the answer never tells
 * whether an id exists, nor does its timing: the routes read through `readScope(viewer)` (lib/result-access.ts), so the store
 * skips someone else's row as it skips a missing one, its arguments and result unread.
 */
import { EXCEPTION_STATES, progressOf, States, taskIdProblem, type TaskProgress, type TaskRecord, type TaskState } from "celeriac";
import { HttpError } from "@/lib/http";
import { canRead, type Viewer } from "@/lib/result-access";

export interface TaskView {
  id: string;
  name: string;
  status: TaskState;
  result?: unknown;
  error?: { type: string; message: string };
  progress?: TaskProgress;
  /** A chain's step that never ran: the id of the earlier step whose failure stopped the chain (its error is this one's). */
  chainStoppedBy?: string;
}

/** The `[id]` route parameter, checked against celeriac's task-id rule: anything else is a 400. */
export function taskIdParam(id: string): string {
  const problem = taskIdProblem(id);
  if (problem) throw new HttpError(400, `invalid task id: ${problem}`);
  return id;
}

/** The one answer to an id nobody may read here, whether or not it exists. */
export const TASK_NOT_FOUND = "task not found";

/** The record when `viewer` may read it; else (no row, or not theirs) the 404 that says nothing more. */
export function readableRecord(viewer: Viewer | null, record: TaskRecord | null): TaskRecord {
  if (!record || !canRead(viewer, record)) throw new HttpError(404, TASK_NOT_FOUND);
  return record;
}

/** What the API shows of a task's record. */
export function taskView(record: TaskRecord): TaskView {
  const { id, name, status } = record;
  if (status === States.SUCCESS) return { id, name, status, result: record.result };
  if (status === States.PROGRESS) {
    const progress = progressOf(record.meta);
    return progress ? { id, name, status, progress } : { id, name, status };
  }
  if (EXCEPTION_STATES.has(status)) {
    const error = { type: record.error?.type ?? "Error", message: record.error?.message ?? "unknown error" };
    const stoppedBy = (record.meta as { chainStoppedBy?: unknown } | null)?.chainStoppedBy;
    return typeof stoppedBy === "string" ? { id, name, status, error, chainStoppedBy: stoppedBy } : { id, name, status, error };
  }
  return { id, name, status };
}
