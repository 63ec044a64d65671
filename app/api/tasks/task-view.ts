/**
 * One task's state as the HTTP API shows it: the body of GET /api/tasks/[id] and of each `state` event of
 * GET /api/tasks/[id]/events (one presenter, so the two never drift apart).
 *
 *   SUCCESS                     { id, name, status, result }
 *   FAILURE, REVOKED, RETRY     { id, name, status, error: { type, message } }   (never the stack)
 *   PENDING, STARTED            { id, name, status }
 *
 * No record (an id nobody sent, or one still queued) is `{ id, name: null, status: "PENDING" }`, as in Celery.
 */
import { EXCEPTION_STATES, States, type TaskRecord, type TaskState } from "@/lib/celeriac";
import { HttpError } from "@/lib/http";

export interface TaskView {
  id: string;
  name: string | null;
  status: TaskState;
  result?: unknown;
  error?: { type: string; message: string };
}

const TASK_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/** The `[id]` route parameter, checked: anything but 1 to 200 of `[A-Za-z0-9_.-]` is a 400. */
export function taskIdParam(id: string): string {
  if (!TASK_ID.test(id)) throw new HttpError(400, "invalid task id: use 1 to 200 letters, digits, '_', '.' or '-'");
  return id;
}

/** What the API shows of task `id`'s record (null: nothing recorded yet, PENDING). */
export function taskView(id: string, record: TaskRecord | null): TaskView {
  if (!record) return { id, name: null, status: States.PENDING };
  const { name, status } = record;
  if (status === States.SUCCESS) return { id, name, status, result: record.result };
  if (EXCEPTION_STATES.has(status)) {
    const error = { type: record.error?.type ?? "Error", message: record.error?.message ?? "unknown error" };
    return { id, name, status, error };
  }
  return { id, name, status };
}
