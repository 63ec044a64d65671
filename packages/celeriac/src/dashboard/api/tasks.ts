/**
 * The Tasks area (Flower's tasks API and django-celery-results' admin):
 *
 *   GET  tasks?<TaskQuery>          TaskPage, newest first, keyset pages (`after`)
 *   GET  tasks/facets               TaskFacets: registered names (given tasks, registry, live workers), queues, workers
 *   GET  tasks/retry-count?<query>  RetryCount: the FAILURE/REVOKED rows without a retry yet, what a bulk retry would take
 *   POST tasks/retry                BulkRetryBody → BulkRetryReply; 409 when more rows match than `expected`
 *   POST tasks/apply                ApplyBody → ActionReply; 400 "task" (unknown), "args" (the task's schema)
 *   GET  tasks/:id                  TaskDetail; 404 unknown id
 *   POST tasks/:id/retry            FAILURE/REVOKED only (409), under a new id linked both ways; again, too, for one retried already
 *   POST tasks/:id/revoke           PENDING/RETRY/STARTED/PROGRESS only, `terminate` a running one only (409)
 *
 * A bulk retry takes a failure once (TaskQueries.retriable): the next one of the same filter leaves out the
 * tasks retried already, as Sidekiq's "Retry all" empties its dead set; a retry that failed in turn is taken
 * then. One task's Retry is the operator's own choice, and retries it however often it was.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { queueNameSchema } from "../../config.js";
import { DispatchError } from "../../errors.js";
import type { TaskDetailItem } from "../../results/queries.js";
import { safeText } from "../../safe-text.js";
import { taskIdProblem } from "../../task/id.js";
import type { ActionReply, BulkRetryReply, RetryCount, TaskFacets, TaskPage } from "../api-types.js";
import { actionBodySchema, BULK_RETRY_LIMIT, liveHeartbeats, requestKeySchema, type DashboardContext } from "../context.js";
import { badInput, HttpError, jsonReply } from "../http.js";
import type { ApiRoute } from "../router.js";
import { checkSend, sendTask } from "../send.js";
import { allowedActions } from "../task-actions.js";
import { parseTaskQuery, taskFilterSchema, toTaskFilter } from "../task-query.js";

/** How many retries of one bulk retry are sent at once. */
const BULK_CONCURRENCY = 8;
/** The longest countdown apply accepts: a year. */
const MAX_COUNTDOWN_S = 365 * 24 * 3600;

const applySchema = z
  .object({
    requestKey: requestKeySchema,
    task: safeText().trim().min(1).max(200),
    args: z.array(z.unknown()),
    queue: queueNameSchema.optional(),
    countdown: z.number().finite().min(0).max(MAX_COUNTDOWN_S).optional(),
  })
  .strict();
const revokeSchema = z.object({ requestKey: requestKeySchema, terminate: z.boolean().optional() }).strict();
const bulkRetrySchema = z.object({ requestKey: requestKeySchema, filter: taskFilterSchema, expected: z.number().int().min(0) }).strict();

/** A task id from the path; anything that cannot be one is the same 404 as an unknown id. */
function taskIdParam(id: string): string {
  if (taskIdProblem(id) !== undefined) throw new HttpError(404, `no task with id ${JSON.stringify(id)}`);
  return id;
}

/** A filter as the audit log names it: "status=FAILURE name=emails.sendWelcome" (deterministic: a repeat names it alike). */
function describeFilter(filter: z.output<typeof taskFilterSchema>): string {
  const parts = Object.entries(filter)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? [...value].sort().join(",") : String(value)}`)
    .sort();
  return parts.length === 0 ? "every FAILURE/REVOKED task" : parts.join(" ");
}

/** What retry() reads of a row: a bulk retry's RetriableTask, or one task's detail (whose arguments may not have been stored). */
type Retriable = Pick<TaskDetailItem, "id" | "name" | "args" | "queue" | "owner">;

export function taskRoutes(ctx: DashboardContext): ApiRoute[] {
  const { app, known, presenter, actions } = ctx;

  const requireTask = async (id: string) => {
    const detail = await app.taskQueries.detail(id);
    if (!detail) throw new HttpError(404, `no task with id ${id}`);
    return detail;
  };

  /**
   * Sends `row` again under a new id whose row links back to it: the arguments are checked first (a
   * schema that changed since is a 409: nothing is written), the link is written, then the task is sent;
   * a send that fails leaves the new row REVOKED with the reason, not PENDING forever.
   */
  const retry = async (row: Retriable): Promise<string> => {
    if (!Array.isArray(row.args)) throw new HttpError(409, `task ${row.id}'s arguments were not stored, so it cannot be sent again`);
    const spec = { name: row.name, args: row.args, taskId: randomUUID(), queue: row.queue, owner: row.owner, recordPending: false };
    try {
      checkSend(app, known, spec);
    } catch (error) {
      if (error instanceof DispatchError) throw new HttpError(409, `task ${row.id} cannot be sent again as it was: ${error.message}`);
      throw error;
    }
    await app.taskQueries.linkRetry({ id: spec.taskId, name: row.name, args: row.args, queue: row.queue, owner: row.owner }, row.id);
    try {
      await sendTask(app, known, spec);
    } catch (error) {
      await app.backend.revoked(spec.taskId, `the retry could not be sent: ${(error as Error).message}`).catch(() => {});
      throw error;
    }
    return spec.taskId;
  };

  /**
   * retry() for each row, BULK_CONCURRENCY at a time; a row refused as it was (an HttpError: its arguments
   * no longer fit) is skipped, anything else (the broker away) ends the whole retry.
   */
  const retryEach = async (rows: readonly Retriable[]): Promise<{ retried: number; skipped: string[] }> => {
    let retried = 0;
    const skipped: string[] = [];
    let next = 0;
    const sender = async () => {
      for (let row = rows[next++]; row !== undefined; row = rows[next++]) {
        try {
          await retry(row);
          retried++;
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          skipped.push(row.id);
        }
      }
    };
    await Promise.all(Array.from({ length: BULK_CONCURRENCY }, sender));
    return { retried, skipped };
  };

  const list: ApiRoute = {
    method: "GET",
    path: "tasks",
    async handle({ url }) {
      const { after, limit, ...filter } = parseTaskQuery(url.searchParams);
      const page = await app.taskQueries.list(toTaskFilter(filter), { after, limit });
      return jsonReply({ rows: page.rows.map((row) => presenter.taskRow(row)), next: page.next } satisfies TaskPage);
    },
  };

  const facets: ApiRoute = {
    method: "GET",
    path: "tasks/facets",
    async handle() {
      const [heartbeats, queues, workers] = await Promise.all([
        liveHeartbeats(ctx),
        app.taskQueries.values("queue"),
        app.taskQueries.values("worker"),
      ]);
      return jsonReply({ names: known.namesWith(heartbeats), queues, workers } satisfies TaskFacets);
    },
  };

  const retryCount: ApiRoute = {
    method: "GET",
    path: "tasks/retry-count",
    async handle({ url }) {
      const { after: _after, limit: _limit, ...query } = parseTaskQuery(url.searchParams);
      // One more than a bulk retry takes, so the page can say "more than 10,000".
      const count = await app.taskQueries.retriableCount(toTaskFilter(query), BULK_RETRY_LIMIT + 1);
      return jsonReply({ count, limit: BULK_RETRY_LIMIT } satisfies RetryCount);
    },
  };

  const bulkRetry: ApiRoute = {
    method: "POST",
    path: "tasks/retry",
    async handle({ body, actor }) {
      const { requestKey, filter: query, expected } = await body(bulkRetrySchema);
      return actions.run({ actor, action: "task.bulkRetry", target: describeFilter(query), requestKey, detail: { filter: query, expected } }, async () => {
        const rows = await app.taskQueries.retriable(toTaskFilter(query), BULK_RETRY_LIMIT);
        if (rows.length > expected) {
          throw new HttpError(409, `${rows.length} tasks match now, more than the ${expected} you confirmed: count again before retrying`, "expected");
        }
        const { retried, skipped } = await retryEach(rows);
        const message =
          rows.length === 0
            ? "nothing to retry: no FAILURE or REVOKED task this filter matches is without a retry (a task's own Retry sends it again)"
            : `retried ${retried} task${retried === 1 ? "" : "s"}${skipped.length > 0 ? `; ${skipped.length} could not be sent again as they were (see each task)` : ""}`;
        return { body: { ok: true, message, retried } satisfies BulkRetryReply, detail: { retried, skipped: skipped.slice(0, 20) } };
      });
    },
  };

  const apply: ApiRoute = {
    method: "POST",
    path: "tasks/apply",
    async handle({ body, actor }) {
      const input = await body(applySchema);
      const task = known.get(input.task);
      if (!task) badInput("task", `task: no task named "${input.task}" is registered here; pick one of the registered tasks`);
      const spec = { name: task.name, args: input.args, taskId: randomUUID(), queue: input.queue, countdown: input.countdown };
      // Checked before anything is recorded: the task's schema, JSON-ness and size, as .delay() checks them.
      checkSend(app, known, spec);
      const detail = { task: task.name, args: presenter.args(task.name, input.args), ...(input.queue && { queue: input.queue }), ...(input.countdown && { countdown: input.countdown }) };
      return actions.run({ actor, action: "task.apply", target: task.name, requestKey: input.requestKey, detail }, async () => {
        await sendTask(app, known, spec);
        const reply: ActionReply = { ok: true, message: `sent ${task.name} as ${spec.taskId}`, taskId: spec.taskId };
        return { body: reply, detail: { taskId: spec.taskId } };
      });
    },
  };

  const detail: ApiRoute = {
    method: "GET",
    path: "tasks/:id",
    async handle({ params }) {
      return jsonReply(presenter.taskDetail(await requireTask(taskIdParam(params.id))));
    },
  };

  const retryOne: ApiRoute = {
    method: "POST",
    path: "tasks/:id/retry",
    async handle({ params, body, actor }) {
      const id = taskIdParam(params.id);
      const { requestKey } = await body(actionBodySchema);
      return actions.run({ actor, action: "task.retry", target: id, requestKey }, async () => {
        const original = await requireTask(id);
        if (!allowedActions(original.status).retry) {
          throw new HttpError(409, `task ${id} is ${original.status}: only a FAILURE or REVOKED task can be retried`);
        }
        const taskId = await retry(original);
        const reply: ActionReply = { ok: true, message: `retried as ${taskId}`, taskId };
        return { body: reply, detail: { taskId } };
      });
    },
  };

  const revoke: ApiRoute = {
    method: "POST",
    path: "tasks/:id/revoke",
    async handle({ params, body, actor }) {
      const id = taskIdParam(params.id);
      const { requestKey, terminate = false } = await body(revokeSchema);
      return actions.run({ actor, action: "task.revoke", target: id, requestKey, detail: { terminate } }, async () => {
        const { status } = await requireTask(id);
        const allowed = allowedActions(status);
        if (!allowed.revoke) {
          throw new HttpError(409, `task ${id} is ${status}: only a PENDING, RETRY, STARTED or PROGRESS task can be revoked`);
        }
        if (terminate && !allowed.terminate) {
          throw new HttpError(409, `task ${id} is ${status}, not running: revoke it without terminate`, "terminate");
        }
        await app.AsyncResult.from(id).revoke({ terminate });
        const reply: ActionReply = { ok: true, message: terminate ? `revoked ${id} and stopped it` : `revoked ${id}` };
        return { body: reply };
      });
    },
  };

  return [list, facets, retryCount, bulkRetry, apply, detail, retryOne, revoke];
}
