/**
 * Celery's `inspect`, `purge` and `control`, over the broker: what the live workers run and serve (from
 * their heartbeats), what waits in the queues, emptying, pausing and resuming queues, and asking a worker
 * to shut down. Used by the CLI (`npm run celeriac -- inspect …`, `control …`) and the dashboard. Every
 * function takes the broker and opens nothing of its own.
 *
 * The known queues are the union of the queues live workers serve and the queues the broker keeps state
 * for (BullMQ meta keys), so a queue nobody serves still shows up with what waits in it.
 */
import { scheduleSummary, sourceOf, type Source } from "../beat/entry.js";
import { LEASE_NAME } from "../beat/leader.js";
import type { PeriodicTaskStore } from "../beat/store.js";
import type { BrokerInspection, LeaseInfo, Leases, TaskControl } from "../broker/broker.js";
import type { QueueCounts, TaskCounts, WorkerHeartbeat } from "../broker/inspection.js";
import { NotFoundError } from "../errors.js";

/** Who a worker is, in every per-worker answer. */
export interface WorkerName {
  /** The hostname, or `hostname (pid N, id)` when several live workers share one hostname. */
  worker: string;
  hostname: string;
  pid: number;
}

export interface ActiveReply extends WorkerName {
  tasks: Array<{ id: string; task: string; startedAt: Date }>;
}

export interface RegisteredReply extends WorkerName {
  tasks: string[];
}

export interface ScheduledReply {
  queue: string;
  /** Delayed jobs in the queue (`tasks` holds at most the limit asked for). */
  total: number;
  tasks: Array<{ id: string; task: string; args: unknown[]; eta: Date; retries: number }>;
}

export interface WorkerStats extends WorkerName {
  /** The heartbeat id (`<hostname>:<pid>:<random>`): what `control shutdown` names one worker by. */
  id: string;
  pool: WorkerHeartbeat["pool"];
  startedAt: Date;
  uptimeS: number;
  concurrency: number;
  queues: string[];
  counts: TaskCounts;
  /** Finished tasks per task name. */
  total: Record<string, number>;
  /** Tasks running now. */
  active: number;
  /** When the worker's last heartbeat was sent. */
  heartbeatAt: Date;
}

export interface Stats {
  workers: WorkerStats[];
  queues: Array<{ queue: string } & QueueCounts>;
}

export interface PurgeReply {
  total: number;
  queues: Array<{ queue: string; purged: number }>;
}

/** @defaultValue 100 delayed jobs listed per queue */
export const SCHEDULED_LIMIT = 100;

/** The live workers' heartbeats, each with its display name. */
async function workers(broker: BrokerInspection): Promise<Array<{ name: WorkerName; beat: WorkerHeartbeat }>> {
  const beats = await broker.heartbeats();
  return beats.map((beat) => {
    const shared = beats.some((other) => other !== beat && other.hostname === beat.hostname);
    const suffix = beat.id.slice(beat.id.lastIndexOf(":") + 1);
    const worker = shared ? `${beat.hostname} (pid ${beat.pid}, ${suffix})` : beat.hostname;
    return { name: { worker, hostname: beat.hostname, pid: beat.pid }, beat };
  });
}

/** Tasks running now, per worker (Celery's `inspect active`). */
export async function active(broker: BrokerInspection): Promise<ActiveReply[]> {
  return (await workers(broker)).map(({ name, beat }) => ({
    ...name,
    tasks: beat.active.map((t) => ({ id: t.id, task: t.task, startedAt: new Date(t.startedAt) })),
  }));
}

/** Task names per worker (Celery's `inspect registered`). */
export async function registered(broker: BrokerInspection): Promise<RegisteredReply[]> {
  return (await workers(broker)).map(({ name, beat }) => ({ ...name, tasks: [...beat.tasks].sort() }));
}

/** Every queue a live worker serves or the broker holds state for, sorted. */
export async function knownQueues(broker: BrokerInspection): Promise<string[]> {
  const [beats, stored] = await Promise.all([broker.heartbeats(), broker.queueNames()]);
  return [...new Set([...beats.flatMap((b) => b.queues), ...stored])].sort();
}

/**
 * Tasks waiting for their time — countdown, eta, a retry's backoff, a rate-limit slot — per queue,
 * soonest first (Celery's `inspect scheduled`, read from the queues rather than from the workers).
 */
export async function scheduled(broker: BrokerInspection, options: { queues?: readonly string[]; limit?: number } = {}): Promise<ScheduledReply[]> {
  const queues = options.queues ?? (await knownQueues(broker));
  const limit = Math.max(1, options.limit ?? SCHEDULED_LIMIT);
  return Promise.all(
    queues.map(async (queue) => {
      const { total, jobs } = await broker.scheduled(queue, limit);
      return { queue, total, tasks: jobs.map((j) => ({ id: j.id, task: j.task, args: j.args, eta: new Date(j.eta), retries: j.retries })) };
    }),
  );
}

/** Per worker: pid, uptime, concurrency, queues, counts; per queue: its jobs by state (Celery's `inspect stats`). */
export async function stats(broker: BrokerInspection, now: number = Date.now()): Promise<Stats> {
  const [live, queues] = await Promise.all([workers(broker), knownQueues(broker)]);
  const counts = await Promise.all(queues.map(async (queue) => ({ queue, ...(await broker.queueCounts(queue)) })));
  return {
    workers: live.map(({ name, beat }) => ({
      ...name,
      id: beat.id,
      pool: beat.pool,
      startedAt: new Date(beat.startedAt),
      uptimeS: Math.max(0, Math.round((now - beat.startedAt) / 1000)),
      concurrency: beat.concurrency,
      queues: beat.queues,
      counts: beat.counts,
      total: beat.total,
      active: beat.active.length,
      heartbeatAt: new Date(beat.sentAt),
    })),
    queues: counts,
  };
}

/** How many tasks `purge(queues)` would delete now: waiting (plain and prioritized) and delayed ones. */
export async function purgeable(broker: BrokerInspection, queues: readonly string[]): Promise<number> {
  const counts = await Promise.all(queues.map((q) => broker.queueCounts(q)));
  return counts.reduce((sum, c) => sum + c.waiting + c.prioritized + c.delayed, 0);
}

/**
 * Deletes the waiting and delayed tasks of `queues` (Celery's `purge`); running tasks are left alone. The
 * purged tasks never run; a TaskResult row written for one before it was sent (a dispatch in a
 * transaction) stays PENDING.
 */
export async function purge(broker: BrokerInspection, queues: readonly string[]): Promise<PurgeReply> {
  const purged = await Promise.all(queues.map(async (queue) => ({ queue, purged: await broker.purge(queue) })));
  return { total: purged.reduce((sum, q) => sum + q.purged, 0), queues: purged };
}

/** Refuses a queue neither a live worker serves nor the broker holds state for: a typo would make one. */
async function knownQueue(broker: BrokerInspection, queue: string): Promise<void> {
  if (!(await knownQueues(broker)).includes(queue)) throw new NotFoundError("queue", queue);
}

/**
 * Pauses a known queue for every worker (BullMQ's pause): they take no new task from it, the running ones
 * finish, and what waits stays waiting (and can still be purged) until resumeQueue. Throws NotFoundError
 * for a queue it does not know.
 */
export async function pauseQueue(broker: BrokerInspection, queue: string): Promise<void> {
  await knownQueue(broker, queue);
  await broker.pauseQueue(queue);
}

/** Lets the workers take a paused queue's tasks again; NotFoundError for a queue it does not know. */
export async function resumeQueue(broker: BrokerInspection, queue: string): Promise<void> {
  await knownQueue(broker, queue);
  await broker.resumeQueue(queue);
}

/** A worker asked to shut down. */
export interface ShutdownReply extends WorkerName {
  id: string;
}

/**
 * Asks live workers to shut down warm (Celery's `control shutdown`): the one whose heartbeat id is `name`,
 * or every one with that hostname. Resolves those asked, none when no live worker goes by that name; does
 * not wait for them to stop (each finishes its running tasks within its grace period, then exits).
 */
export async function shutdown(broker: BrokerInspection & Pick<TaskControl, "shutdownWorker">, name: string): Promise<ShutdownReply[]> {
  const named = (await workers(broker)).filter(({ beat }) => beat.id === name || beat.hostname === name);
  const asked = await Promise.all(named.map(async ({ name: who, beat }) => ((await broker.shutdownWorker(beat.id)) ? [{ ...who, id: beat.id }] : [])));
  return asked.flat();
}

export interface BeatReply {
  /** The beat holding the lease now, or null: no beat is sending. */
  leader: LeaseInfo | null;
  tasks: Array<{
    name: string;
    task: string;
    schedule: string;
    enabled: boolean;
    source: Source;
    lastRunAt: Date | null;
    nextRunAt: Date | null;
    totalRunCount: number;
  }>;
}

/** Which beat leads, and every periodic task with its last and next run (beat's own rules, beat/entry.ts). */
export async function beatStatus(broker: Pick<Leases, "leaseHolder">, store: PeriodicTaskStore, timezone: string, now = new Date()): Promise<BeatReply> {
  const [leader, rows] = await Promise.all([broker.leaseHolder(LEASE_NAME), store.list()]);
  const tasks = rows.map((row) => {
    const { schedule, nextRunAt } = scheduleSummary(row, now, timezone);
    return { name: row.name, task: row.task, schedule, enabled: row.enabled, source: sourceOf(row), lastRunAt: row.lastRunAt, nextRunAt, totalRunCount: row.totalRunCount };
  });
  return { leader, tasks };
}
