/**
 * GET /api/tasks/[id]: one task's state, read from the result store, as `taskView()` presents it
 * (app/api/tasks/task-view.ts):
 *
 *   SUCCESS                     { id, name, status, result }
 *   FAILURE, REVOKED, RETRY     { id, name, status, error: { type, message } }   (never the stack)
 *   PENDING, STARTED            { id, name, status }
 *
 * To whoever may read it (lib/result-access.ts: its owner, anyone for an anonymous visitor's task, staff).
 * Anyone else gets 404 `{ error: "task not found" }`, exactly what an id nobody sent gets: the session is
 * read first, then the row through the viewer's scope (lib/result-access.ts readScope), one statement that skips
 * someone else's row as it skips a missing one, so neither the answer nor its timing tells them apart. An owned dispatch has its PENDING row when the route that made it answers, so its
 * owner reads PENDING at once. An id that is not a valid task id is a 400. GET /api/tasks/[id]/events
 * streams the same body at each state change.
 */
import { AsyncResult } from "@/lib/celery";
import { route } from "@/lib/http";
import { readScope, viewerOf } from "@/lib/result-access";
import { readableRecord, taskIdParam, taskView } from "../task-view";

export const dynamic = "force-dynamic";

export const GET = route(async (request, { params }: { params: Promise<{ id: string }> }) => {
  const id = taskIdParam((await params).id);
  const viewer = await viewerOf(request);
  const record = await AsyncResult.from(id, readScope(viewer)).info();
  return Response.json(taskView(readableRecord(viewer, record)));
});
