/**
 * GET /api/tasks/[id]/events: the task's state as server-sent events, for `new EventSource(url)`.
 *
 *   event: state            the state now, then one at each change (PENDING → STARTED → PROGRESS… → SUCCESS;
 *                           each progress report is a change: PROGRESS after PROGRESS, with the same id)
 *   id: <status>            data: the JSON body GET /api/tasks/[id] answers (taskView(), never the stack)
 *   data: {"id":…,"name":…,"status":…}
 *
 *   event: end              after the finished state (SUCCESS, FAILURE, REVOKED); then the stream closes.
 *   data: {"id":…,"status":…}   Close the EventSource on it (or on the finished state), or it reconnects.
 *
 *   : keep-alive            a comment every 15 s, so proxies keep an idle stream open.
 *
 * A reconnection whose `Last-Event-ID` is a finished state (an EventSource that was not closed after
 * `end`) answers 204, which tells EventSource to stop reconnecting: it has seen how the task ended, and a
 * finished state never changes. A malformed id is a 400 JSON answer, like GET /api/tasks/[id], before any
 * stream starts (EventSource reports it as an error and does not retry). So is the 404 of GET
 * /api/tasks/[id], to the same viewers, for an id with no row and for someone else's task alike: the
 * first state is read (through the viewer's scope, as GET /api/tasks/[id] reads it) before the answer,
 * then checked. A store that fails there answers with route()'s JSON error instead of an empty stream; a
 * failure later ends the stream (logged), and the browser reconnects; so does a record that stops being
 * readable (deleted, or sent again by someone else). When the client goes away (request.signal), the
 * changes() generator is aborted and its watch on the task is dropped.
 */
import { READY_STATES, type TaskRecord, type TaskState } from "celeriac";
import { eventStreamOf, SSE_HEADERS, sseEvent } from "celeriac/web";
import { AsyncResult, celeriac } from "@/lib/celery";
import { route } from "@/lib/http";
import { canRead, readScope, viewerOf, type Viewer } from "@/lib/result-access";
import { readableRecord, taskIdParam, taskView } from "../../task-view";

export const dynamic = "force-dynamic";

type Changes = AsyncGenerator<TaskRecord | null, void>;

/** The stream's events: a `state` for `first` and each later change, then `end` after a finished state. */
async function* taskEvents(viewer: Viewer | null, id: string, first: TaskRecord, changes: Changes): AsyncGenerator<string, void> {
  try {
    for (let record: TaskRecord | null | void = first; record && canRead(viewer, record); record = (await changes.next()).value) {
      const view = taskView(record);
      yield sseEvent({ event: "state", id: view.status, data: JSON.stringify(view) });
      if (READY_STATES.has(view.status)) {
        yield sseEvent({ event: "end", data: JSON.stringify({ id, status: view.status }) });
        return;
      }
    }
  } finally {
    await changes.return();
  }
}

export const GET = route(async (request, { params }: { params: Promise<{ id: string }> }) => {
  const id = taskIdParam((await params).id);
  if (READY_STATES.has(request.headers.get("last-event-id") as TaskState)) return new Response(null, { status: 204 });

  const stop = new AbortController(); // the stream's own end (its reader cancelled), besides the client's
  const signal = AbortSignal.any([request.signal, stop.signal]);
  const viewer = await viewerOf(request);
  const changes = AsyncResult.from(id, readScope(viewer)).changes({ signal });
  let first: TaskRecord;
  try {
    first = readableRecord(viewer, (await changes.next()).value ?? null);
  } catch (error) {
    await changes.return().catch(() => {}); // no stream: drop the watch on the task now
    throw error;
  }
  const body = eventStreamOf(taskEvents(viewer, id, first, changes), {
    signal,
    // Abort settles a pending read; return() closes changes even if taskEvents never started (then its finally does not run).
    onStop: () => {
      stop.abort();
      void changes.return().catch(() => {});
    },
    onError: (err) => celeriac.log.error({ err, taskId: id }, "task event stream failed"),
  });
  return new Response(body, { headers: SSE_HEADERS });
});
