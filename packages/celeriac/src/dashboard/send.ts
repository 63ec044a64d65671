/**
 * How the dashboard sends a task (apply, retry, run now): through the task's own send path, so that its
 * argument checks, routing, queue and priority are the ones `.delay()` applies. A task bound to the app
 * sends itself (`applyAsync` with the id chosen here); a definition only (not bound to an app) is prepared
 * the same way and published through the app's broker; a name this process has no definition of (a retry
 * of a task only the workers know) is sent as it was stored, to its queue.
 *
 * The sent task gets its PENDING row at once (unless its results are ignored), so it is listed before a
 * worker takes it: a countdown task can be seen, and revoked, while it waits. A retry's row is written
 * before the send instead, with its link to the original (taskQueries.linkRetry).
 */
import type { Celeriac } from "../app.js";
import { prepare, type ApplyOptions } from "../dispatch/apply.js";
import type { TaskMessage } from "../message.js";
import { effectiveOptions, routeFor } from "../task/options.js";
import type { KnownTasks } from "./known-tasks.js";

export interface SendSpec {
  name: string;
  args: unknown[];
  /** The new task's id. */
  taskId: string;
  queue?: string | null;
  /** Seconds before it may run. */
  countdown?: number;
  priority?: number | null;
  /** Seconds after which it must not start. */
  expireSeconds?: number | null;
  owner?: string | null;
  /** Write its PENDING row once it is sent. @defaultValue true */
  recordPending?: boolean;
}

function optionsOf(spec: SendSpec): ApplyOptions {
  return {
    taskId: spec.taskId,
    ...(spec.queue != null && { queue: spec.queue }),
    ...(spec.countdown !== undefined && spec.countdown > 0 && { countdown: spec.countdown }),
    ...(spec.priority != null && { priority: spec.priority }),
    ...(spec.expireSeconds != null && { expires: spec.expireSeconds }),
    ...(spec.owner != null && { owner: spec.owner }),
  };
}

/**
 * Checks the arguments against the task's schema (when this process knows the task) without sending:
 * throws what `.delay()` would throw (InvalidArgumentsError, NotJsonError, DispatchError).
 */
export function checkSend(app: Celeriac, known: KnownTasks, spec: SendSpec): void {
  const task = known.get(spec.name);
  if (task) prepare(task, spec.args, optionsOf(spec), app.config);
}

/** Sends the task (see the module comment); resolves once the broker has it. */
export async function sendTask(app: Celeriac, known: KnownTasks, spec: SendSpec): Promise<void> {
  const task = known.get(spec.name);
  const options = optionsOf(spec);
  let message: TaskMessage;
  if (task) {
    const prepared = prepare(task, spec.args, options, app.config);
    message = prepared.message;
    if (task.applyAsync) await task.applyAsync(spec.args, options);
    else await app.broker.publish(message, prepared.publish);
  } else {
    const now = Date.now();
    message = { id: spec.taskId, task: spec.name, args: spec.args, queue: spec.queue ?? routeFor(spec.name, app.config), sentAt: now, retries: 0 };
    if (spec.owner != null) message.owner = spec.owner;
    if (spec.expireSeconds != null) message.expires = now + spec.expireSeconds * 1000;
    await app.broker.publish(message, { delayMs: Math.max(0, (spec.countdown ?? 0) * 1000), ...(spec.priority != null && { priority: spec.priority }) });
  }
  const ignored = task ? effectiveOptions(task, app.config).ignoreResult : app.config.taskIgnoreResult;
  if (spec.recordPending !== false && !ignored) await app.backend.pending(message);
}
