/**
 * The Overview (`GET overview`, and the feed's `overview` event): the numbers an operator looks at first.
 * Outcome counts of the last hour and day, the failure rate, tasks finished per minute over the last hour,
 * runtime percentiles per task, the queues, the workers online, beat's leader and the latest actions.
 */
import type { Overview } from "../api-types.js";
import type { DashboardContext } from "../context.js";
import { jsonReply } from "../http.js";
import type { ApiRoute } from "../router.js";
import { beatLeaderOf } from "./periodic-tasks.js";
import { queueRows } from "./queues.js";

const HOUR_MS = 3600_000;
/** Audit entries the overview lists. */
const RECENT_ACTIONS = 10;

export async function overview(ctx: DashboardContext, now = new Date()): Promise<Overview> {
  const { app, presenter } = ctx;
  const hourAgo = new Date(now.getTime() - HOUR_MS);
  const [lastHour, lastDay, perMinute, runtimes, queues, heartbeats, beatLeader, recent] = await Promise.all([
    app.taskQueries.outcomes(hourAgo),
    app.taskQueries.outcomes(new Date(now.getTime() - 24 * HOUR_MS)),
    app.taskQueries.perMinute(hourAgo, now),
    app.taskQueries.runtimes(hourAgo),
    queueRows(ctx),
    app.broker.heartbeats(),
    beatLeaderOf(ctx),
    app.audit.list({ limit: RECENT_ACTIONS }),
  ]);
  const finished = lastHour.succeeded + lastHour.failed;
  return {
    now: now.toISOString(),
    lastHour,
    lastDay,
    failureRate: finished === 0 ? null : lastHour.failed / finished,
    queues,
    workersOnline: heartbeats.length,
    beatLeader,
    perMinute: perMinute.map(({ minute, ...counts }) => ({ minute: minute.toISOString(), ...counts })),
    runtimes,
    recentActions: recent.entries.map((entry) => presenter.auditEntry(entry)),
  };
}

export function overviewRoutes(ctx: DashboardContext): ApiRoute[] {
  return [{ method: "GET", path: "overview", handle: async () => jsonReply(await overview(ctx)) }];
}
