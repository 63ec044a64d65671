/**
 * The dashboard's HTTP contract: the JSON every `/api/admin/…` route answers and accepts, and the events
 * of its live feed. One module, imported by the server (dashboard/http.ts and its handlers) and by the
 * prebuilt browser client (dashboard/client/), so the two never drift apart. Types only: nothing here
 * runs, and it imports nothing, so the client bundle takes nothing of the server with it.
 *
 * Times are ISO 8601 strings (UTC). Every route answers `{ error: string, field?: string }` on a 4xx.
 *
 *   GET    overview                              Overview
 *   GET    tasks?<TaskQuery>                     TaskPage         newest first, keyset pagination (`after`)
 *   GET    tasks/facets                          TaskFacets       the filter choices
 *   GET    tasks/retry-count?<TaskQuery>         RetryCount       FAILURE/REVOKED rows a bulk retry would take
 *   POST   tasks/retry         BulkRetryBody     BulkRetryReply
 *   POST   tasks/apply         ApplyBody         ActionReply      send a task by name (Flower's async-apply)
 *   GET    tasks/:id                             TaskDetail
 *   POST   tasks/:id/retry     ActionBody        ActionReply      `taskId`: the new task's id
 *   POST   tasks/:id/revoke    RevokeBody        ActionReply
 *   GET    workers                               WorkerRow[]
 *   POST   workers/:id/shutdown ActionBody       ActionReply      warm shutdown, like `celery control shutdown`
 *   GET    queues                                QueueRow[]
 *   POST   queues/:name/pause  ActionBody        ActionReply
 *   POST   queues/:name/resume ActionBody        ActionReply
 *   POST   queues/:name/purge  PurgeBody         ActionReply      refused (409) when `expected` is stale
 *   GET    periodic-tasks                        PeriodicTaskList
 *   POST   periodic-tasks      PeriodicTaskBody  PeriodicTaskRow  201; 400 naming the field (unknown task, args the schema refuses)
 *   GET    periodic-tasks/:id                    PeriodicTaskRow
 *   PUT    periodic-tasks/:id  PeriodicTaskBody  PeriodicTaskRow
 *   PATCH  periodic-tasks/:id  { enabled }       PeriodicTaskRow
 *   DELETE periodic-tasks/:id                    { deleted: true }
 *   POST   periodic-tasks/:id/run         ActionBody  ActionReply    run now (beat's send path, outside the schedule)
 *   POST   periodic-tasks/:id/return-to-settings     PeriodicTaskRow
 *   GET    audit?before=<id>                     AuditPage
 *   GET    events                                text/event-stream of FeedEvent
 *
 * Every POST/PUT/PATCH/DELETE carries `requestKey` (a random id the page makes once per confirmed
 * action): the same key twice does the action once and answers the first outcome again (a double click).
 */

export type TaskStatus = "PENDING" | "STARTED" | "PROGRESS" | "RETRY" | "SUCCESS" | "FAILURE" | "REVOKED";

/** The filter of the Tasks page, as query parameters (all optional; several `status` allowed). */
export interface TaskQuery {
  status?: TaskStatus[];
  name?: string;
  queue?: string;
  worker?: string;
  /** createdAt ≥ from (ISO). */
  from?: string;
  /** createdAt < to (ISO). */
  to?: string;
  /** An exact task id. */
  id?: string;
  /** Text found in the arguments, the result or the error message. */
  q?: string;
  /** The `next` cursor of the previous page. */
  after?: string;
  /** Rows per page. @defaultValue 50, at most 200 */
  limit?: number;
}

/** A row of the Tasks list (no result, no stack: those are the detail's). `args` is "••••" when the task redacts them. */
export interface TaskRow {
  id: string;
  name: string;
  status: TaskStatus;
  args: unknown;
  queue: string | null;
  worker: string | null;
  retries: number;
  createdAt: string;
  startedAt: string | null;
  doneAt: string | null;
  runtimeMs: number | null;
  errorType: string | null;
  errorMessage: string | null;
  retriedFrom: string | null;
  /** The workflow it is part of (its first step's id, or its group's); null for a task sent alone. */
  rootId: string | null;
  /** A PROGRESS task's last ctx.progress(); null in any other state. */
  progress: TaskProgress | null;
}

/** How far a running task has got (what ctx.progress() reported). */
export interface TaskProgress {
  current: number;
  /** 0 when unknown: then there is no percentage. */
  total: number;
  message?: string;
}

export interface TaskPage {
  rows: TaskRow[];
  /** Pass as `after` for the next (older) page; null on the last page. */
  next: string | null;
}

export interface TaskFacets {
  /** Registered task names (this app's registry and the live workers'), sorted. */
  names: string[];
  queues: string[];
  workers: string[];
}

export interface TaskDetail extends TaskRow {
  result: unknown;
  errorStack: string | null;
  owner: string | null;
  /** Ids of the tasks retried from this one, oldest first. */
  retriedTo: string[];
  /** The outbox row of a durable dispatch, while it is kept. */
  outbox: {
    createdAt: string;
    dispatchedAt: string | null;
    attempts: number;
    lastError: string | null;
    runAt: string | null;
    expires: string | null;
  } | null;
  /** What the page may offer for this row now. */
  can: { retry: boolean; revoke: boolean; terminate: boolean };
  /** The workflow (chain, group, chord) it is part of, as a tree; null for a task sent alone. */
  workflow: Workflow | null;
}

/**
 * A workflow as a tree: each step under the one it follows (parentId: a chain's previous step, the task a
 * link callback belongs to, a chord's group), a group as one node holding its members in order.
 */
export interface Workflow {
  rootId: string;
  /** The root (its first step, or its group), then any step whose parent is not among the rows read. */
  nodes: WorkflowNode[];
  /** The workflow has more than `limit` rows: only `limit` of them (and the task itself) are shown. */
  truncated: boolean;
  limit: number;
}

export type WorkflowNode = WorkflowTaskNode | WorkflowGroupNode;

export interface WorkflowTaskNode {
  kind: "task";
  id: string;
  /** Null for a group member not recorded yet (the group's row names only its members' ids). */
  name: string | null;
  /** False: no TaskResult row yet (a group member or a chord's callback still queued), so no detail page. */
  recorded: boolean;
  status: TaskStatus;
  runtimeMs: number | null;
  progress: TaskProgress | null;
  /** A chain step that never ran because an earlier step failed: that step (its id, and its name when read). */
  notRun: { stoppedBy: string; stoppedByName: string | null } | null;
  children: WorkflowNode[];
}

export interface WorkflowGroupNode {
  kind: "group";
  id: string;
  /** A chord's callback (it is among `children` once sent); null for a plain group. */
  callbackId: string | null;
  /** How many members the group has; `members` may show fewer when the workflow is truncated. */
  memberCount: number;
  /** In the order the group was made (GroupResult.get()'s order). */
  members: WorkflowTaskNode[];
  children: WorkflowNode[];
}

export interface ActionBody {
  requestKey: string;
}

export interface RevokeBody extends ActionBody {
  /** Stop it if it runs now (SIGTERM-like: the worker aborts the task). */
  terminate?: boolean;
}

export interface ApplyBody extends ActionBody {
  task: string;
  /** The positional arguments, checked against the task's schema before anything is sent. */
  args: unknown[];
  queue?: string;
  /** Seconds to wait before it may run. */
  countdown?: number;
}

export interface BulkRetryBody extends ActionBody {
  filter: Omit<TaskQuery, "after" | "limit">;
  /** The count the page showed; refused (409) when more match now than this. */
  expected: number;
}

export interface PurgeBody extends ActionBody {
  /** The count the confirmation stated; refused (409) when it changed. */
  expected: number;
}

export interface ActionReply {
  ok: true;
  /** What happened, in words, for the page's notice ("retried as 7f3…", "purged 12 tasks"). */
  message: string;
  /** A new task's id (retry, apply, run now). */
  taskId?: string;
  /** True when this requestKey was seen before: nothing was done again. */
  repeated?: boolean;
}

export interface RetryCount {
  count: number;
  /** The most one bulk retry takes. */
  limit: number;
}

export interface BulkRetryReply extends ActionReply {
  retried: number;
}

export interface Overview {
  now: string;
  lastHour: OutcomeCounts;
  lastDay: OutcomeCounts;
  /** failed / (succeeded + failed) over the last hour; null without finished tasks. */
  failureRate: number | null;
  queues: QueueRow[];
  workersOnline: number;
  beatLeader: { holder: string; term: number; ttlMs: number } | null;
  /** One point per minute of the last hour, oldest first: tasks finished in that minute, by outcome. */
  perMinute: Array<{ minute: string } & OutcomeCounts>;
  /** Runtime percentiles per task name over the last hour's finished tasks, slowest p95 first. */
  runtimes: Array<{ name: string; count: number; p50Ms: number; p95Ms: number }>;
  /** The most recent audit entries. */
  recentActions: AuditEntry[];
}

export interface OutcomeCounts {
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
}

export interface WorkerRow {
  /** The heartbeat id (`<hostname>:<pid>:<random>`): the shutdown route's `:id`. */
  id: string;
  hostname: string;
  pid: number;
  pool: "async" | "process";
  concurrency: number;
  queues: string[];
  running: Array<{ id: string; task: string; startedAt: string }>;
  processed: number;
  failed: number;
  startedAt: string;
  uptimeS: number;
  lastHeartbeat: string;
  /** Offline: no heartbeat for three intervals (a dead worker), or it stopped. Listed for an hour after. */
  state: "online" | "offline" | "stopped";
}

export interface QueueRow {
  name: string;
  waiting: number;
  prioritized: number;
  active: number;
  delayed: number;
  failed: number;
  paused: boolean;
}

/** The periodic-task form's body (the same fields as the PeriodicTask input of beat/store.ts). */
export interface PeriodicTaskBody {
  name: string;
  task: string;
  args: unknown[];
  queue?: string | null;
  priority?: number | null;
  expireSeconds?: number | null;
  schedule:
    | { kind: "interval"; every: number; period: "days" | "hours" | "minutes" | "seconds" | "milliseconds" }
    | { kind: "crontab"; minute: string; hour: string; dayOfWeek: string; dayOfMonth: string; monthOfYear: string; timezone: string | null }
    | { kind: "cron"; expression: string; timezone: string | null }
    | { kind: "clocked"; at: string };
  enabled?: boolean;
  oneOff?: boolean;
  startTime?: string | null;
  expires?: string | null;
  catchUp?: "one" | "none";
  description?: string;
  requestKey?: string;
}

export interface PeriodicTaskRow {
  id: number;
  name: string;
  task: string;
  /** "••••" when the task redacts its arguments. */
  args: unknown;
  queue: string | null;
  priority: number | null;
  expireSeconds: number | null;
  schedule: PeriodicTaskBody["schedule"];
  /** The schedule in words ("every 30 seconds", "at 03:30 (Europe/Paris)"). */
  scheduleText: string;
  timezone: string;
  enabled: boolean;
  oneOff: boolean;
  startTime: string | null;
  expires: string | null;
  catchUp: "one" | "none";
  description: string;
  source: "settings" | "settings, edited in admin" | "admin";
  totalRunCount: number;
  lastRunAt: string | null;
  /** The last task this row sent and how it ended (a link to its TaskResult). */
  lastRun: { taskId: string; status: TaskStatus } | null;
  /** The next five run times (ISO, UTC); the page shows them in `timezone`. */
  nextRuns: string[];
  /** Why beat will not send it (unknown task, arguments its schema refuses), else null. */
  problem: string | null;
}

export interface PeriodicTaskList {
  timezone: string;
  beatLeader: { holder: string; term: number; ttlMs: number } | null;
  tasks: PeriodicTaskRow[];
  /** Registered task names, for the form's choice. */
  taskNames: string[];
}

export interface AuditEntry {
  id: number;
  at: string;
  /** Who: the name authorize() gave, e.g. the staff user's email. */
  actor: string;
  /** "task.retry", "task.bulkRetry", "task.revoke", "task.apply", "queue.pause", "queue.resume", "queue.purge", "worker.shutdown", "periodic.create", "periodic.update", "periodic.delete", "periodic.run". */
  action: string;
  /** What it acted on: a task id, a queue, a worker id, a periodic task's name. */
  target: string;
  /** The action's own details (terminate, counts, the new task's id…). */
  detail: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for older entries; null at the oldest. */
  next: number | null;
}

/**
 * The live feed (GET events), one SSE `event:` type per member. Tasks come as they change (the result
 * store's announcements, batched); workers, queues and periodic tasks every 2 s while they change.
 */
export interface FeedEvents {
  tasks: TaskRow[];
  workers: WorkerRow[];
  queues: QueueRow[];
  periodic: PeriodicTaskRow[];
  overview: Overview;
}
export type FeedEventName = keyof FeedEvents;
