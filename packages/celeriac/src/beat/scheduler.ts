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
 *
 * On time (issue 10). Everything a send needs except the commit and the publish is done before the slot's
 * instant: a little ahead of it (PREPARE_*: learnt from how long preparing took) beat opens the transaction,
 * claims the rows due on that instant and builds their messages, then waits for the instant inside the
 * open transaction (setTimeout, then a setImmediate loop for the last SPIN_MS, since timers fire late) and
 * checks it still leads; only then does the callback return, so the outbox insert, the commit and the
 * Redis publish are all that happen after the instant. Nothing is visible before it: the claim commits at
 * the instant (readers see the old lastRunAt until then), and the task is published after that commit. The
 * send path is warmed once in a while by a dry run (a claim of no row, the task's argument checks, an
 * outbox insert, all rolled back; and the producer's queue), so a cold process's first send does not also
 * pay for the first run of those statements and that code. (What the dry run cannot reach, the first real
 * publish and the worker's first delivery, still makes a new process's first send the slowest, measured.)
 */
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn, setTimeout as delay } from "node:timers/promises";
import type { BrokerInspection } from "../broker/broker.js";
import type { ResolvedConfig } from "../config.js";
import { BrokerUnavailableError, NotRegisteredError, toErrorInfo } from "../errors.js";
import type { ResultBackend } from "../results/backend.js";
import type { SchemaMonitor } from "../results/schema-monitor.js";
import { routeFor } from "../task/options.js";
import type { Task } from "../dispatch/apply.js";
import type { Logger } from "../log.js";
import type { OutboxClient, OutboxStore } from "../transaction/outbox.js";
import { toOutboxRow } from "../transaction/outbox-row.js";
import type { TransactionOptions } from "../transaction/transaction.js";
import type { Registry } from "../task/registry.js";
import type { LeaderLease } from "./leader.js";
import { dueOptionsOf, expiredAt } from "./entry.js";
import { crontab, isDue, type Schedule } from "./schedule.js";
import { definitionFromEntry, PeriodicTaskStore, scheduleFromSpec, type PeriodicTaskClient, type PeriodicTaskView, type SyncReport } from "./store.js";

/**
 * Beat looks this far ahead: it reads the rows and finds the slots due by then before they are due, then
 * sends each on its instant, so reading the table costs no lateness. (Sending ahead with an eta would
 * leave the start to BullMQ's delayed set, which Redis releases only as often as its `hz`, 10 times a
 * second by default: up to 100 ms late, measured.)
 */
export const LOOKAHEAD_MS = 500;
/** Slot instants being prepared or sent at once in one turn (each one transaction). */
const SEND_CONCURRENCY = 4;
/**
 * Rows claimed and sent in one transaction at most (more rows on one instant: several transactions). On
 * SQLite a transaction holds the write lock from its first claim to its commit, and other writers wait
 * (the result writer gives up after 250 ms): a bounded group keeps that short.
 */
const GROUP_MAX = 20;
/**
 * How long before its instant a slot's send starts being prepared: PREPARE_MIN_MS plus twice what preparing
 * took lately (a decaying maximum per row), at most PREPARE_MAX_MS. On SQLite the claim holds the database's
 * write lock from then until the commit, so this stays short.
 */
const PREPARE_MIN_MS = 15;
const PREPARE_MAX_MS = 200;
/** What preparing one row is assumed to take before beat has measured it. */
const PREPARE_FIRST_GUESS_MS = 3;
/** The last stretch before an instant is waited in a setImmediate loop (setTimeout fires up to a few ms late). */
const SPIN_MS = 5;
/** The send path is warmed (a dry run, rolled back) before a send when it has not run for this long. */
const WARM_AFTER_MS = 60_000;
/** How soon a send that failed (database or broker unreachable) is tried again: not in a busy loop. */
const RETRY_FAILED_SEND_MS = 500;
/** How often a standby beat tries for the lease. */
const STANDBY_POLL_MS = 250;

/** Celery's celery.backend_cleanup: daily at 04:00 in the app's time zone. */
export const BACKEND_CLEANUP = "celeriac.backendCleanup";

export interface SchedulerDeps {
  config: ResolvedConfig;
  /** Only to warm the producer side (queueCounts opens the queue a first send would open). */
  broker: Pick<BrokerInspection, "queueCounts">;
  /** Only for the warm-up's dry run: the outbox insert a durable transaction makes. */
  outbox: Pick<OutboxStore, "insert">;
  store: PeriodicTaskStore;
  registry: Registry;
  lease: LeaderLease;
  /** Where a periodic task that could not be sent is recorded as FAILURE. */
  backend: ResultBackend;
  transaction<T>(fn: (tx: unknown) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** The app's onCommit: a send is reported once its own publish is done, in order with the others. */
  onCommit(callback: () => unknown): void;
  /** A missing table (PeriodicTask, TaskOutbox) is reported by it, once a minute, instead of at every turn. */
  schema?: Pick<SchemaMonitor, "report">;
  /**
   * PostgreSQL: the server ends a send's transaction that sits idle for longer than the lease. A beat cut
   * off from the network between its claim and its commit would otherwise keep the claimed row locked until
   * PostgreSQL noticed the dead connection (TCP keepalive: two hours by default), and the beat that takes
   * the lease over would wait on that row all along: no beat would send (test/chaos/several-hosts.int.test.ts).
   * Ending one loses no slot: a beat idle that long in a send no longer trusts its lease, the claim is
   * rolled back, and the leader sends the slot.
   */
  boundClaimLocks?: boolean;
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
  return Object.entries(entries).map(([name, entry]) => definitionFromEntry(name, entry, config.maxPayloadBytes));
}

/** The applyAsync options a row's columns stand for. */
function sendOptionsOf(row: PeriodicTaskView) {
  return {
    ...(row.queue !== null && { queue: row.queue }),
    ...(row.priority !== null && { priority: row.priority }),
    ...(row.expireSeconds !== null && { expires: row.expireSeconds }),
  };
}

function sleepUntil(atMs: number): Promise<void> {
  const ms = atMs - Date.now();
  return ms > 0 ? delay(ms) : Promise.resolve();
}

/** Resolves once Date.now() has reached `atMs`, within a fraction of a ms: a timer, then a short setImmediate loop. */
async function untilInstant(atMs: number): Promise<void> {
  const early = atMs - Date.now() - SPIN_MS;
  if (early > 0) await delay(early);
  while (Date.now() < atMs) await nextTurn();
}

/** Thrown inside a slot's transaction to roll it back: the lease was lost while waiting for the instant. */
class NotLeading extends Error {}
/** Thrown to roll the warm-up's dry run back. */
class DryRun extends Error {}

interface Due {
  row: PeriodicTaskView;
  slotAt: Date;
  next: () => number;
}

export class Scheduler {
  private readonly definitions;
  /** Rows whose schedule could not be read, by id and version, so each is logged once. */
  private readonly reported = new Set<string>();
  /** Schedules built in the last turn, by spec: building a crontab checks it with cron-parser, not redone every turn. */
  private built = new Map<string, Schedule | Error>();
  private lastTerm: number | null = null;
  /** Whether the settings were synced since this beat took the lead (a sync that failed is tried again next turn). */
  private synced = false;
  /** What preparing one row's send took lately (see learnPrepare). */
  private preparePerRowMs = PREPARE_FIRST_GUESS_MS;
  /** When the send path last ran, for real or as a dry run (see warmUp). */
  private warmedAt = Number.NEGATIVE_INFINITY;

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
      // Redis away is said in one line a turn (its message names the URL), not with a stack each time.
      if (error instanceof BrokerUnavailableError) log.error(`beat could not reach Redis for its lease (${error.message}); not sending until it can`);
      else log.error({ err: error }, "beat could not reach Redis for its lease; not sending until it can");
      term = null;
    }
    if (term !== this.lastTerm) {
      if (term !== null) log.info({ term, holder: lease.holder }, "beat is the leader: sending due periodic tasks");
      else if (this.lastTerm !== null) log.warn({ term: this.lastTerm }, "beat lost the lead: another beat sends now");
      this.lastTerm = term;
      this.synced = false;
    }
    if (term !== null && !this.synced) {
      const report = await this.sync();
      this.synced = true;
      if (report.created.length + report.updated.length + report.removed.length > 0) log.info(report, "periodic tasks from settings synced");
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
    const due: Due[] = [];
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
    if (due.length === 0) return nextInMs;
    if (Date.now() - this.warmedAt > WARM_AFTER_MS) await this.warmUp(due.map((d) => d.row));
    // The rows due on one instant are claimed and sent in one transaction (GROUP_MAX rows at most), prepared
    // ahead of the instant; a few instants at once, so that one slow send does not hold up the next instant.
    const groups: Due[][] = [];
    for (const item of [...due].sort((a, b) => a.slotAt.getTime() - b.slotAt.getTime())) {
      const last = groups.at(-1);
      if (last && last[0].slotAt.getTime() === item.slotAt.getTime() && last.length < GROUP_MAX) last.push(item);
      else groups.push([item]);
    }
    let cursor = 0;
    const sender = async () => {
      for (let group = groups[cursor++]; group !== undefined; group = groups[cursor++]) {
        const slotAtMs = group[0].slotAt.getTime();
        await sleepUntil(slotAtMs - this.prepareMs(group.length));
        if (!lease.isLeader()) return;
        const sent = await this.trySend(group);
        if (sent === "not leading") return;
        nextInMs = Math.min(nextInMs, ...group.map((item) => (sent ? item.next() : RETRY_FAILED_SEND_MS)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, groups.length) }, sender));
    return nextInMs;
  }

  /** How long before an instant to start preparing `rows` sends (see PREPARE_MIN_MS). */
  private prepareMs(rows: number): number {
    return Math.min(PREPARE_MAX_MS, Math.round(PREPARE_MIN_MS + 2 * this.preparePerRowMs * rows));
  }

  /** Learns from one preparation: a decaying maximum, so one slow turn lengthens the lead for a while. */
  private learnPrepare(ms: number, rows: number): void {
    this.preparePerRowMs = Math.max(ms / rows, this.preparePerRowMs * 0.9);
  }

  private get lookaheadMs(): number {
    return Math.min(LOOKAHEAD_MS, Math.floor(this.deps.config.beatMaxLoopIntervalMs / 2));
  }

  /** Sends one instant's rows; false (logged) when the database or broker failed and the slots are still to send. */
  private async trySend(group: Due[]): Promise<boolean | "not leading"> {
    try {
      await this.send(group);
      return true;
    } catch (error) {
      if (error instanceof NotLeading) return "not leading";
      if (!this.deps.schema?.report(error)) {
        this.deps.log.error({ err: error, periodicTask: group.map((d) => d.row.name).join(", ") }, "could not send a due periodic task; trying again shortly");
      }
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
   * Claims the rows of one instant and sends their tasks in one durable transaction, prepared before the
   * instant and committed at it (see the module comment). A row another beat claimed first is skipped. A
   * task this beat does not know, or arguments its schema refuses, use up the slot instead of failing every
   * turn, and are recorded as a FAILURE result with the reason (what a worker records for an unregistered
   * task), besides the log. Each send is reported (log, onSend) once its own publish is done.
   */
  private async send(group: Due[]): Promise<void> {
    const { registry, transaction, onCommit, lease, log } = this.deps;
    const slotAt = group[0].slotAt;
    const startedAt = performance.now();
    const refused: { row: PeriodicTaskView; error: Error; taskId: string }[] = [];
    await transaction(async (tx) => {
      if (this.deps.boundClaimLocks) await PeriodicTaskStore.limitIdle(tx as OutboxClient, lease.ttlMs);
      for (const { row } of group) {
        const oneShot = row.oneOff || row.schedule.kind === "clocked";
        // The id is chosen first, so the claim records it as the row's last run (its result, sent or refused).
        const taskId = randomUUID();
        if (!(await PeriodicTaskStore.claim(tx as PeriodicTaskClient, row.id, slotAt, oneShot, taskId))) continue;
        const task = registry.get(row.task) as Task | undefined;
        if (task === undefined) {
          refused.push({ row, error: new NotRegisteredError(row.task), taskId });
          continue;
        }
        try {
          task.applyAsyncOnCommit(row.args, { ...sendOptionsOf(row), taskId });
        } catch (error) {
          refused.push({ row, error: error as Error, taskId });
          continue;
        }
        onCommit(() => {
          const send: BeatSend = { periodicTask: row.name, task: row.task, taskId, slotAt, sentAt: new Date() };
          log.info({ ...send, lateMs: send.sentAt.getTime() - slotAt.getTime() }, `Scheduler: Sending due task ${row.name} (${row.task})`);
          this.onSend?.(send);
        });
      }
      this.learnPrepare(performance.now() - startedAt, group.length);
      await untilInstant(slotAt.getTime());
      if (!lease.isLeader()) throw new NotLeading("beat lost the lead before the slot's instant; rolled back");
    }, { durable: true });
    this.warmedAt = Date.now();
    for (const { row, error, taskId } of refused) await this.recordRefused(row, error, taskId);
  }

  /**
   * A dry run of the send path, rolled back: the claim's statement on no row, each task's argument checks
   * and message, an outbox insert; and the producer's queue opened. Prisma, the driver and V8 then have
   * the send's statements and code ready before the first real send. Failures are only logged.
   */
  private async warmUp(rows: PeriodicTaskView[]): Promise<void> {
    const { transaction, registry, broker, outbox: outboxStore, config, log } = this.deps;
    this.warmedAt = Date.now();
    const byTask = new Map(rows.map((row) => [row.task, row]));
    const queues = new Set<string>();
    try {
      await transaction(async (tx) => {
        await PeriodicTaskStore.claim(tx as PeriodicTaskClient, -1, new Date(), false, "celeriac-beat-warm-up");
        const outbox: ReturnType<typeof toOutboxRow>[] = [];
        for (const row of byTask.values()) {
          const task = registry.get(row.task) as Task | undefined;
          if (task === undefined) continue;
          try {
            task.applyAsyncOnCommit(row.args, sendOptionsOf(row));
          } catch {
            continue; // a refused row: its slot is recorded as FAILURE when it comes
          }
          const queue = row.queue ?? task.queue ?? routeFor(row.task, config);
          queues.add(queue);
          const message = { id: `celeriac-beat-warm-up-${randomUUID()}`, task: row.task, args: row.args, queue, sentAt: Date.now(), retries: 0 };
          outbox.push(toOutboxRow({ message, publish: { delayMs: 0, ...(row.priority !== null && { priority: row.priority }) } }));
        }
        await outboxStore.insert(tx as OutboxClient, outbox);
        throw new DryRun();
      }, { durable: true });
    } catch (error) {
      if (!(error instanceof DryRun)) log.warn({ err: error }, "beat could not warm its send path up (a dry run); sending anyway");
    }
    await Promise.all([...queues].map((queue) => broker.queueCounts(queue).catch(() => undefined)));
  }

  private async recordRefused(row: PeriodicTaskView, error: Error, taskId: string): Promise<void> {
    const { backend, config, log } = this.deps;
    const now = new Date();
    const message = { id: taskId, task: row.task, args: row.args, queue: row.queue ?? routeFor(row.task, config), sentAt: now.getTime(), retries: 0 };
    log.error({ periodicTask: row.name, task: row.task, taskId: message.id, reason: error.message }, "periodic task could not be sent: slot used up, recorded as FAILURE");
    await backend.finished({ message, worker: "beat", startedAt: now, doneAt: now, outcome: { status: "FAILURE", error: toErrorInfo(error) } });
  }
}
