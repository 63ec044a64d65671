/**
 * GET /api/tasks/[id]: one task's state, read from the result store, as `taskView()` presents it
 * (app/api/tasks/task-view.ts):
 *
 *   SUCCESS                     { id, name, status, result }
 *   FAILURE, REVOKED, RETRY     { id, name, status, error: { type, message } }   (never the stack)
 *   PENDING, STARTED            { id, name, status }
 *
 * An id nobody sent answers 200 `{ id, name: null, status: "PENDING" }`, as in Celery: the result store
 * has no row for a task until a worker takes it, so "queued", "scheduled for later" and "unknown" all
 * read as PENDING. An id that is not a valid task id is a 400. GET /api/tasks/[id]/events streams the same
 * body at each state change.
 */
import { AsyncResult } from "@/lib/celery";
import { route } from "@/lib/http";
import { taskIdParam, taskView } from "../task-view";

export const dynamic = "force-dynamic";

export const GET = route(async (_request, { params }: { params: Promise<{ id: string }> }) => {
  const id = taskIdParam((await params).id);
  return Response.json(taskView(id, await AsyncResult.from(id).info()));
});
