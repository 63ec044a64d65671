/**
 * The two shapes every layer shares: the task message (what travels from `.delay()` to a worker) and
 * the outcome of running it (what the worker records).
 */
import type { Continuation } from "./canvas/step.js";
import type { ErrorInfo } from "./errors.js";
import type { TaskState } from "./states.js";

export interface TaskMessage {
  /** Task id; also the BullMQ job id and the TaskResult row id. */
  id: string;
  /** Registered task name. */
  task: string;
  /** Positional arguments as given to `.delay()` (the schema's input); the worker parses them again. */
  args: unknown[];
  queue: string;
  /** When the message was sent, ms since the epoch. */
  sentAt: number;
  /** After this instant (ms since the epoch) the task must not start: it is recorded as REVOKED. */
  expires?: number;
  /** How many times the task has been retried already. */
  retries: number;
  /** The task already holds a rate-limit slot (it was deferred to it): run without taking another. */
  rateReserved?: boolean;
  /**
   * Who may read the result: a principal of the app's choosing (e.g. "user:42"), stored in the TaskResult
   * row's `owner` column; celeriac records it and the app enforces it. None: the row has no owner.
   */
  owner?: string;
  /** Workflows: the task (or, for a chord's callback, the group) whose result this one was given. */
  parentId?: string;
  /** Workflows: the first task of the workflow; with parentId, the row's place in the workflow's tree. */
  rootId?: string;
  /** Workflows: the group (TaskGroup id) this task is a member of. */
  groupId?: string;
  /** Workflows: what is sent when this task ends (canvas/step.ts). */
  workflow?: Continuation;
}

export type Outcome =
  | { status: "SUCCESS"; result: unknown }
  | { status: "FAILURE"; error: ErrorInfo }
  /** Failed, and runs again after countdownMs. */
  | { status: "RETRY"; error: ErrorInfo; countdownMs: number }
  | { status: "REVOKED"; reason: string };

/** What a message handler may answer: an outcome, or "not now" (a rate limit): run it again after delayMs. */
export type HandlerResult = Outcome | { status: "DEFERRED"; delayMs: number };

/** The error an outcome carries: the task's own on FAILURE, the reason on REVOKED, none on SUCCESS. */
export function outcomeError(outcome: Outcome): ErrorInfo | null {
  if (outcome.status === "FAILURE" || outcome.status === "RETRY") return outcome.error;
  if (outcome.status === "REVOKED") return { type: "TaskRevokedError", message: outcome.reason };
  return null;
}

/**
 * A task result's state change, as the worker announces it once the row is durable: the id, the new state
 * and, when small, the row itself (its shape is the result store's: results/row.ts AnnouncedRow), so a
 * waiting reader need not read it back.
 */
export type StateChange<Row = unknown> = readonly [id: string, status: TaskState, row?: Row];
