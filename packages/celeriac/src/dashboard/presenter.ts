/**
 * Framework records as the API's rows (api-types.ts): dates as ISO strings, and arguments redacted where
 * their task says so. Every argument the dashboard shows passes through `args()` here, and nowhere else:
 *
 *   taskRow / taskRowOfRecord / taskDetail   TaskResult rows (list, live feed, detail; the detail's workflow: workflow-tree.ts)
 *   workerRow / queueRow                     the broker's heartbeats and queue counts
 *   periodicRow                              a PeriodicTask row, with what the dashboard worked out about it
 *   auditEntry                               an audit log entry (its stored outcome as a word)
 *   args(name, args)                         a task's arguments as the dashboard may show them
 */
import { sourceOf } from "../beat/entry.js";
import type { PeriodicTaskView } from "../beat/store.js";
import type { QueueCounts, SeenWorker } from "../broker/inspection.js";
import type { TaskRecord } from "../results/backend.js";
import type { AuditRecord } from "../results/audit.js";
import { progressOf, States } from "../states.js";
import type { TaskDetailItem, TaskListItem } from "../results/queries.js";
import type { StoredOutcome } from "./actions.js";
import type { AuditEntry, PeriodicTaskRow, QueueRow, TaskDetail, TaskRow, TaskStatus, WorkerRow } from "./api-types.js";
import type { KnownTasks } from "./known-tasks.js";
import { allowedActions } from "./task-actions.js";
import { workflowTree } from "./workflow-tree.js";

/** What the dashboard shows in place of a redacted argument, or of all of them. */
export const REDACTED = "••••";

/** `args` with the positions `rule` names hidden (`true`: all of them). */
export function redact(args: unknown, rule: true | readonly number[] | undefined): unknown {
  if (rule === undefined) return args;
  if (rule === true || !Array.isArray(args)) return REDACTED;
  return args.map((value, index) => (rule.includes(index) ? REDACTED : value));
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** What the dashboard works out about a periodic task besides its columns (api/periodic-tasks.ts). */
export interface PeriodicFacts {
  scheduleText: string;
  /** The zone its times are shown in: its schedule's own, else the app's. */
  timezone: string;
  lastRun: { taskId: string; status: TaskStatus } | null;
  nextRuns: readonly Date[];
  problem: string | null;
}

export class Presenter {
  constructor(private readonly known: KnownTasks) {}

  /** A task's arguments as the dashboard may show them (its task's `redactArgs`). */
  args(name: string, args: unknown): unknown {
    return redact(args, this.known.get(name)?.redactArgs);
  }

  taskRow(item: TaskListItem): TaskRow {
    return {
      id: item.id,
      name: item.name,
      status: item.status,
      args: this.args(item.name, item.args),
      queue: item.queue,
      worker: item.worker,
      retries: item.retries,
      createdAt: item.createdAt.toISOString(),
      startedAt: iso(item.startedAt),
      doneAt: iso(item.doneAt),
      runtimeMs: item.runtimeMs,
      errorType: item.errorType,
      errorMessage: item.errorMessage,
      retriedFrom: item.retriedFrom,
      rootId: item.rootId,
      progress: item.status === States.PROGRESS ? progressOf(item.meta) : null,
    };
  }

  /** A row from the result store's own record (an announcement): it does not carry `retriedFrom`. */
  taskRowOfRecord(record: TaskRecord, retriedFrom: string | null): TaskRow {
    return this.taskRow({
      ...record,
      errorType: record.error?.type ?? null,
      errorMessage: record.error?.message ?? null,
      retriedFrom,
    });
  }

  taskDetail(item: TaskDetailItem): TaskDetail {
    const { outbox } = item;
    return {
      ...this.taskRow(item),
      result: item.result,
      errorStack: item.errorStack,
      owner: item.owner,
      retriedTo: item.retriedTo,
      outbox: outbox && {
        createdAt: outbox.createdAt.toISOString(),
        dispatchedAt: iso(outbox.dispatchedAt),
        attempts: outbox.attempts,
        lastError: outbox.lastError,
        runAt: iso(outbox.runAt),
        expires: iso(outbox.expires),
      },
      can: allowedActions(item.status),
      workflow: item.workflow && workflowTree(item.workflow),
    };
  }

  workerRow({ heartbeat, state }: SeenWorker, now: number): WorkerRow {
    return {
      id: heartbeat.id,
      hostname: heartbeat.hostname,
      pid: heartbeat.pid,
      pool: heartbeat.pool,
      concurrency: heartbeat.concurrency,
      queues: heartbeat.queues,
      running: heartbeat.active.map((task) => ({ id: task.id, task: task.task, startedAt: new Date(task.startedAt).toISOString() })),
      processed: heartbeat.counts.processed,
      failed: heartbeat.counts.failed,
      startedAt: new Date(heartbeat.startedAt).toISOString(),
      uptimeS: Math.max(0, Math.round(((state === "online" ? now : heartbeat.sentAt) - heartbeat.startedAt) / 1000)),
      lastHeartbeat: new Date(heartbeat.sentAt).toISOString(),
      state,
    };
  }

  queueRow(name: string, counts: QueueCounts): QueueRow {
    const { waiting, prioritized, active, delayed, failed, paused } = counts;
    return { name, waiting, prioritized, active, delayed, failed, paused };
  }

  periodicRow(view: PeriodicTaskView, facts: PeriodicFacts): PeriodicTaskRow {
    const { schedule } = view;
    return {
      id: view.id,
      name: view.name,
      task: view.task,
      args: this.args(view.task, view.args),
      queue: view.queue,
      priority: view.priority,
      expireSeconds: view.expireSeconds,
      schedule: schedule.kind === "clocked" ? { kind: "clocked", at: schedule.at.toISOString() } : schedule,
      scheduleText: facts.scheduleText,
      timezone: facts.timezone,
      enabled: view.enabled,
      oneOff: view.oneOff,
      startTime: iso(view.startTime),
      expires: iso(view.expires),
      catchUp: view.catchUp,
      description: view.description,
      source: sourceOf(view),
      totalRunCount: view.totalRunCount,
      lastRunAt: iso(view.lastRunAt),
      lastRun: facts.lastRun,
      nextRuns: facts.nextRuns.map((date) => date.toISOString()),
      problem: facts.problem,
    };
  }

  /**
   * An audit entry: the action's details as recorded (arguments in them were redacted before they were
   * stored), with `outcome` in words: "ok", "refused: <why>", or "pending" while it runs (or if it never ended).
   */
  auditEntry(record: AuditRecord): AuditEntry {
    const { outcome, ...detail } = (record.detail ?? {}) as { outcome?: StoredOutcome } & Record<string, unknown>;
    const refusal = outcome && outcome.status >= 400 ? (outcome.body as { error?: unknown }).error : undefined;
    return {
      id: record.id,
      at: record.at.toISOString(),
      actor: record.actor,
      action: record.action,
      target: record.target,
      detail: { ...detail, outcome: outcome === undefined ? "pending" : refusal === undefined ? "ok" : `refused: ${String(refusal)}` },
    };
  }
}
