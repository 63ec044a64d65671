/**
 * task({ name, args, run }): a task definition, checked when its module loads (django.tasks'
 * validate_task). The definition is data only; dispatch/ gives it `.delay()`.
 */
import { z } from "zod";
import { TaskDefinitionError } from "../errors.js";
import { queueNameSchema } from "../config.js";
import type { TaskContext } from "./context.js";
import { parseRate, RATE_EXAMPLES } from "./rate.js";

/** A task's positional arguments are described by a zod tuple: `z.tuple([z.number(), z.number()])`. */
export type ArgsSchema = z.ZodTuple<readonly z.ZodType[], z.ZodType | null>;

/** What callers pass to `.delay()`: the schema's input type. */
export type ArgsIn<S extends ArgsSchema> = z.input<S> extends infer A extends readonly unknown[] ? A : never;
/** What `run` receives: the schema's output type (after defaults and transforms). */
export type ArgsOut<S extends ArgsSchema> = z.output<S> extends infer A extends readonly unknown[] ? A : never;

export interface TaskOptions<S extends ArgsSchema, R> {
  /** Stable, explicit name, e.g. "emails.sendWelcome". It is the wire name: renaming it orphans queued jobs. */
  name: string;
  /** zod tuple of the positional arguments; checked at enqueue and again in the worker. */
  args: S;
  /** Queue this task goes to unless the call says otherwise. @defaultValue the app's defaultQueue */
  queue?: string;
  /** BullMQ priority: 1 is the most urgent; a task with no priority goes before all prioritized ones. */
  priority?: number;
  /** Celery: ignore_result. The worker writes no TaskResult row for this task. @defaultValue settings.taskIgnoreResult */
  ignoreResult?: boolean;
  /** Celery: max_retries. How many times ctx.retry() or autoretryFor may run the task again. @defaultValue 3 */
  maxRetries?: number;
  /** Celery: autoretry_for. Errors of these classes (or with these names) retry the task instead of failing it. */
  autoretryFor?: readonly (ErrorClass | string)[];
  /**
   * Celery: retry_backoff. `true`: the n-th retry waits 2^n s; a number: n-th retry waits factor × 2^n s.
   * Without it, a retry waits defaultRetryDelay. @defaultValue false
   */
  retryBackoff?: boolean | number;
  /** Celery: retry_backoff_max, in seconds. @defaultValue 600 */
  retryBackoffMax?: number;
  /** Celery: retry_jitter. Randomise a backoff delay between 0 and its value ("full jitter"). @defaultValue true */
  retryJitter?: boolean;
  /** Celery: default_retry_delay, in seconds: the wait of a retry without countdown or backoff. @defaultValue 180 */
  defaultRetryDelay?: number;
  /** Celery: soft_time_limit, in seconds: ctx.signal aborts with SoftTimeLimitExceeded. @defaultValue settings.taskSoftTimeLimit */
  softTimeLimit?: number;
  /** Celery: time_limit, in seconds: the run is abandoned (async pool) or killed (process pool). @defaultValue settings.taskTimeLimit */
  timeLimit?: number;
  /** Celery: rate_limit: "10/s", "100/m", "1000/h"; honoured across all workers together. */
  rateLimit?: string;
  /**
   * Celery: track_started. Record STARTED when a worker takes the task; false saves one result write per
   * task (the row goes from PENDING straight to its outcome, still with its start time). @defaultValue settings.taskTrackStarted
   */
  trackStarted?: boolean;
  /**
   * Who may read the result when the call names no `owner`: a principal derived from the arguments, for a
   * task whose result belongs to whoever its arguments name, e.g. `owner: (userId) => \`user:${userId}\``
   * for a mail to one user. Returning undefined leaves the row without an owner. @defaultValue no owner
   */
  owner?: (...args: ArgsOut<S>) => string | undefined;
  /**
   * Arguments the dashboard must not show (a token, a reset link, personal data): `true` hides them all,
   * a list of positions (`[1]`) hides those. Hidden values are shown as "••••" wherever the dashboard shows
   * arguments (task list and detail, live feed, periodic tasks, audit log); the queue and the TaskResult
   * row still hold them, so keep secrets out of arguments where you can (pass an id, load the secret).
   * @defaultValue every argument shown
   */
  redactArgs?: true | readonly number[];
  /** The work. Pass ids, not objects: load fresh rows here. The return value must be JSON. */
  run: (ctx: TaskContext, ...args: ArgsOut<S>) => R | Promise<R>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

/** The retry and limit options, as given (undefined: the settings' default applies). */
export type RunOptions = Pick<
  TaskOptions<ArgsSchema, unknown>,
  | "maxRetries"
  | "autoretryFor"
  | "retryBackoff"
  | "retryBackoffMax"
  | "retryJitter"
  | "defaultRetryDelay"
  | "softTimeLimit"
  | "timeLimit"
  | "rateLimit"
  | "trackStarted"
>;

export interface TaskDefinition<S extends ArgsSchema = ArgsSchema, R = unknown> extends Readonly<RunOptions> {
  readonly name: string;
  readonly args: S;
  readonly queue: string | undefined;
  readonly priority: number | undefined;
  readonly ignoreResult: boolean | undefined;
  readonly owner: ((...args: ArgsOut<S>) => string | undefined) | undefined;
  readonly redactArgs: true | readonly number[] | undefined;
  readonly run: (ctx: TaskContext, ...args: ArgsOut<S>) => R | Promise<R>;
}

/** Any task, whatever its argument and result types: what registries and the worker hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- run's parameters are contravariant
export type AnyTaskDefinition = TaskDefinition<any, any>;

/** The result type of a task (`ResultOf<typeof add>` is number); any other type is taken as the result type. */
export type ResultOf<T> = T extends TaskDefinition<infer _S, infer R> ? Awaited<R> : T;

const TASK_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$/;
export const MAX_PRIORITY = 2_097_152; // BullMQ's largest priority (2^21)

const seconds = (value: unknown) => value === undefined || (typeof value === "number" && Number.isFinite(value) && value >= 0);

export function defineTask<S extends ArgsSchema, R>(options: TaskOptions<S, R>): TaskDefinition<S, R> {
  const { name, args, queue, priority, ignoreResult, owner, redactArgs, run, ...runOptions } = options;
  const where = `task '${String(name)}'`;
  if (typeof name !== "string" || !TASK_NAME.test(name)) {
    throw new TaskDefinitionError(
      `${where}: a task name starts with a letter or '_' and uses letters, digits, '_', '.', ':', '-' (at most 200)`,
    );
  }
  if (!(args instanceof z.ZodTuple)) {
    throw new TaskDefinitionError(`${where}: 'args' must be a zod tuple, e.g. args: z.tuple([z.number()])`);
  }
  if (typeof run !== "function") throw new TaskDefinitionError(`${where}: 'run' must be a function`);
  if (owner !== undefined && typeof owner !== "function") {
    throw new TaskDefinitionError(`${where}: 'owner' must be a function of the arguments, e.g. owner: (userId) => \`user:\${userId}\``);
  }
  if (queue !== undefined && !queueNameSchema.safeParse(queue).success) {
    throw new TaskDefinitionError(`${where}: invalid queue name '${queue}'`);
  }
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 1 && priority <= MAX_PRIORITY)) {
    throw new TaskDefinitionError(`${where}: priority must be an integer from 1 (most urgent) to ${MAX_PRIORITY}`);
  }
  if (redactArgs !== undefined && redactArgs !== true && !(Array.isArray(redactArgs) && redactArgs.every((i) => Number.isInteger(i) && i >= 0))) {
    throw new TaskDefinitionError(`${where}: redactArgs is true (every argument) or a list of argument positions, e.g. redactArgs: [1]`);
  }
  checkRunOptions(where, runOptions);
  return Object.freeze({ name, args, queue, priority, ignoreResult, owner, redactArgs: Array.isArray(redactArgs) ? Object.freeze([...redactArgs]) : redactArgs, run, ...runOptions });
}

function checkRunOptions(where: string, o: RunOptions): void {
  const fail = (message: string) => {
    throw new TaskDefinitionError(`${where}: ${message}`);
  };
  if (o.maxRetries !== undefined && !(Number.isInteger(o.maxRetries) && o.maxRetries >= 0)) fail("maxRetries must be an integer ≥ 0");
  for (const key of ["retryBackoffMax", "defaultRetryDelay", "softTimeLimit", "timeLimit"] as const) {
    if (!seconds(o[key])) fail(`${key} is a number of seconds ≥ 0`);
  }
  if (typeof o.retryBackoff === "number" && !(o.retryBackoff > 0)) fail("retryBackoff is true or a factor in seconds > 0");
  if (o.autoretryFor?.some((e) => typeof e !== "string" && typeof e !== "function")) fail("autoretryFor lists error classes or names");
  if (o.trackStarted !== undefined && typeof o.trackStarted !== "boolean") fail("trackStarted is true or false");
  if (o.rateLimit !== undefined && parseRate(o.rateLimit) === undefined) fail(`rateLimit '${o.rateLimit}' must look like ${RATE_EXAMPLES}`);
}
