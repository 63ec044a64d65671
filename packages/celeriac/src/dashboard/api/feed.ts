/**
 * `GET events`: the live feed (api-types.ts FeedEvents) as server-sent events, from the dashboard's one
 * FeedHub: task rows as the result store announces them, workers, queues, periodic tasks and the overview
 * when they change. The stream ends when the client goes away (the request's signal) or the dashboard closes.
 */
import { eventStream, SSE_HEADERS } from "../../web/sse.js";
import { onRecords } from "../announcements.js";
import type { DashboardContext } from "../context.js";
import { FeedHub } from "../feed.js";
import type { ApiRoute } from "../router.js";
import { overview } from "./overview.js";
import { periodicRows } from "./periodic-tasks.js";
import { queueRows } from "./queues.js";
import { workerRows } from "./workers.js";

/** How long a browser waits before reconnecting a dropped feed. */
const RECONNECT_MS = 2000;

export function feedHub(ctx: DashboardContext): FeedHub {
  const { app, presenter, log } = ctx;
  return new FeedHub(
    {
      poll: {
        workers: () => workerRows(ctx),
        queues: () => queueRows(ctx),
        periodic: async () => periodicRows(ctx, await app.periodicTasks.list()),
        overview: () => overview(ctx),
      },
      // The overview's clock and the workers' uptimes move on their own: not a change worth an event.
      changeKey: {
        overview: ({ now: _now, ...rest }) => rest,
        workers: (rows) => rows.map(({ uptimeS: _uptime, ...row }) => row),
      },
      onTasks: (listener) =>
        onRecords(
          app,
          // A worker's write does not carry the retry link (only the dashboard's linkRetry sets it): the page keeps the one it has.
          (records) => listener(records.map((record) => presenter.taskRowOfRecord(record, null))),
          (error) => log.warn({ err: error }, "dashboard feed: could not read announced task rows"),
        ),
    },
    log,
  );
}

export function feedRoutes(hub: FeedHub): ApiRoute[] {
  return [
    {
      method: "GET",
      path: "events",
      async handle({ request }) {
        if (request.method === "HEAD") return new Response(null, { headers: SSE_HEADERS });
        let unsubscribe: (() => void) | undefined;
        const stream = eventStream({ signal: request.signal, onClose: () => unsubscribe?.() });
        stream.send(`retry: ${RECONNECT_MS}\n: celeriac dashboard feed\n\n`);
        // A request already aborted ended the stream at once: then nothing subscribes.
        if (!stream.closed) unsubscribe = hub.subscribe(stream);
        return new Response(stream.body, { headers: SSE_HEADERS });
      },
    },
  ];
}
