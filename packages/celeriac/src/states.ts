/**
 * Task states, as Celery names them. The TaskResult row is the one source of truth for a task's state;
 * BullMQ's job state is the queue's business.
 *
 * Also the client-safe entry point, `celeriac/states`: browser code (a client component) imports the
 * states, the task-id rule and the schedule kinds from here instead of copying them, and so may a module
 * that must not load the framework (an app's env check: the log levels, which URL is PostgreSQL). This
 * module and what it re-exports import nothing else (no Node module, no dependency); keep it so.
 */
export { isTaskId, taskIdProblem, TASK_ID_MAX_LENGTH, TASK_ID_PATTERN } from "./task/id.js";
export {
  CRONTAB_FIELD_NAMES,
  PERIOD_MS,
  PERIODS,
  SCHEDULE_KINDS,
  SCHEDULE_SPEC_KINDS,
  type CrontabFieldName,
  type Period,
  type ScheduleKind,
  type ScheduleSpecKind,
} from "./beat/kinds.js";
export { UNIT_MS, type TimeUnit } from "./units.js";
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log-levels.js";
export { PROGRESS_MESSAGE_MAX, progressOf, progressProblem, type TaskProgress } from "./task/progress.js";
export { isPostgresUrl, isSqliteUrl, redactUrl } from "./url.js";
export { parseRedisUrl, redisUrlProblem, RedisUrlError, type RedisTarget } from "./broker/redis-url.js";

export const States = {
  /** Not known to the result store yet: queued, scheduled (countdown/eta), or an id nobody sent. */
  PENDING: "PENDING",
  /** A worker has taken the task and is running it. */
  STARTED: "STARTED",
  /** A running task reported how far it got (ctx.progress()); `meta` holds { current, total, message? }. */
  PROGRESS: "PROGRESS",
  /** The task returned; `result` holds its value. */
  SUCCESS: "SUCCESS",
  /** The task threw, its arguments were invalid, or its name is not registered; the error is stored. */
  FAILURE: "FAILURE",
  /** The task failed and will run again (written by the retry machinery). */
  RETRY: "RETRY",
  /** The task will never run: it expired before a worker took it, or it was revoked. */
  REVOKED: "REVOKED",
} as const;

export type TaskState = (typeof States)[keyof typeof States];

/** States after which nothing about the task changes any more. */
export const READY_STATES: ReadonlySet<TaskState> = new Set([States.SUCCESS, States.FAILURE, States.REVOKED]);
/** States of a task that has not finished. */
export const UNREADY_STATES: ReadonlySet<TaskState> = new Set([States.PENDING, States.STARTED, States.PROGRESS, States.RETRY]);
/** States of a task a worker is running now (what `revoke({ terminate: true })` can stop). */
export const RUNNING_STATES: ReadonlySet<TaskState> = new Set([States.STARTED, States.PROGRESS]);
/** States whose row carries an error. */
export const EXCEPTION_STATES: ReadonlySet<TaskState> = new Set([States.FAILURE, States.RETRY, States.REVOKED]);

export function isTaskState(value: string): value is TaskState {
  return Object.hasOwn(States, value);
}
