/**
 * GroupResult<Outs> (Celery's GroupResult): the members' handles in the order given, and what they say
 * together. The counts read every member's row in one statement; get() waits for all of them, waking on
 * the workers' announcements of any member (falling back to a slow read, as AsyncResult.get() does).
 */
import { ResultTimeoutError, TaskFailedError, TaskRevokedError } from "../errors.js";
import type { DispatchDeps } from "../dispatch/apply.js";
import { assertMayWait, type AsyncResult, type GetOptions } from "../results/async-result.js";
import type { TaskRecord } from "../results/backend.js";
import { READY_STATES, States } from "../states.js";

export class GroupResult<Outs extends unknown[] = unknown[]> {
  constructor(
    /** The TaskGroup id. */
    readonly id: string,
    /** The members' handles, in the order they were given. */
    readonly results: readonly AsyncResult[],
    private readonly deps: Pick<DispatchDeps, "groups" | "results">,
  ) {}

  private async records(): Promise<Map<string, TaskRecord>> {
    const rows = await this.deps.groups.findMany(this.results.map((r) => r.id));
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** How many members succeeded (Celery: completed_count). */
  async completedCount(): Promise<number> {
    return [...(await this.records()).values()].filter((r) => r.status === States.SUCCESS).length;
  }

  /** True when every member has finished (SUCCESS, FAILURE or REVOKED). */
  async ready(): Promise<boolean> {
    const records = await this.records();
    return this.results.every((r) => READY_STATES.has(records.get(r.id)?.status ?? States.PENDING));
  }

  /** True when every member succeeded. */
  async successful(): Promise<boolean> {
    const records = await this.records();
    return this.results.every((r) => records.get(r.id)?.status === States.SUCCESS);
  }

  /** True when a member failed or was revoked. */
  async failed(): Promise<boolean> {
    return [...(await this.records()).values()].some((r) => r.status === States.FAILURE || r.status === States.REVOKED);
  }

  /**
   * The members' results in order, once all have finished; rejects with the first failed member's error
   * (in member order) as AsyncResult.get() does, or ResultTimeoutError after `timeout` ms. Inside a
   * running task it throws SyncSubtaskError unless `allowInsideTask`, as AsyncResult.get() does: use a chord.
   */
  async get(options: GetOptions = {}): Promise<Outs> {
    assertMayWait(this.id, options, "GroupResult.get()");
    const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
    const interval = options.interval ?? this.deps.results.pollIntervalMs;
    const ids = new Set(this.results.map((r) => r.id));
    let wake: (() => void) | undefined;
    const stop = await this.deps.results
      .onAnnounce?.((changes) => {
        if (changes.some(([id]) => ids.has(id))) wake?.();
      })
      .catch(() => undefined);
    try {
      for (;;) {
        const records = await this.records();
        const pending = this.results.filter((r) => !READY_STATES.has(records.get(r.id)?.status ?? States.PENDING));
        if (!pending.length) return this.results.map((r) => valueOf(records.get(r.id)!)) as Outs;
        const left = deadline - Date.now();
        if (left <= 0) throw new ResultTimeoutError(pending[0]!.id, options.timeout!);
        // Announcements wake at once; without them (no Redis), read again every interval.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, stop ? Math.max(interval, 1000) : interval));
          function done() {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });
      }
    } finally {
      stop?.();
    }
  }
}

function valueOf(record: TaskRecord): unknown {
  if (record.status === States.SUCCESS) return record.result;
  if (record.status === States.REVOKED) throw new TaskRevokedError(record.id, record.error?.message ?? "revoked");
  throw new TaskFailedError(record.id, record.error ?? { type: "Error", message: "failed" });
}
