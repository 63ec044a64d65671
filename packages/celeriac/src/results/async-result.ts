/**
 * AsyncResult<R>: a handle on one task's outcome, read from the result store. Its type parameter comes
 * from the task definition, so `get()` resolves a typed value. A value is never handed out before the
 * task has finished (django.tasks' TaskResult.return_value): "not finished" cannot pass for "returned null".
 */
import { ResultNotReadyError, ResultTimeoutError, SyncSubtaskError, TaskFailedError, TaskRevokedError } from "../errors.js";
import { READY_STATES, States, type TaskState } from "../states.js";
import { outcomeError, type Outcome, type StateChange, type TaskMessage } from "../message.js";
import type { GroupResult } from "../canvas/group-result.js";
import type { AnnouncedRow } from "./row.js";
import type { ResultBackend, TaskRecord } from "./backend.js";
import { progressOf, type TaskProgress } from "../task/progress.js";
import { currentTask } from "../task/running.js";

export interface GetOptions {
  /** Give up after this many ms with a ResultTimeoutError. @defaultValue no limit */
  timeout?: number;
  /**
   * Read the store again at least this often, in ms, whether or not a state change was announced.
   * @defaultValue the app's resultPollIntervalMs
   */
  interval?: number;
  /**
   * Wait even inside a running task. By default get() there throws SyncSubtaskError: the task would hold
   * its worker slot while waiting for a task that may need it (Celery: disable_sync_subtasks). Use a chain
   * or a chord instead; set this only when the awaited task cannot need this worker's slots (another
   * queue's workers run it). @defaultValue false
   */
  allowInsideTask?: boolean;
}

/** Throws SyncSubtaskError when called inside a running task without `allowInsideTask`: see GetOptions. */
export function assertMayWait(taskId: string, options: Pick<GetOptions, "allowInsideTask">, call?: string): void {
  const inside = currentTask();
  if (inside && !options.allowInsideTask) throw new SyncSubtaskError(taskId, inside, call);
}

/** Which rows a handle may read: `AsyncResult.from(id, { ownedBy })`. */
export interface ReadScope {
  /**
   * Read the result only when its owner (the dispatch's `owner`) is one of these: the principals of whoever
   * asks, e.g. `["anyone", "user:7"]`. Another owner's row, or one without an owner, reads as no row
   * (PENDING), and costs what an id with no row does: its arguments and result are never read, so neither
   * the answer nor its timing tells the asker that the id exists. Undefined: any row (staff; the
   * dispatcher's own handle).
   */
  ownedBy?: readonly string[];
}

/** Where an AsyncResult reads from and what it may do: the app's result store and broker. */
export interface ResultSource {
  backend: ResultBackend;
  pollIntervalMs: number;
  /** Marks the task revoked for every worker; `terminate` also stops it where it runs. */
  revoke(taskId: string, terminate: boolean): Promise<void>;
  /** Listens to the workers' announcements of written state changes (broker pub/sub). */
  onAnnounce?(listener: (changes: readonly StateChange<AnnouncedRow>[]) => void): Promise<() => void>;
}

/**
 * A wait for one id's next announced change: `next(ms)` resolves on it (or at once if one came meanwhile),
 * or after ms; with the announced row when it came along (then no read is needed), else undefined.
 */
export interface ChangeWatch {
  next(ms: number): Promise<TaskRecord | undefined>;
  close(): void;
}

function recordOf(row: AnnouncedRow): TaskRecord {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return { ...row, createdAt: new Date(row.createdAt), startedAt: date(row.startedAt), doneAt: date(row.doneAt) };
}

/**
 * Watches one task id's announcements; null when they cannot be heard (no Redis): the caller polls.
 * Listening starts before the caller's first read, so a change written between that read and the wait
 * is not missed.
 */
export async function watchChanges(source: ResultSource, id: string): Promise<ChangeWatch | null> {
  let changed = false;
  let row: AnnouncedRow | undefined;
  let wake: (() => void) | undefined;
  const stop = await source
    .onAnnounce?.((changes) => {
      const change = changes.findLast(([changedId]) => changedId === id);
      if (!change) return;
      changed = true;
      row = change[2];
      wake?.();
    })
    .catch(() => undefined);
  if (!stop) return null;
  const take = () => {
    const record = changed && row ? recordOf(row) : undefined;
    changed = false;
    row = undefined;
    return record;
  };
  return {
    next: (ms) => {
      if (changed) return Promise.resolve(take());
      return new Promise<TaskRecord | undefined>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve(take());
        }
        wake = done;
      });
    },
    close: stop,
  };
}

export class AsyncResult<R = unknown> {
  /** A chain step's previous step (Celery: parent), back to the first; unset outside a chain and on handles made from an id. */
  parent: AsyncResult | undefined;
  /** A chord callback's members (Celery: the chord result's parent), on the handle `chord(...).delay()` gives. */
  header: GroupResult | undefined;

  constructor(
    /** The task id. */
    readonly id: string,
    private readonly source: ResultSource,
    /** A record known without asking the store: set for eager runs, which finish before `.delay()` returns. */
    private readonly settled?: TaskRecord,
    private readonly scope: ReadScope = {},
  ) {}

  /** The task's row, or null while nothing is recorded (PENDING) or the row is out of this handle's scope. */
  async info(): Promise<TaskRecord | null> {
    return this.settled ?? (await this.source.backend.get(this.id, this.scope.ownedBy));
  }

  /**
   * Celery's revoke: a task that has not started never runs and is recorded REVOKED (when a worker reaches
   * it, or at once if it already has a PENDING/RETRY row). `terminate: true` also stops it if it is running:
   * the async pool abandons the run, the process pool kills its child. Revocations are kept for a day.
   */
  async revoke({ terminate = false }: { terminate?: boolean } = {}): Promise<void> {
    await this.source.revoke(this.id, terminate);
    await this.source.backend.revoked(this.id, terminate ? "revoked and terminated" : "revoked");
  }

  /** PENDING, STARTED, PROGRESS, SUCCESS, FAILURE, RETRY or REVOKED; an id nobody sent reads as PENDING (as in Celery). */
  async status(): Promise<TaskState> {
    return (await this.info())?.status ?? States.PENDING;
  }

  /**
   * How far the running task has got, as its last ctx.progress() reported (Celery: AsyncResult.info while
   * the state is PROGRESS); null in any other state: not started, not reporting, or finished.
   */
  async progress(): Promise<TaskProgress | null> {
    const record = await this.info();
    return record?.status === States.PROGRESS ? progressOf(record.meta) : null;
  }

  /** True once the task has finished, whatever the outcome. */
  async ready(): Promise<boolean> {
    return READY_STATES.has(await this.status());
  }

  /** True when the task finished with SUCCESS. */
  async successful(): Promise<boolean> {
    return (await this.status()) === States.SUCCESS;
  }

  /**
   * The task's return value. Rejects with the task's error (TaskFailedError, TaskRevokedError) if it did
   * not succeed, and with ResultNotReadyError if it has not finished: use get() to wait.
   */
  async result(): Promise<R> {
    return this.unwrap(await this.info());
  }

  /**
   * Waits for the task to finish and resolves its value; rejects like result(), or with ResultTimeoutError.
   * It wakes on the worker's announcement that the row was written (one round trip after the write), and
   * reads the store anyway every `interval` ms in case an announcement was lost. It waits through
   * STARTED, PROGRESS and RETRY. Inside a running task it throws SyncSubtaskError unless
   * `allowInsideTask` (see GetOptions): use a chain or a chord there.
   */
  async get(options: GetOptions = {}): Promise<R> {
    assertMayWait(this.id, options);
    const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
    for await (const record of this.reads(deadline, options.interval)) {
      if (record && READY_STATES.has(record.status)) return this.unwrap(record);
    }
    throw new ResultTimeoutError(this.id, options.timeout!);
  }

  /**
   * The task's record now, then each time its state changes, until it finishes (the last one yielded is the
   * finished record) or `signal` aborts; null while nothing is recorded (PENDING). Each new progress is a
   * change too (PROGRESS after PROGRESS, with another meta). For streaming a task's progress to a browser
   * (GET /api/tasks/[id]/events) or a CLI.
   */
  async *changes(options: { signal?: AbortSignal; interval?: number } = {}): AsyncGenerator<TaskRecord | null, void> {
    let last: string | undefined;
    for await (const record of this.reads(Infinity, options.interval, options.signal)) {
      const status = record?.status ?? States.PENDING;
      const seen = status === States.PROGRESS ? `${status} ${JSON.stringify(record!.meta)}` : status;
      if (seen !== last) yield record;
      last = seen;
      if (READY_STATES.has(status)) return;
    }
  }

  /** Reads the record now and again on each announcement about it (or every `interval` ms), until `deadline` or `signal`. */
  private async *reads(deadline: number, interval = this.source.pollIntervalMs, signal?: AbortSignal): AsyncGenerator<TaskRecord | null> {
    if (this.settled) {
      yield this.settled;
      return;
    }
    const watch = await watchChanges(this.source, this.id);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => signal?.addEventListener("abort", (onAbort = () => resolve()), { once: true }));
    try {
      let announced: TaskRecord | undefined;
      const { ownedBy } = this.scope;
      while (!signal?.aborted) {
        // An announced row out of scope (the id sent again by someone else) is read as the store answers it.
        if (announced && ownedBy && (announced.owner === null || !ownedBy.includes(announced.owner))) announced = undefined;
        yield announced ?? (await this.info());
        const left = deadline - Date.now();
        if (left <= 0 || signal?.aborted) return;
        const wait = Math.min(interval, left);
        announced = await Promise.race([watch ? watch.next(wait) : new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), wait)), aborted.then(() => undefined)]);
      }
    } finally {
      watch?.close();
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  private unwrap(record: TaskRecord | null): R {
    switch (record?.status) {
      case States.SUCCESS:
        return record.result as R;
      case States.FAILURE:
        throw new TaskFailedError(this.id, record.error ?? { type: "Error", message: "unknown error" });
      case States.REVOKED:
        throw new TaskRevokedError(this.id, record.error?.message ?? "revoked");
      default:
        throw new ResultNotReadyError(this.id, record?.status ?? States.PENDING);
    }
  }
}

/** The record of a run that finished in this process (eager mode), without a round trip to the store. */
export function recordFromOutcome(message: TaskMessage, outcome: Outcome): TaskRecord {
  const now = new Date();
  return {
    id: message.id,
    name: message.task,
    status: outcome.status,
    args: message.args,
    result: outcome.status === "SUCCESS" ? outcome.result : null,
    error: outcomeError(outcome),
    queue: message.queue,
    worker: null,
    retries: message.retries,
    createdAt: new Date(message.sentAt),
    startedAt: null,
    doneAt: now,
    runtimeMs: null,
    owner: message.owner ?? null,
    parentId: message.parentId ?? null,
    rootId: message.rootId ?? null,
    groupId: message.groupId ?? null,
    meta: null,
  };
}
