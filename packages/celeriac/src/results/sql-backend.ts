/**
 * The result store: TaskResult rows written through the group-committing writer and read by primary key,
 * both beneath Prisma (store/store.ts says why). After each flush the state changes are announced (the broker
 * publishes them), so AsyncResult.get(), the SSE endpoint and the dashboard wake at once instead of
 * polling.
 */
import { groupCommit } from "../group-commit.js";
import type { Logger } from "../log.js";
import type { StateChange, TaskMessage } from "../message.js";
import { RUNNING_STATES, States } from "../states.js";
import type { TaskProgress } from "../task/progress.js";
import type { FinishedRun, ResultBackend, StartedRun, TaskRecord } from "./backend.js";
import { finishedRow, pendingRow, progressRow, startedRow, type AnnouncedRow, type ResultRow } from "./row.js";
import type { SchemaMonitor } from "./schema-monitor.js";
import type { ResultRows } from "../store/store.js";
import { ResultWriter } from "./writer.js";

/** A row whose result and error take more than this (JSON) is announced without them: readers read it. */
const ANNOUNCED_ROW_MAX = 2048;

/**
 * The change of one written row; the row itself rides along when it is small. A running row (STARTED,
 * PROGRESS) never: it keeps the stored outcome columns, and a late PROGRESS the store refused (the row had
 * finished) must not pass for the task's state, so listeners read the row.
 */
function announced(row: ResultRow): StateChange<AnnouncedRow> {
  if (RUNNING_STATES.has(row.status)) return [row.id, row.status];
  const { createdAt, startedAt, doneAt, errorType, errorMessage, errorStack, ...rest } = row;
  const error = errorType ? { type: errorType, message: errorMessage ?? "", ...(errorStack ? { stack: errorStack } : {}) } : null;
  if (JSON.stringify([rest.args, rest.result, error]).length > ANNOUNCED_ROW_MAX) return [row.id, row.status];
  return [row.id, row.status, { ...rest, error, createdAt: createdAt.getTime(), startedAt: startedAt?.getTime() ?? null, doneAt: doneAt?.getTime() ?? null }];
}

export interface SqlResultBackendOptions {
  log: Logger;
  /** Announces state changes once they are durable (best effort: readers fall back to polling). */
  announce?: (changes: StateChange<AnnouncedRow>[]) => void;
  /**
   * A missing table or column: reads reject with its SchemaNotReadyError (the fix in the message), and
   * failed writes are reported by it once a minute instead of logged at each retry.
   */
  schema?: Pick<SchemaMonitor, "report" | "rethrow">;
}

export class SqlResultBackend implements ResultBackend {
  private readonly writer: ResultWriter;
  private readonly pendingRows;

  constructor(
    private readonly store: ResultRows & { close(): Promise<void> },
    readonly description: string,
    private readonly options: SqlResultBackendOptions,
  ) {
    const announce = (rows: readonly ResultRow[]) => options.announce?.(rows.map(announced));
    const reported = (error: unknown) => options.schema?.report(error) ?? false;
    this.writer = new ResultWriter({ flush: (rows) => store.upsert(rows), flushed: announce, log: options.log, reported, refused: (error) => store.refused(error) });
    this.pendingRows = groupCommit<ResultRow>(
      (rows) => store.insertPending(rows),
      (error, rows) => {
        if (!reported(error)) options.log.warn({ err: error }, `could not record ${rows.length} dispatched tasks as PENDING; they read as PENDING anyway`);
      },
    );
  }

  started(run: StartedRun): Promise<void> {
    return this.writer.write(startedRow(run));
  }

  progress(run: StartedRun, progress: TaskProgress): Promise<void> {
    return this.writer.write(progressRow(run, progress));
  }

  finished(run: FinishedRun): Promise<void> {
    return this.writer.write(finishedRow(run));
  }

  pending(message: TaskMessage): Promise<void> {
    return this.pendingRows.add(pendingRow(message));
  }

  async revoked(id: string, reason: string): Promise<void> {
    await this.pendingRows.idle(); // a PENDING row this process is about to write is revoked too
    await this.store.revoke(id, reason, new Date()).catch((error: unknown) => this.rethrow(error));
    this.options.announce?.([[id, States.REVOKED]]);
  }

  deleteFinishedBefore(before: Date): Promise<number> {
    return this.store.deleteFinishedBefore(before).catch((error: unknown) => this.rethrow(error));
  }

  get(id: string, ownedBy?: readonly string[]): Promise<TaskRecord | null> {
    return this.store.find(id, ownedBy).catch((error: unknown) => this.rethrow(error));
  }

  /** A missing table's error as the SchemaNotReadyError that names the fix; any other error as it is. */
  private rethrow(error: unknown): Promise<never> {
    if (this.options.schema) return this.options.schema.rethrow(error);
    throw error;
  }

  async close(): Promise<void> {
    await Promise.all([this.writer.close(), this.pendingRows.idle()]);
    await this.store.close();
  }
}
