/**
 * The Queues area (Flower's broker page, Bull Board's queues): every known queue (served by a live worker
 * or holding jobs) with its jobs by state, and the operator's levers on one queue:
 *
 *   GET  queues                   QueueRow[]
 *   POST queues/:name/pause       ActionBody → ActionReply (BullMQ's own pause: workers take nothing new)
 *   POST queues/:name/resume      ActionBody → ActionReply
 *   POST queues/:name/purge       PurgeBody → ActionReply: deletes waiting and delayed jobs; 409 when their
 *                                 count is no longer the `expected` one the confirmation stated
 *
 * A queue nobody serves and that holds nothing is not known: 404.
 */
import { z } from "zod";
import { knownQueues, purge, purgeable } from "../../inspect/inspect.js";
import type { QueueRow } from "../api-types.js";
import { actionBodySchema, requestKeySchema, type DashboardContext } from "../context.js";
import { HttpError, jsonReply } from "../http.js";
import type { ApiRoute } from "../router.js";

const purgeSchema = z.object({ requestKey: requestKeySchema, expected: z.number().int().min(0) }).strict();

/** The queues as the API lists them (the overview and the feed show the same). */
export async function queueRows({ app, presenter }: DashboardContext): Promise<QueueRow[]> {
  const names = await knownQueues(app.broker);
  return Promise.all(names.map(async (name) => presenter.queueRow(name, await app.broker.queueCounts(name))));
}

const plural = (n: number) => `${n} task${n === 1 ? "" : "s"}`;

export function queueRoutes(ctx: DashboardContext): ApiRoute[] {
  const { app, actions } = ctx;

  const requireQueue = async (name: string) => {
    if (!(await knownQueues(app.broker)).includes(name)) throw new HttpError(404, `no queue named ${JSON.stringify(name)}`);
  };

  const toggle = (path: "pause" | "resume"): ApiRoute => ({
    method: "POST",
    path: `queues/:name/${path}`,
    async handle({ params, body, actor }) {
      const { requestKey } = await body(actionBodySchema);
      const name = params.name;
      return actions.run({ actor, action: `queue.${path}`, target: name, requestKey }, async () => {
        await requireQueue(name);
        if (path === "pause") await app.broker.pauseQueue(name);
        else await app.broker.resumeQueue(name);
        return { body: { ok: true, message: path === "pause" ? `paused ${name}: workers take no new task from it` : `resumed ${name}` } };
      });
    },
  });

  return [
    { method: "GET", path: "queues", handle: async () => jsonReply(await queueRows(ctx)) },
    toggle("pause"),
    toggle("resume"),
    {
      method: "POST",
      path: "queues/:name/purge",
      async handle({ params, body, actor }) {
        const { requestKey, expected } = await body(purgeSchema);
        const name = params.name;
        return actions.run({ actor, action: "queue.purge", target: name, requestKey, detail: { expected } }, async () => {
          await requireQueue(name);
          const waiting = await purgeable(app.broker, [name]);
          if (waiting !== expected) {
            throw new HttpError(409, `${plural(waiting)} wait in ${name} now, not the ${expected} you confirmed: look again before purging`, "expected");
          }
          const { total } = await purge(app.broker, [name]);
          return { body: { ok: true, message: `purged ${plural(total)} from ${name}` }, detail: { purged: total } };
        });
      },
    },
  ];
}
