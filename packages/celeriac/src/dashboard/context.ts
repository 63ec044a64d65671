/**
 * What every API handler of one dashboard shares (made once by createDashboard()), the pieces of input
 * every area checks alike, and the workers' heartbeats, which the Tasks and Periodic tasks areas both read.
 */
import { z } from "zod";
import type { Celeriac } from "../app.js";
import type { WorkerHeartbeat } from "../broker/inspection.js";
import type { Logger } from "../log.js";
import type { ActionLog } from "./actions.js";
import type { KnownTasks } from "./known-tasks.js";
import type { Presenter } from "./presenter.js";

export interface DashboardContext {
  app: Celeriac;
  known: KnownTasks;
  presenter: Presenter;
  actions: ActionLog;
  log: Logger;
}

/** A confirmed action's idempotency key: what the page makes once per click (a UUID fits). */
export const requestKeySchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces, e.g. a UUID");

/**
 * The live workers' heartbeats (the task names they run, beyond this process's), or none when Redis does
 * not answer (logged): the names this process knows are still worth listing and checking against.
 */
export async function liveHeartbeats({ app, log }: DashboardContext): Promise<WorkerHeartbeat[]> {
  return app.broker.heartbeats().catch((error: unknown) => {
    log.warn({ err: error }, "dashboard: could not read the workers' heartbeats; only this process's tasks are known");
    return [];
  });
}

export const actionBodySchema = z.object({ requestKey: requestKeySchema }).strict();

/** The most one bulk retry takes. */
export const BULK_RETRY_LIMIT = 10_000;
