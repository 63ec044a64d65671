/**
 * The Workers area (Flower's workers page), from the broker's records of the workers seen in the last hour:
 *
 *   GET  workers                 WorkerRow[]: online, offline (went silent) and stopped workers
 *   POST workers/:id/shutdown    ActionBody → ActionReply: warm shutdown (`celery control shutdown`); 404 unknown or not online
 */
import type { WorkerRow } from "../api-types.js";
import { actionBodySchema, type DashboardContext } from "../context.js";
import { HttpError, jsonReply } from "../http.js";
import type { ApiRoute } from "../router.js";

/** The workers as the API lists them (the feed sends the same). */
export async function workerRows({ app, presenter }: DashboardContext, now = Date.now()): Promise<WorkerRow[]> {
  return (await app.broker.workersSeen()).map((seen) => presenter.workerRow(seen, now));
}

export function workerRoutes(ctx: DashboardContext): ApiRoute[] {
  const { app, actions } = ctx;
  return [
    {
      method: "GET",
      path: "workers",
      handle: async () => jsonReply(await workerRows(ctx)),
    },
    {
      method: "POST",
      path: "workers/:id/shutdown",
      async handle({ params, body, actor }) {
        const { requestKey } = await body(actionBodySchema);
        const id = params.id;
        return actions.run({ actor, action: "worker.shutdown", target: id, requestKey }, async () => {
          const worker = (await app.broker.workersSeen()).find((seen) => seen.heartbeat.id === id);
          if (!worker || worker.state !== "online" || !(await app.broker.shutdownWorker(id))) {
            throw new HttpError(404, worker ? `worker ${worker.heartbeat.hostname} is ${worker.state === "online" ? "no longer online" : worker.state}` : `no worker with id ${id}`);
          }
          return { body: { ok: true, message: `asked ${worker.heartbeat.hostname} (pid ${worker.heartbeat.pid}) to shut down: it finishes its running tasks first` } };
        });
      },
    },
  ];
}
