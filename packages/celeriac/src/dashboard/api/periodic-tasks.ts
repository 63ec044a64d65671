/**
 * The Periodic tasks area (django-celery-beat's admin), over app.periodicTasks:
 *
 *   GET    periodic-tasks                       PeriodicTaskList (rows, beat's leader, the registered names)
 *   POST   periodic-tasks                       PeriodicTaskBody → 201 PeriodicTaskRow, an "admin" row
 *   GET    periodic-tasks/:id                   PeriodicTaskRow
 *   PUT    periodic-tasks/:id                   PeriodicTaskBody → PeriodicTaskRow; editing a settings row's
 *                                               definition detaches it from settings (the store's rule)
 *   PATCH  periodic-tasks/:id                   { enabled } → PeriodicTaskRow (a settings row stays managed)
 *   DELETE periodic-tasks/:id                   { deleted: true }; 409 for a row managed by settings
 *   POST   periodic-tasks/:id/run               ActionBody → ActionReply: sent now, outside the schedule
 *   POST   periodic-tasks/:id/return-to-settings  PeriodicTaskRow; 409 unless it is a detached settings row
 *
 * Saving refuses what beat could only fail every slot with: a task name no known task has (400 "task")
 * and arguments that task's schema refuses (400 "args"), besides what the store refuses (a field of the
 * wrong shape, a schedule that cannot run: 400 naming it; a taken name: 409 "name"). A row written by
 * other means is shown with the same reasons as its `problem` (beat keeps its own check). An unknown or
 * malformed id is a 404, and so is a row another request deleted meanwhile.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { nextRunsOf, scheduleSummary } from "../../beat/entry.js";
import { LEASE_NAME } from "../../beat/leader.js";
import { parseDefinition, periodicTaskInputSchema, type PeriodicTaskView } from "../../beat/store.js";
import type { WorkerHeartbeat } from "../../broker/inspection.js";
import { parseArgs } from "../../task/validate.js";
import type { ActionReply, PeriodicTaskList, PeriodicTaskRow } from "../api-types.js";
import { liveHeartbeats, requestKeySchema, type DashboardContext } from "../context.js";
import { badInput, HttpError, jsonReply, parseInput } from "../http.js";
import type { ApiRoute } from "../router.js";
import { sendTask } from "../send.js";

/** How many next run times a row shows. */
const NEXT_RUNS = 5;

const keyOnly = z.object({ requestKey: requestKeySchema.optional() }).strict();
const withKey = z.looseObject({ requestKey: requestKeySchema.optional() });
const toggleSchema = z.object({ enabled: z.boolean(), requestKey: requestKeySchema.optional() }).strict();

/** An id from the path: decimal digits of a safe integer; anything else is the same 404 as an unknown id. */
function idParam(text: string): number {
  const id = /^[1-9]\d{0,14}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) throw new HttpError(404, `no periodic task with id ${JSON.stringify(text)}`);
  return id;
}

const isPrismaError = (error: unknown, code: string) => typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;

/** Why beat cannot send `task` with `args` (the field at fault and the reason), or null. */
function taskProblem(ctx: DashboardContext, task: string, args: unknown[], workers: readonly WorkerHeartbeat[]): { field: "task" | "args"; message: string } | null {
  const definition = ctx.known.get(task);
  if (definition === undefined) {
    // A task only the workers know is sendable; its arguments are theirs to check.
    if (workers.some((beat) => beat.tasks.includes(task))) return null;
    return { field: "task", message: `no task named "${task}" is registered (here or in a running worker): beat would record every run as a FAILURE; pick one of the registered tasks` };
  }
  const parsed = parseArgs(definition, args);
  return parsed.ok ? null : { field: "args", message: `${parsed.message}: beat would record every run as a FAILURE` };
}

/** The rows as the API shows them: with their last run's outcome, their next runs and any problem. */
export async function periodicRows(ctx: DashboardContext, views: readonly PeriodicTaskView[]): Promise<PeriodicTaskRow[]> {
  return present(ctx, views, await liveHeartbeats(ctx));
}

/** The whole list (GET periodic-tasks). */
async function periodicList(ctx: DashboardContext): Promise<PeriodicTaskList> {
  const { app, known } = ctx;
  const [views, beatLeader, workers] = await Promise.all([app.periodicTasks.list(), beatLeaderOf(ctx), liveHeartbeats(ctx)]);
  return { timezone: app.config.timezone, beatLeader, tasks: await present(ctx, views, workers), taskNames: known.namesWith(workers) };
}

async function present(ctx: DashboardContext, views: readonly PeriodicTaskView[], workers: readonly WorkerHeartbeat[], now = new Date()): Promise<PeriodicTaskRow[]> {
  const { app, presenter } = ctx;
  const lastRuns = await Promise.all(views.map((view) => (view.lastTaskId ? app.backend.get(view.lastTaskId) : null)));
  return views.map((view, i) => {
    const timezone = ("timezone" in view.schedule && view.schedule.timezone) || app.config.timezone;
    const { schedule: scheduleText } = scheduleSummary(view, now, app.config.timezone);
    let nextRuns: Date[] = [];
    let problem: string | null = null;
    try {
      nextRuns = nextRunsOf(view, now, app.config.timezone, NEXT_RUNS);
    } catch (error) {
      problem = `its schedule cannot run: ${(error as Error).message}`;
    }
    problem ??= taskProblem(ctx, view.task, view.args, workers)?.message ?? null;
    // No row (yet, or cleaned up): the id reads as PENDING, as AsyncResult reads it.
    const lastRun = view.lastTaskId ? { taskId: view.lastTaskId, status: lastRuns[i]?.status ?? "PENDING" } : null;
    return presenter.periodicRow(view, { scheduleText, timezone, lastRun, nextRuns, problem });
  });
}

/** Who holds beat's lease, or null (also when Redis does not answer: logged). */
export async function beatLeaderOf(ctx: DashboardContext): Promise<PeriodicTaskList["beatLeader"]> {
  return ctx.app.broker.leaseHolder(LEASE_NAME).catch((error: unknown) => {
    ctx.log.warn({ err: error }, "dashboard: could not read beat's lease");
    return null;
  });
}

export function periodicRoutes(ctx: DashboardContext): ApiRoute[] {
  const { app, actions, known } = ctx;
  const store = app.periodicTasks;

  const notFound = (id: number) => new HttpError(404, `no periodic task with id ${id}`);
  const requireView = async (id: number): Promise<PeriodicTaskView> => {
    const view = await store.get(id);
    if (!view) throw notFound(id);
    return view;
  };
  const rowOf = async (id: number): Promise<PeriodicTaskRow> => (await periodicRows(ctx, [await requireView(id)]))[0];
  const targetOf = async (id: number) => (await store.get(id))?.name ?? `periodic task #${id}`;

  /** The body of a save, checked as beat will need it (see the module comment); the requestKey apart. */
  const definitionOf = async (raw: z.output<typeof withKey>) => {
    const { requestKey, ...rest } = raw;
    const input = parseInput(periodicTaskInputSchema, rest);
    parseDefinition(input, app.config.maxPayloadBytes); // the schedule and the arguments' JSON-ness: 400 naming the field
    const problem = taskProblem(ctx, input.task, input.args, await liveHeartbeats(ctx));
    if (problem) badInput(problem.field, `${problem.field}: ${problem.message}`);
    return { requestKey, input };
  };

  /**
   * A write; a taken name is a 409, and a failed write to row `id` that no longer exists (another request
   * deleted it meanwhile: the store's check or Prisma's P2025, whichever came first) the same 404 as an unknown id.
   */
  const write = async <T>(name: string, id: number | undefined, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (isPrismaError(error, "P2002")) throw new HttpError(409, `a periodic task named "${name}" already exists`, "name");
      if (id !== undefined && (isPrismaError(error, "P2025") || !(await store.get(id)))) throw notFound(id);
      throw error;
    }
  };

  return [
    { method: "GET", path: "periodic-tasks", handle: async () => jsonReply(await periodicList(ctx)) },
    {
      method: "POST",
      path: "periodic-tasks",
      async handle({ body, actor }) {
        const { requestKey, input } = await definitionOf(await body(withKey));
        return actions.run({ actor, action: "periodic.create", target: input.name, requestKey, detail: { task: input.task } }, async () => {
          const view = await write(input.name, undefined, () => store.create(input));
          return { status: 201, body: (await periodicRows(ctx, [view]))[0], detail: { id: view.id } };
        });
      },
    },
    { method: "GET", path: "periodic-tasks/:id", handle: async ({ params }) => jsonReply(await rowOf(idParam(params.id))) },
    {
      method: "PUT",
      path: "periodic-tasks/:id",
      async handle({ params, body, actor }) {
        const id = idParam(params.id);
        const { requestKey, input } = await definitionOf(await body(withKey));
        return actions.run({ actor, action: "periodic.update", target: input.name, requestKey, detail: { id, task: input.task } }, async () => {
          await write(input.name, id, () => store.update(id, input));
          return { body: await rowOf(id) };
        });
      },
    },
    {
      method: "PATCH",
      path: "periodic-tasks/:id",
      async handle({ params, body, actor }) {
        const id = idParam(params.id);
        const { enabled, requestKey } = await body(toggleSchema);
        return actions.run({ actor, action: "periodic.update", target: await targetOf(id), requestKey, detail: { id, enabled } }, async () => {
          await write("", id, () => store.setEnabled(id, enabled));
          return { body: await rowOf(id) };
        });
      },
    },
    {
      method: "DELETE",
      path: "periodic-tasks/:id",
      async handle({ params, body, actor }) {
        const id = idParam(params.id);
        const { requestKey } = await body(keyOnly);
        return actions.run({ actor, action: "periodic.delete", target: await targetOf(id), requestKey, detail: { id } }, async () => {
          const view = await requireView(id);
          // A deleted settings row would be back at the next sync: say so instead of pretending.
          if (view.managed) {
            throw new HttpError(409, "this task comes from settings.beatSchedule and would come back at the next beat sync: disable it here, or remove its entry from settings");
          }
          await write(view.name, id, () => store.remove(id));
          return { body: { deleted: true } };
        });
      },
    },
    {
      method: "POST",
      path: "periodic-tasks/:id/run",
      async handle({ params, body, actor }) {
        const id = idParam(params.id);
        const { requestKey } = await body(keyOnly.required());
        return actions.run({ actor, action: "periodic.run", target: await targetOf(id), requestKey, detail: { id } }, async () => {
          const view = await requireView(id);
          const problem = taskProblem(ctx, view.task, view.args, await liveHeartbeats(ctx));
          if (problem) throw new HttpError(409, `${view.name} cannot be sent: ${problem.message}`);
          const taskId = randomUUID();
          await sendTask(app, known, { name: view.task, args: view.args, taskId, queue: view.queue, priority: view.priority, expireSeconds: view.expireSeconds });
          const reply: ActionReply = { ok: true, message: `sent ${view.task} now as ${taskId} (outside its schedule)`, taskId };
          return { body: reply, detail: { taskId } };
        });
      },
    },
    {
      method: "POST",
      path: "periodic-tasks/:id/return-to-settings",
      async handle({ params, body, actor }) {
        const id = idParam(params.id);
        const { requestKey } = await body(keyOnly);
        return actions.run({ actor, action: "periodic.returnToSettings", target: await targetOf(id), requestKey, detail: { id } }, async () => {
          const view = await requireView(id);
          if (!view.detached) {
            throw new HttpError(409, view.managed ? "this task already follows settings" : "this task was made in the admin: it has no settings entry to return to");
          }
          await write(view.name, id, () => store.returnToSettings(id));
          return { body: await rowOf(id) };
        });
      },
    },
  ];
}
