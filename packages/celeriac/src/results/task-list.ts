/**
 * The dashboard's views of TaskResult rows (results/queries.ts builds them, the task store reads them:
 * store/store.ts, ResultQueries): the Tasks list's filter and rows, one task's detail, outcome counts.
 * Types (and the one list both sides read), in a module of their own so the store and the queries share
 * them without importing each other.
 */
import type { TaskState } from "../states.js";

/** Which rows the Tasks list shows; every field narrows it (all of them: AND). */
export interface TaskFilter {
  /** Any of these statuses; empty or absent: every status. */
  statuses?: readonly TaskState[];
  name?: string;
  queue?: string;
  worker?: string;
  /** createdAt ≥ from. */
  from?: Date;
  /** createdAt < to. */
  to?: Date;
  /** Exactly this task id. */
  id?: string;
  /** Text found in the arguments, the result, the error type or message (case-insensitive; see TaskQueries for its bound). */
  text?: string;
}

/** A row of the Tasks list: everything but the result and the stack (the detail's). */
export interface TaskListItem {
  id: string;
  name: string;
  status: TaskState;
  args: unknown;
  queue: string | null;
  worker: string | null;
  retries: number;
  createdAt: Date;
  startedAt: Date | null;
  doneAt: Date | null;
  runtimeMs: number | null;
  errorType: string | null;
  errorMessage: string | null;
  /** The task this one is a retry of (the dashboard's Retry), else null. */
  retriedFrom: string | null;
  /** The workflow it belongs to (canvas/): its first step's id, or its group's; null for a task sent alone. */
  rootId: string | null;
  /** The row's meta: a PROGRESS task's last ctx.progress(), a never-run chain step's { chainStoppedBy }. */
  meta: unknown;
}

/** One task, whole. */
export interface TaskDetailItem extends TaskListItem {
  result: unknown;
  errorStack: string | null;
  owner: string | null;
  /** Ids of the tasks retried from this one, oldest first. */
  retriedTo: string[];
  /** Its TaskOutbox row (a durable dispatch), while the outbox keeps it. */
  outbox: { createdAt: Date; dispatchedAt: Date | null; attempts: number; lastError: string | null; runAt: Date | null; expires: Date | null } | null;
  /** The workflow it is part of (its root's rows and groups), null for a task sent alone. */
  workflow: WorkflowItem | null;
}

/** A TaskResult row of a workflow, as its tree needs it. */
export interface WorkflowRowItem {
  id: string;
  name: string;
  status: TaskState;
  /** The step it follows: a task (chain step, link) or a group (a chord's callback). */
  parentId: string | null;
  /** The group it is a member of. */
  groupId: string | null;
  createdAt: Date;
  runtimeMs: number | null;
  meta: unknown;
}

/** A TaskGroup row of a workflow: its members in order, its chord callback if any. */
export interface WorkflowGroupItem {
  id: string;
  memberIds: string[];
  parentId: string | null;
  callbackId: string | null;
  /** The callback's task name (from the group row: the callback may have no row yet). */
  callbackName: string | null;
  createdAt: Date;
}

/**
 * The rows and groups sharing one rootId (the first step's id, or the group's): at most `limit` rows,
 * `truncated` when there were more. The task whose detail it is, is among the rows even then.
 */
export interface WorkflowItem {
  rootId: string;
  rows: WorkflowRowItem[];
  groups: WorkflowGroupItem[];
  truncated: boolean;
  limit: number;
}

/** Tasks by how they ended (see TaskQueries.outcomes for what each counts). */
export interface OutcomeCounts {
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
}

/** A task a retry would send again: what a new message needs. */
export interface RetriableTask {
  id: string;
  name: string;
  args: unknown[];
  queue: string | null;
  owner: string | null;
}

/** The columns `values()` lists the distinct values of. */
export type FacetColumn = "name" | "queue" | "worker";

/**
 * The filters with an index of their own (prisma/celeriac.prisma), in the order a page walks them: the
 * first one a filter has drives (its index is read in the list's order), the others are checked on the
 * rows it reads. Kept here, the one list the queries and the store's statements share.
 */
export const INDEXED_FILTERS = ["statuses", "name", "worker", "queue"] as const;
