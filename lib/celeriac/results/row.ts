/**
 * One TaskResult row as the result writer sends it: every column, so one statement (an upsert) serves
 * every state change. A STARTED row leaves the outcome columns (result, error, doneAt, runtimeMs) as
 * they are in the database: a re-run after a RETRY still shows the last error while it runs.
 */
import { outcomeError, type TaskMessage } from "../message";
import { isTaskState, States } from "../states";
import type { FinishedRun, StartedRun, TaskRecord } from "./backend";

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

/** The columns a STARTED write leaves alone (the SQL of both stores spells the same rule). */
export const OUTCOME_COLUMNS = ["result", "errorType", "errorMessage", "errorStack", "doneAt", "runtimeMs"] as const;
/** The columns every write sets on an existing row (all but the id and createdAt). */
export const UPDATED_COLUMNS = ["name", "args", "status", "queue", "worker", "retries", "startedAt", ...OUTCOME_COLUMNS] as const;
/** Every column, in the order both stores bind them. */
export const COLUMNS = ["id", "createdAt", ...UPDATED_COLUMNS] as const;

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
  };
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

/** The PENDING record a durable dispatch's outbox row stands for until a worker writes the TaskResult row. */
export function pendingRecord(row: { id: string; name: string; args: unknown; queue: string; createdAt: Date }): TaskRecord {
  return { ...row, status: States.PENDING, result: null, error: null, worker: null, retries: 0, startedAt: null, doneAt: null, runtimeMs: null };
}
