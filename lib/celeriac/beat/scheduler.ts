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
import type { ResolvedConfig } from "../config";
import type { Task } from "../dispatch/apply";
import type { Logger } from "../log";
import type { TransactionOptions } from "../transaction/transaction";
import type { Registry } from "../task/registry";
import type { LeaderLease } from "./leader";
import { isDue, type Schedule } from "./schedule";
import { PeriodicTaskStore, scheduleFromSpec, type PeriodicTaskClient, type PeriodicTaskView, type SyncReport, definitionFromEntry } from "./store";
import { crontab } from "./schedule";

/** Celery's celery.backend_cleanup: daily at 04:00 in the app's time zone. */
export const BACKEND_CLEANUP = "celeriac.backendCleanup";

export interface SchedulerDeps {
  config: ResolvedConfig;
  store: PeriodicTaskStore;
  registry: Registry;
  lease: LeaderLease;
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

/** When the first run of a row that never ran may come: intervals run first at startTime (or one interval after creation). */
function startAtOf(row: PeriodicTaskView, schedule: Schedule): Date {
  if (row.startTime === null) return row.createdAt;
  return schedule.kind === "interval" ? new Date(row.startTime.getTime() - schedule.everyMs) : row.startTime;
}

export class Scheduler {
  private readonly definitions;
  /** Rows whose schedule could not be read, by id and version, so each is logged once. */
  private readonly reported = new Set<string>();
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
   * lead) send what is due. Resolves how long to sleep before the next turn.
   */
  async turn(): Promise<number> {
    const { config, lease, log } = this.deps;
    const idle = Math.min(config.beatMaxLoopIntervalMs, Math.floor(lease.ttlMs / 3));
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
    if (term === null) return idle;
    return Math.max(0, Math.min(idle, await this.tick()));
  }

  /** Makes the managed rows match settings (see store.ts). */
  sync(): Promise<SyncReport> {
    return this.deps.store.syncSettings(this.definitions, this.deps.log);
  }

  /** Sends every due slot; resolves the ms until the next one is due. */
  async tick(now = new Date()): Promise<number> {
    const { store, config, lease, log } = this.deps;
    let nextInMs = Number.POSITIVE_INFINITY;
    for (const row of await store.enabled()) {
      if (!lease.isLeader()) break;
      const schedule = this.scheduleOf(row);
      if (schedule === undefined || (row.expires !== null && now >= row.expires)) continue;
      if (row.startTime !== null && now < row.startTime) {
        nextInMs = Math.min(nextInMs, row.startTime.getTime() - now.getTime());
        continue;
      }
      const options = { startAt: startAtOf(row, schedule), catchUp: row.catchUp, timezone: config.timezone };
      const due = isDue(schedule, row.lastRunAt, now, options);
      if (due.due && due.slotAt) {
        try {
          await this.send(row, due.slotAt);
        } catch (error) {
          log.error({ err: error, periodicTask: row.name }, "could not send a due periodic task; trying again on the next turn");
          nextInMs = 0;
          continue;
        }
        nextInMs = Math.min(nextInMs, isDue(schedule, due.slotAt, new Date(), options).nextInMs);
      } else {
        nextInMs = Math.min(nextInMs, due.nextInMs);
      }
    }
    return nextInMs;
  }

  private scheduleOf(row: PeriodicTaskView): Schedule | undefined {
    try {
      return scheduleFromSpec(row.schedule);
    } catch (error) {
      const key = `${row.id}@${row.updatedAt.getTime()}`;
      if (!this.reported.has(key)) {
        this.reported.add(key);
        this.deps.log.error({ periodicTask: row.name, reason: (error as Error).message }, "periodic task skipped: its schedule is invalid");
      }
      return undefined;
    }
  }

  /**
   * Claims the slot and sends the task in one durable transaction. A task this beat does not know, or
   * arguments its schema refuses, use up the slot (logged as an error) instead of failing every turn.
   */
  private async send(row: PeriodicTaskView, slotAt: Date): Promise<void> {
    const { registry, transaction, log } = this.deps;
    const task = registry.get(row.task) as Task | undefined;
    const oneShot = row.oneOff || row.schedule.kind === "clocked";
    const taskId = await transaction(async (tx) => {
      if (!(await PeriodicTaskStore.claim(tx as PeriodicTaskClient, row.id, slotAt, oneShot))) return null;
      if (task === undefined) {
        log.error({ periodicTask: row.name, task: row.task }, "periodic task names a task this beat does not know (not under tasks/): slot skipped");
        return null;
      }
      try {
        return task.applyAsyncOnCommit(row.args, {
          ...(row.queue !== null && { queue: row.queue }),
          ...(row.priority !== null && { priority: row.priority }),
          ...(row.expireSeconds !== null && { expires: row.expireSeconds }),
        });
      } catch (error) {
        log.error({ periodicTask: row.name, task: row.task, reason: (error as Error).message }, "periodic task refused at send: slot skipped");
        return null;
      }
    }, { durable: true });
    if (taskId === null) return;
    const sent: BeatSend = { periodicTask: row.name, task: row.task, taskId, slotAt, sentAt: new Date() };
    log.info({ ...sent, lateMs: sent.sentAt.getTime() - slotAt.getTime() }, `Scheduler: Sending due task ${row.name} (${row.task})`);
    this.onSend?.(sent);
  }
}
