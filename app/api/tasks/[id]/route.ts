/**
 * GET /api/tasks/[id]: one task's state, read from the result store.
 *
 *   SUCCESS                     { id, name, status, result }
 *   FAILURE, REVOKED, RETRY     { id, name, status, error: { type, message } }   (never the stack)
 *   PENDING, STARTED            { id, name, status }
 *
 * An id nobody sent answers 200 `{ id, name: null, status: "PENDING" }`, as in Celery: the result store
 * has no row for a task until a worker takes it, so "queued", "scheduled for later" and "unknown" all
 * read as PENDING. An id that is not a valid task id is a 400.
 */
import { EXCEPTION_STATES, States } from "@/lib/celeriac";
import { AsyncResult } from "@/lib/celery";
import { HttpError, route } from "@/lib/http";

export const dynamic = "force-dynamic";

const TASK_ID = /^[A-Za-z0-9_.-]{1,200}$/;

export const GET = route(async (_request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  if (!TASK_ID.test(id)) throw new HttpError(400, "invalid task id: use 1 to 200 letters, digits, '_', '.' or '-'");
  const record = await AsyncResult.from(id).info();
  if (!record) return Response.json({ id, name: null, status: States.PENDING });
  const { name, status } = record;
  if (status === States.SUCCESS) return Response.json({ id, name, status, result: record.result });
  if (EXCEPTION_STATES.has(status)) {
    const error = { type: record.error?.type ?? "Error", message: record.error?.message ?? "unknown error" };
    return Response.json({ id, name, status, error });
  }
  return Response.json({ id, name, status });
});
