/**
 * The beat loop (Celery's beat.Scheduler with django-celery-beat's DatabaseScheduler): take or renew the
 * leader lease; when leading, read the enabled PeriodicTask rows, send each due slot once, and sleep until
 * the next slot, at most `maxLoopIntervalMs` so that rows created, edited or disabled in the database take
 * effect within about that long.
 *
 * A due slot is sent through a durable transaction (transaction/outbox.ts): the claim on the row (lastRunAt
 * := the slot, compare-and-set) and the task's outbox row commit together, so a crash after the commit
 * still delivers the task (the outbox relay) and a crash before it leaves the slot to be sent again. The
 * task is sent with its own `applyAsyncOnCommit`: argument checks, routing, queue and priority are the
 * ones `.delay()` applies.
 */
import { randomUUID } from "node:crypto";
import type { ResolvedConfig } from "../config";
import { NotRegisteredError, toErrorInfo } from "../errors";
import type { ResultBackend } from "../results/backend";
import { routeFor } from "../task/options";
import type { Task } from "../dispatch/apply";
import type { Logger } from "../log";
import type { TransactionOptions } from "../transaction/transaction";
import type { Registry } from "../task/registry";
import type { LeaderLease } from "./leader";
import { dueOptionsOf, expiredAt } from "./entry";
import { crontab, isDue, type Schedule } from "./schedule";
import { definitionFromEntry, PeriodicTaskStore, scheduleFromSpec, type PeriodicTaskClient, type PeriodicTaskView, type SyncReport } from "./store";

/**
 * Beat looks this far ahead: it reads the rows and finds the slots due by then before they are due, then
 * sends each on its instant, so reading the table costs no lateness. (Sending ahead with an eta would
 * leave the start to BullMQ's delayed set, which Redis releases only as often as its `hz`, 10 times a
 * second by default: up to 100 ms late, measured.)
 */
export const LOOKAHEAD_MS = 500;
/** Sends in flight at once in one turn. */
const SEND_CONCURRENCY = 4;
/** How soon a send that failed (database or broker unreachable) is tried again: not in a busy loop. */
const RETRY_FAILED_SEND_MS = 500;
/** How often a standby beat tries for the lease. */
const STANDBY_POLL_MS = 250;

/** Celery's celery.backend_cleanup: daily at 04:00 in the app's time zone. */
export const BACKEND_CLEANUP = "celeriac.backendCleanup";

export interface SchedulerDeps {
  config: ResolvedConfig;
  store: PeriodicTaskStore;
  registry: Registry;
  lease: LeaderLease;
  /** Where a periodic task that could not be sent is recorded as FAILURE. */
  backend: ResultBackend;
  transaction<T>(fn: (tx: unknown) => Promise<T>, options?: TransactionOptions): Promise<T>;
  log: Logger;
}

/** One send, as logged and counted. */
export interface BeatSend {
  periodicTask: string;
  task: string;
  taskId: string;
  slotAt: Date;
  sentAt: Date;
}

/** The settings entries beat keeps as managed rows: beatSchedule, plus the built-in cleanup. */
export function settingsDefinitions(config: ResolvedConfig) {
  const entries = { ...config.beatSchedule };
  if (config.resultExpires > 0 && !(BACKEND_CLEANUP in entries)) {
    entries[BACKEND_CLEANUP] = {
      task: BACKEND_CLEANUP,
      schedule: crontab({ minute: 0, hour: 4 }),
      args: [],
      options: {},
      catchUp: "one",
      oneOff: false,
      description: "Deletes task results older than settings.resultExpires (built in).",
    };
  }
  return Object.entries(entries).map(([name, entry]) => definitionFromEntry(name, entry));
}

function sleepUntil(at: Date): Promise<void> {
  const ms = at.getTime() - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export class Scheduler {
  private readonly definitions;
  /** Rows whose schedule could not be read, by id and version, so each is logged once. */
  private readonly reported = new Set<string>();
  /** Schedules built in the last turn, by spec: building a crontab checks it with cron-parser, not redone every turn. */
  private built = new Map<string, Schedule | Error>();
  private lastTerm: number | null = null;

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly onSend?: (send: BeatSend) => void,
  ) {
    // Bad settings entries stop beat at start-up, with the entry named.
    this.definitions = settingsDefinitions(deps.config);
  }

  /**
   * One turn of the loop: renew the lease, and when leading (after syncing the settings on taking the
   * lead) send what is due. Resolves how long to sleep before the next turn: a leader wakes `lookaheadMs`
   * before the next slot (at the latest after beatMaxLoopIntervalMs); a standby tries for the lease
   * every STANDBY_POLL_MS, so a released lease is taken at once.
   */
  async turn(): Promise<number> {
    const { config, lease, log } = this.deps;
    let term: number | null;
    try {
      term = await lease.renew();
    } catch (error) {
      log.error({ err: error }, "beat could not reach Redis for its lease; not sending until it can");
      term = null;
    }
    if (term !== this.lastTerm) {
      if (term !== null) {
        log.info({ term, holder: lease.holder }, "beat is the leader: sending due periodic tasks");
        const report = await this.sync();
        if (report.created.length + report.updated.length + report.removed.length > 0) log.info(report, "periodic tasks from settings synced");
      } else if (this.lastTerm !== null) {
        log.warn({ term: this.lastTerm }, "beat lost the lead: another beat sends now");
      }
      this.lastTerm = term;
    }
    if (term === null) return Math.min(STANDBY_POLL_MS, config.beatMaxLoopIntervalMs);
    const idle = Math.min(config.beatMaxLoopIntervalMs, Math.floor(lease.ttlMs / 3));
    return Math.max(0, Math.min(idle, await this.tick()));
  }

  /** Makes the managed rows match settings (see store.ts). */
  sync(): Promise<SyncReport> {
    return this.deps.store.syncSettings(this.definitions, this.deps.log);
  }

  /**
   * Sends every slot due by `now` + lookaheadMs, each at its instant (waiting for the ones still ahead);
   * resolves the ms until the next turn should start.
   */
  async tick(now = new Date()): Promise<number> {
    const { store, config, lease } = this.deps;
    const horizon = new Date(now.getTime() + this.lookaheadMs);
    let nextInMs = Number.POSITIVE_INFINITY;
    const due: { row: PeriodicTaskView; slotAt: Date; next: () => number }[] = [];
    const built = new Map<string, Schedule | Error>();
    for (const row of await store.enabled()) {
      const schedule = this.scheduleOf(row, built);
      if (schedule === undefined || expiredAt(row, now)) continue;
      if (row.startTime !== null && horizon < row.startTime) {
        nextInMs = Math.min(nextInMs, row.startTime.getTime() - horizon.getTime());
        continue;
      }
      const options = dueOptionsOf(row, schedule, config.timezone);
      const result = isDue(schedule, row.lastRunAt, horizon, options);
      if (result.due && result.slotAt && !expiredAt(row, result.slotAt)) {
        const slotAt = result.slotAt;
        due.push({ row, slotAt, next: () => isDue(schedule, slotAt, new Date(Date.now() + this.lookaheadMs), options).nextInMs });
      } else {
        nextInMs = Math.min(nextInMs, result.nextInMs);
      }
    }
    this.built = built; // only the schedules still in use are kept
    // A few sends at once: with many rows due on one slot, the last is not held up by all the others.
    let cursor = 0;
    const sender = async () => {
      for (let item = due[cursor++]; item !== undefined; item = due[cursor++]) {
        await sleepUntil(item.slotAt);
        if (!lease.isLeader()) return;
        nextInMs = Math.min(nextInMs, await this.trySend(item.row, item.slotAt).then((sent) => (sent ? item.next() : RETRY_FAILED_SEND_MS)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, due.length) }, sender));
    return nextInMs;
  }

  private get lookaheadMs(): number {
    return Math.min(LOOKAHEAD_MS, Math.floor(this.deps.config.beatMaxLoopIntervalMs / 2));
  }

  /** Sends one slot; false (logged) when the database or broker failed and the slot is still to send. */
  private async trySend(row: PeriodicTaskView, slotAt: Date): Promise<boolean> {
    try {
      await this.send(row, slotAt);
      return true;
    } catch (error) {
      this.deps.log.error({ err: error, periodicTask: row.name }, "could not send a due periodic task; trying again shortly");
      return false;
    }
  }

  private scheduleOf(row: PeriodicTaskView, built: Map<string, Schedule | Error>): Schedule | undefined {
    const key = JSON.stringify(row.schedule);
    let schedule = built.get(key) ?? this.built.get(key);
    if (schedule === undefined) {
      try {
        schedule = scheduleFromSpec(row.schedule);
      } catch (error) {
        schedule = error as Error;
      }
    }
    built.set(key, schedule);
    if (!(schedule instanceof Error)) return schedule;
    const reportKey = `${row.id}@${row.updatedAt.getTime()}`;
    if (!this.reported.has(reportKey)) {
      this.reported.add(reportKey);
      this.deps.log.error({ periodicTask: row.name, reason: schedule.message }, "periodic task skipped: its schedule is invalid");
    }
    return undefined;
  }

  /**
   * Claims the slot and sends the task in one durable transaction. A task this beat does not know, or
   * arguments its schema refuses, use up the slot instead of failing every turn, and are recorded as a
   * FAILURE result with the reason (what a worker records for an unregistered task), besides the log.
   */
  private async send(row: PeriodicTaskView, slotAt: Date): Promise<void> {
    const { registry, transaction, log } = this.deps;
    const task = registry.get(row.task) as Task | undefined;
    const oneShot = row.oneOff || row.schedule.kind === "clocked";
    const sent = await transaction(async (tx): Promise<{ taskId: string } | { refused: Error } | null> => {
      if (!(await PeriodicTaskStore.claim(tx as PeriodicTaskClient, row.id, slotAt, oneShot))) return null;
      if (task === undefined) return { refused: new NotRegisteredError(row.task) };
      try {
        const taskId = task.applyAsyncOnCommit(row.args, {
          ...(row.queue !== null && { queue: row.queue }),
          ...(row.priority !== null && { priority: row.priority }),
          ...(row.expireSeconds !== null && { expires: row.expireSeconds }),
        });
        return { taskId };
      } catch (error) {
        return { refused: error as Error };
      }
    }, { durable: true });
    if (sent === null) return;
    if ("refused" in sent) return this.recordRefused(row, sent.refused);
    const send: BeatSend = { periodicTask: row.name, task: row.task, taskId: sent.taskId, slotAt, sentAt: new Date() };
    log.info({ ...send, lateMs: send.sentAt.getTime() - slotAt.getTime() }, `Scheduler: Sending due task ${row.name} (${row.task})`);
    this.onSend?.(send);
  }

  private async recordRefused(row: PeriodicTaskView, error: Error): Promise<void> {
    const { backend, config, log } = this.deps;
    const now = new Date();
    const message = { id: randomUUID(), task: row.task, args: row.args, queue: row.queue ?? routeFor(row.task, config), sentAt: now.getTime(), retries: 0 };
    log.error({ periodicTask: row.name, task: row.task, taskId: message.id, reason: error.message }, "periodic task could not be sent: slot used up, recorded as FAILURE");
    await backend.finished({ message, worker: "beat", startedAt: now, doneAt: now, outcome: { status: "FAILURE", error: toErrorInfo(error) } });
  }
}
