/**
 * The result store port. The worker writes a row when a task starts, as it reports progress, and again
 * when it ends; callers read it through AsyncResult. Implementation: sql-backend.ts (the TaskResult table beneath Prisma).
 */
import type { ErrorInfo } from "../errors.js";
import type { Outcome, TaskMessage } from "../message.js";
import type { TaskState } from "../states.js";
import type { TaskProgress } from "../task/progress.js";

/** One task's row, as AsyncResult and the API see it. */
export interface TaskRecord {
  id: string;
  name: string;
  status: TaskState;
  args: unknown;
  result: unknown;
  error: ErrorInfo | null;
  queue: string | null;
  worker: string | null;
  retries: number;
  createdAt: Date;
  startedAt: Date | null;
  doneAt: Date | null;
  runtimeMs: number | null;
  /** Who may read it, as the dispatch said (`owner` option or the task's owner()); null: no owner. */
  owner: string | null;
  /** Workflows: the task (or, for a chord's callback, the group) whose result this one was given. */
  parentId: string | null;
  /** Workflows: the first task of the workflow (its own id for the first); null outside one. */
  rootId: string | null;
  /** Workflows: the group this task is a member of. */
  groupId: string | null;
  /** PROGRESS: what ctx.progress() reported; a step a failed chain never ran: { chainStoppedBy: id }. */
  meta: unknown;
}

export interface StartedRun {
  message: TaskMessage;
  worker: string;
  startedAt: Date;
}

export interface FinishedRun extends StartedRun {
  outcome: Outcome;
  doneAt: Date;
  /** Stored in the row's meta (a chain step that never ran: { chainStoppedBy }); none by default. */
  meta?: unknown;
}

export interface ResultBackend {
  /** Where results are kept, for banners (credentials removed). */
  readonly description: string;
  /**
   * Records that a worker took the task (state STARTED); resolves once it is durable. The worker does not
   * wait for it: the outcome write, which may replace it while both wait, is the one it waits for.
   */
  started(run: StartedRun): Promise<void>;
  /**
   * Records a running task's progress (state PROGRESS, `meta` = progress), after its STARTED row and
   * before its outcome, whose write clears it; a write that reaches a finished row leaves it as it is.
   * The worker throttles these (worker/progress-reporter.ts) and does not wait for them.
   */
  progress(run: StartedRun, progress: TaskProgress): Promise<void>;
  /** Records how the task ended, creating the row when no STARTED row was written; resolves once durable. */
  finished(run: FinishedRun): Promise<void>;
  /**
   * Records a dispatch as PENDING, batched with the others of the moment; a row a worker wrote first wins.
   * Resolves once it is written, or its write failed (logged: the id reads as no row until a worker takes
   * it); never rejects, so callers that need not wait (an ownerless dispatch after a commit) ignore it.
   */
  pending(message: TaskMessage): Promise<void>;
  /** Records REVOKED on a row that has not started or is waiting to retry; other rows are left as they are. */
  revoked(id: string, reason: string): Promise<void>;
  /** Deletes finished rows (SUCCESS, FAILURE, REVOKED) done before `before`; returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
  /**
   * The task's row, or null when nothing was recorded for that id (state PENDING). With `ownedBy`, only a
   * row whose owner is one of those; another's reads as null, at the cost of an id with no row.
   */
  get(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null>;
  /** Writes what waits (for a bounded time) and closes the store's connections. */
  close(): Promise<void>;
}
