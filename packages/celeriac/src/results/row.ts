/**
 * One TaskResult row as the result writer sends it: every column, so one statement (an upsert) serves
 * every state change. A STARTED or PROGRESS row leaves the outcome columns (result, error, doneAt,
 * runtimeMs) as they are in the database: a re-run after a RETRY still shows the last error while it runs.
 */
import { ResultNotStoredError } from "../errors.js";
import { outcomeError, type TaskMessage } from "../message.js";
import { isTaskState, RUNNING_STATES, States } from "../states.js";
import type { TaskProgress } from "../task/progress.js";
import { escapeText } from "../text.js";
import type { FinishedRun, StartedRun, TaskRecord } from "./backend.js";

/** The record with its error in the table's three columns. */
export type ResultRow = Omit<TaskRecord, "error"> & {
  errorType: string | null;
  errorMessage: string | null;
  errorStack: string | null;
};

/** A row as announced (JSON): the record with its dates as epoch milliseconds. */
export type AnnouncedRow = Omit<TaskRecord, "createdAt" | "startedAt" | "doneAt"> & {
  createdAt: number;
  startedAt: number | null;
  doneAt: number | null;
};

/** The columns a STARTED or PROGRESS write leaves alone (the rule of both stores: store/result-upsert.ts). */
export const OUTCOME_COLUMNS = ["result", "errorType", "errorMessage", "errorStack", "doneAt", "runtimeMs"] as const;
/** Where a task sits in a workflow: every write of one message carries the same, from the message. */
export const WORKFLOW_COLUMNS = ["parentId", "rootId", "groupId"] as const;
/**
 * The columns every write sets on an existing row (all but the id and createdAt). The owner too: every
 * write of one message carries the same, and a task id sent again (taskId) belongs to its latest sender,
 * whose arguments and outcome the row then holds.
 */
export const UPDATED_COLUMNS = ["name", "args", "status", "queue", "worker", "retries", "startedAt", ...OUTCOME_COLUMNS, "owner", ...WORKFLOW_COLUMNS, "meta"] as const;
/** Every column, in the order both stores bind them. */
export const COLUMNS = ["id", "createdAt", ...UPDATED_COLUMNS] as const;
export type Column = (typeof COLUMNS)[number];

export function startedRow({ message, worker, startedAt }: StartedRun): ResultRow {
  return {
    id: message.id,
    name: message.task,
    args: message.args,
    status: States.STARTED,
    result: null,
    errorType: null,
    errorMessage: null,
    errorStack: null,
    queue: message.queue,
    worker,
    retries: message.retries,
    createdAt: new Date(message.sentAt),
    startedAt,
    doneAt: null,
    runtimeMs: null,
    owner: message.owner ?? null,
    parentId: message.parentId ?? null,
    rootId: message.rootId ?? null,
    groupId: message.groupId ?? null,
    meta: null,
  };
}

/** A running task's progress: its STARTED row with the progress in `meta` (the outcome's row clears it). */
export function progressRow(run: StartedRun, progress: TaskProgress): ResultRow {
  return { ...startedRow(run), status: States.PROGRESS, meta: progress };
}

/** The row a dispatch made after a commit records (the id reads as PENDING without it too). */
export function pendingRow(message: TaskMessage): ResultRow {
  return { ...startedRow({ message, worker: "", startedAt: new Date(0) }), status: States.PENDING, worker: null, startedAt: null };
}

export function finishedRow(run: FinishedRun): ResultRow {
  const { message, outcome, doneAt, startedAt } = run;
  const error = outcomeError(outcome);
  const retry = outcome.status === "RETRY";
  return {
    ...startedRow(run),
    status: outcome.status,
    // SUCCESS with a null (or undefined) value is the column's NULL; it reads back as null.
    result: outcome.status === "SUCCESS" ? (outcome.result ?? null) : null,
    errorType: error?.type ?? null,
    errorMessage: error?.message ?? null,
    errorStack: error?.stack ?? null,
    // A RETRY row is not done: it shows the retries scheduled so far and the last error.
    retries: retry ? message.retries + 1 : message.retries,
    doneAt: retry ? null : doneAt,
    runtimeMs: doneAt.getTime() - startedAt.getTime(),
    meta: run.meta ?? null,
  };
}

/**
 * What is stored instead of a row the database refused (`why`: its words), so that the task still ends
 * with a row and its job is acknowledged (results/writer.ts). The refusal is of values a message brought
 * (an older version's or another producer's: JSON or text PostgreSQL cannot hold, a date that is not one),
 * so they go: no arguments, no result, text escaped, an invalid sent time replaced by now. A STARTED,
 * PROGRESS or PENDING row stays that (its outcome follows); an outcome becomes a ResultNotStoredError saying why and
 * what the outcome was, in a FAILURE for a SUCCESS (Celery stores a result it cannot encode as a FAILURE
 * with an EncodeError: a caller's get() must not read null for a value that was lost) and in the same
 * state otherwise (a RETRY still runs again).
 */
export function unstorableRow(row: ResultRow, why: string): ResultRow {
  const text = (value: string | null) => (value === null ? null : escapeText(value));
  const kept: ResultRow = {
    ...row,
    name: escapeText(row.name),
    queue: text(row.queue),
    owner: text(row.owner),
    args: null,
    result: null,
    createdAt: Number.isNaN(row.createdAt.getTime()) ? new Date() : row.createdAt,
  };
  if (RUNNING_STATES.has(row.status) || row.status === States.PENDING) return kept;
  const outcome = row.errorType ? `${row.status} (${row.errorType}: ${row.errorMessage ?? ""})` : row.status;
  return {
    ...kept,
    status: row.status === States.SUCCESS ? States.FAILURE : row.status,
    errorType: ResultNotStoredError.name,
    errorMessage: escapeText(`the database refused this task's row (${why}), so it is stored without its arguments and result; the task's outcome was ${outcome}`),
    errorStack: null,
  };
}

/** The record AsyncResult and the API see, from a row read back (status text from the database). */
export function recordFromRow(row: Omit<ResultRow, "status"> & { status: string }): TaskRecord {
  const { errorType, errorMessage, errorStack, status, ...rest } = row;
  return {
    ...rest,
    status: isTaskState(status) ? status : States.PENDING,
    error: errorType ? { type: errorType, message: errorMessage ?? "", stack: errorStack ?? undefined } : null,
  };
}
