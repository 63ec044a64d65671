/**
 * Every error celeriac raises, in one tree (after Celery's exceptions.py):
 *
 *   CeleriacError                 base class: do not raise directly
 *   ├─ ConfigError                a setting, flag or environment variable is missing or malformed (start-up: exit 78)
 *   │  ├─ InvalidScheduleError    every()/crontab()/cron()/clocked() refused a schedule: `field` names the part
 *   │  └─ InvalidPeriodicTaskError a periodic-task definition (settings.beatSchedule or the admin's) is invalid:
 *   │                             `issues` lists each field with its message
 *   ├─ NotFoundError              a record named by id does not exist (`kind`, `id`)
 *   ├─ InvalidCursorError         a Tasks list cursor (`after`) that is not a page's `next`: the caller's input (HTTP 400)
 *   ├─ CorruptRowError            a row the framework cannot read back (`table`, `id`, `columns`)
 *   ├─ TaskDefinitionError        a task() definition is malformed (raised when the module loads)
 *   ├─ DuplicateTaskError         two modules define one task name (raised by discovery)
 *   ├─ DispatchError              .delay()/.applyAsync() refused the call; nothing was enqueued
 *   │  ├─ InvalidArgumentsError   the arguments fail the task's zod schema
 *   │  └─ NotJsonError            an argument is not a JSON value, or the payload is too large
 *   ├─ Retry                      a signal, not a failure: thrown by ctx.retry() to run the task again
 *   ├─ TaskError                  a task run that did not succeed
 *   │  ├─ NotRegisteredError      no task of that name in the worker
 *   │  ├─ ResultNotStoredError    (stored) the database refused the task's row: kept without args and result
 *   │  ├─ MaxRetriesExceededError the task asked for a retry with none left
 *   │  ├─ SoftTimeLimitExceeded   the soft time limit passed: ctx.signal aborts with it, the task may clean up
 *   │  ├─ TimeLimitExceeded       the hard time limit passed: the worker gave up on the task
 *   │  ├─ WorkerLostError         the process-pool child running the task exited (stored as its FAILURE)
 *   │  ├─ TaskFailedError         (caller side) the task failed: carries the remote type, message and stack
 *   │  └─ TaskRevokedError        (caller side) the task expired or was revoked and never ran
 *   ├─ MailError                  a mail was not sent (mail/errors.ts: MailTransientError, MailRejectedError)
 *   ├─ BrokerUnavailableError     Redis did not answer: nothing was enqueued (HTTP 503)
 *   ├─ SchemaNotReadyError        the database lacks the tables or columns this version needs: the
 *   │                             message names the command that fixes it (HTTP 503)
 *   ├─ ResultNotReadyError        a result was read before the task finished
 *   ├─ SyncSubtaskError           AsyncResult/GroupResult.get() inside a running task (it could deadlock the pool)
 *   ├─ InvalidProgressError       ctx.progress() was given something that is not { current, total, message? }
 *   ├─ WriterClosedError          a result was handed to the result writer after it closed
 *   └─ ResultTimeoutError         AsyncResult.get({ timeout }) ran out of time
 *
 * Every class sets `name`, so code on the far side of a process boundary (where prototypes are lost)
 * can match on `error.name`. Callers tell errors apart by class and by their fields, never by message
 * text: the messages are for people and may change.
 */
import { escapeText } from "./text.js";

export class CeleriacError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends CeleriacError {}

/** The parts of a schedule an InvalidScheduleError may name: the keys of a ScheduleSpec (beat/store.ts). */
export type ScheduleField = "every" | "minute" | "hour" | "dayOfWeek" | "dayOfMonth" | "monthOfYear" | "expression" | "timezone" | "at";

/**
 * A schedule every(), crontab(), cron() or clocked() refuses: in settings a configuration error (exit 78 at
 * start-up), in the admin a 400 beside the field. `field` is the part at fault as a key of the schedule's
 * spec (so `schedule.${field}` is its path in a PeriodicTaskInput), or null when no one field is (a crontab
 * whose fields together never fire, an unknown crontab field).
 */
export class InvalidScheduleError extends ConfigError {
  constructor(
    readonly field: ScheduleField | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One problem of an input: `field` is its path ("name", "schedule.every", "args"; "" for the input as a whole). */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * A periodic-task definition the store refuses (a settings.beatSchedule entry, or what the admin sent),
 * with every problem by field. A schedule whose fields are well-formed but that cannot run is an
 * InvalidScheduleError instead.
 */
export class InvalidPeriodicTaskError extends ConfigError {
  constructor(
    readonly issues: readonly FieldIssue[],
    message = `invalid periodic task: ${issues.map((i) => `${i.field || "(task)"}: ${i.message}`).join("; ")}`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What a NotFoundError may be about. */
export type RecordKind = "periodic task" | "queue";

/** A record named by id does not exist (a periodic task another request deleted): a 404, not a bad setting. */
export class NotFoundError extends CeleriacError {
  constructor(
    readonly kind: RecordKind,
    readonly id: number | string,
  ) {
    super(`no ${kind} with id ${id}`);
  }
}

/**
 * A page cursor of the Tasks list (results/queries.ts) that no page gave: malformed, cut or edited. The
 * caller's input, so a 400 naming `field` ("after"), never a 500.
 */
export class InvalidCursorError extends CeleriacError {
  readonly field = "after";

  constructor() {
    super("after: not a cursor of this list (pass a page's `next` as it was given)");
  }
}

/**
 * A row the framework cannot read back (written by hand, or by another program): `columns` are the ones
 * at fault in row `id` of `table`. A data error to fix in the database, neither the caller's input nor a setting.
 */
export class CorruptRowError extends CeleriacError {
  constructor(
    readonly table: string,
    readonly id: number | string,
    readonly columns: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

export class TaskDefinitionError extends CeleriacError {}

export class DuplicateTaskError extends CeleriacError {
  constructor(
    readonly taskName: string,
    readonly sources: readonly [string, string],
  ) {
    super(`task name '${taskName}' is defined twice: in ${sources[0]} and in ${sources[1]}; task names must be unique`);
  }
}

export class DispatchError extends CeleriacError {}
export class InvalidArgumentsError extends DispatchError {}
export class NotJsonError extends DispatchError {}

/**
 * Thrown by `ctx.retry()`: the task runs again after `countdownMs` (a signal, like Celery's Retry).
 * `error` is what made the task retry; it is stored on the RETRY row and on FAILURE if no retry is left.
 */
export class Retry extends CeleriacError {
  constructor(
    readonly countdownMs: number | undefined,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? `retry: ${error.message}` : "retry requested");
  }
}

export class BrokerUnavailableError extends CeleriacError {}

export class SchemaNotReadyError extends CeleriacError {}

export class TaskError extends CeleriacError {}

export class MaxRetriesExceededError extends TaskError {}

export class SoftTimeLimitExceeded extends TaskError {
  constructor(readonly limitMs: number) {
    super(`soft time limit (${limitMs / 1000} s) exceeded`);
  }
}

export class TimeLimitExceeded extends TaskError {
  constructor(readonly limitMs: number) {
    super(`time limit (${limitMs / 1000} s) exceeded`);
  }
}

/** The process-pool child running the task exited mid-task (Celery's WorkerLostError): its FAILURE. */
export class WorkerLostError extends TaskError {}

export class NotRegisteredError extends TaskError {
  constructor(readonly taskName: string) {
    super(`unregistered task '${taskName}'`);
  }
}

/**
 * Stored instead of a task's outcome when the database refused its row (text or JSON it cannot hold, in a
 * message an older version or another producer sent): as Celery stores a result it cannot encode as a
 * FAILURE with an EncodeError. The message says why and what the outcome was; see results/row.ts.
 */
export class ResultNotStoredError extends TaskError {}

/** What a failed task left behind: the remote error's type, message and stack. */
export interface ErrorInfo {
  type: string;
  message: string;
  stack?: string;
}

export class TaskFailedError extends TaskError {
  readonly remote: ErrorInfo;
  constructor(readonly taskId: string, remote: ErrorInfo) {
    super(`${remote.type}: ${remote.message}`);
    this.remote = remote;
  }
}

export class TaskRevokedError extends TaskError {
  constructor(readonly taskId: string, reason: string) {
    super(`task ${taskId} was revoked: ${reason}`);
  }
}

/** A chord's callback that will not run: one of its members failed for good (Celery: ChordError). */
export class ChordError extends TaskError {
  constructor(readonly memberId: string, memberErrorType: string, memberErrorMessage: string) {
    super(`chord member ${memberId} failed: ${memberErrorType}${memberErrorMessage ? `: ${memberErrorMessage}` : ""}`);
  }
}

export class ResultNotReadyError extends CeleriacError {
  constructor(readonly taskId: string, state: string) {
    super(`task ${taskId} has not finished (state ${state}); await get() to wait for it`);
  }
}

/**
 * AsyncResult.get() called inside a running task (Celery: RuntimeError from disable_sync_subtasks): the
 * task would hold its worker slot while it waits for another task, which may need that very slot.
 */
export class SyncSubtaskError extends CeleriacError {
  /** `taskId`: what was waited for (a GroupResult's: the group id); `call`: which wait. */
  constructor(readonly taskId: string, readonly insideTask: { id: string; name: string }, call = "AsyncResult.get()") {
    super(
      `${call} inside a task can deadlock the worker's pool (the task waits on another that may need the slot it holds): task ${insideTask.name} (${insideTask.id}) waited for ${taskId}; ` +
        "use a chain (chain(a.s(), b.s())) or a chord instead; pass { allowInsideTask: true } if you know better (Celery: disable_sync_subtasks=False)",
    );
  }
}

/** ctx.progress() refused its argument: the message says which field and why. */
export class InvalidProgressError extends CeleriacError {}

export class ResultTimeoutError extends CeleriacError {
  constructor(readonly taskId: string, timeoutMs: number) {
    super(`task ${taskId} did not finish within ${timeoutMs} ms`);
  }
}

/** A result handed to the result writer after it closed (the worker is shutting down): it was not written. */
export class WriterClosedError extends CeleriacError {}

/** PostgreSQL's text cannot hold NUL (nor UTF-8 a lone surrogate): shown as the escape sequence instead. */
const storable = escapeText;

/** Turns anything a task may throw (an Error, a string, an object, undefined) into stored error info. */
export function toErrorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    const stack = thrown.stack === undefined ? undefined : storable(thrown.stack);
    return { type: storable(thrown.name || thrown.constructor.name), message: storable(thrown.message), stack };
  }
  let message: string;
  try {
    message = typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    message = String(thrown);
  }
  return { type: "NonErrorThrown", message: storable(`a non-Error value was thrown: ${message}`) };
}
