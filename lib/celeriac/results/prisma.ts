/**
 * The result store on the app's Prisma client (django-celery-results' TaskResult). The framework never
 * imports the generated client: it needs only the `taskResult` delegate, typed by the shape it uses.
 */
import { outcomeError, type TaskMessage } from "../message";
import { isTaskState, READY_STATES, States } from "../states";
import type { FinishedRun, ResultBackend, StartedRun, TaskRecord } from "./backend";

/** The TaskResult model's columns: the record, with the status as stored text and the error in three columns. */
type TaskResultRow = Omit<TaskRecord, "status" | "error"> & {
  status: string;
  errorType: string | null;
  errorMessage: string | null;
  errorStack: string | null;
};

/** A JSON value as Prisma's Json columns accept it (the arguments and results were checked to be JSON). */
type JsonInput = string | number | boolean | { readonly [key: string]: JsonInput | null | undefined } | readonly (JsonInput | null)[];
type RowData = Partial<Omit<TaskResultRow, "id" | "args" | "result">> & { args?: JsonInput; result?: JsonInput };

/** The part of a Prisma client this store uses; any client generated from prisma/models fits it. */
export interface TaskResultClient {
  taskResult: {
    upsert(args: { where: { id: string }; create: RowData & Pick<TaskResultRow, "id" | "name" | "status">; update: RowData }): Promise<unknown>;
    findUnique(args: { where: { id: string } }): Promise<TaskResultRow | null>;
    updateMany(args: { where: { id: string; status: { in: string[] } }; data: RowData }): Promise<{ count: number }>;
    deleteMany(args: { where: { status: { in: string[] }; doneAt: { lt: Date } } }): Promise<{ count: number }>;
  };
  taskOutbox: {
    findUnique(args: { where: { id: string } }): Promise<{ id: string; name: string; args: unknown; queue: string; createdAt: Date } | null>;
  };
}

/** The PENDING row a dispatch inside a transaction writes through that transaction. */
export function pendingRow(message: TaskMessage) {
  return {
    id: message.id,
    name: message.task,
    args: message.args as JsonInput,
    status: States.PENDING,
    queue: message.queue,
    retries: message.retries,
    createdAt: new Date(message.sentAt),
  };
}

export class PrismaResultBackend implements ResultBackend {
  constructor(
    private readonly prisma: TaskResultClient,
    readonly description: string,
  ) {}

  async started({ message, worker, startedAt }: StartedRun): Promise<void> {
    const row = {
      name: message.task,
      args: message.args as JsonInput,
      status: States.STARTED,
      queue: message.queue,
      worker,
      retries: message.retries,
      startedAt,
    };
    await this.prisma.taskResult.upsert({
      where: { id: message.id },
      create: { id: message.id, createdAt: new Date(message.sentAt), ...row },
      update: row,
    });
  }

  async finished({ message, worker, startedAt, outcome, doneAt }: FinishedRun): Promise<void> {
    const error = outcomeError(outcome);
    const row = {
      status: outcome.status,
      // A null result is the column's NULL: Prisma refuses a plain `null` for a Json column, and the
      // framework does not import the generated client's JsonNull. SUCCESS + NULL reads back as null.
      result: outcome.status === "SUCCESS" && outcome.result != null ? (outcome.result as JsonInput) : undefined,
      errorType: error?.type ?? null,
      errorMessage: error?.message ?? null,
      errorStack: error?.stack ?? null,
      // A RETRY row is not done: it shows the retries scheduled so far and the last error.
      doneAt: outcome.status === "RETRY" ? null : doneAt,
      retries: outcome.status === "RETRY" ? message.retries + 1 : message.retries,
      runtimeMs: doneAt.getTime() - startedAt.getTime(),
      // Also when no STARTED write came first (trackStarted false): the row still says who ran it, and when.
      worker,
      startedAt,
    };
    await this.prisma.taskResult.upsert({
      where: { id: message.id },
      create: {
        id: message.id,
        name: message.task,
        args: message.args as JsonInput,
        queue: message.queue,
        createdAt: new Date(message.sentAt),
        ...row,
      },
      update: row,
    });
  }

  async revoked(id: string, reason: string): Promise<void> {
    await this.prisma.taskResult.updateMany({
      where: { id, status: { in: [States.PENDING, States.RETRY] } },
      data: { status: States.REVOKED, errorType: "TaskRevokedError", errorMessage: reason, doneAt: new Date() },
    });
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.taskResult.deleteMany({ where: { status: { in: [...READY_STATES] }, doneAt: { lt: before } } });
    return count;
  }

  /** The TaskResult row; until a worker writes one, a durable dispatch's outbox row stands for it (PENDING). */
  async get(id: string): Promise<TaskRecord | null> {
    const row = await this.prisma.taskResult.findUnique({ where: { id } });
    if (!row) return this.pendingInOutbox(id);
    const { errorType, errorMessage, errorStack, status, ...rest } = row;
    return {
      ...rest,
      status: isTaskState(status) ? status : States.PENDING,
      error: errorType ? { type: errorType, message: errorMessage ?? "", stack: errorStack ?? undefined } : null,
    };
  }

  private async pendingInOutbox(id: string): Promise<TaskRecord | null> {
    const row = await this.prisma.taskOutbox.findUnique({ where: { id } });
    if (!row) return null;
    const { name, args, queue, createdAt } = row;
    return { id, name, args, queue, createdAt, status: States.PENDING, result: null, error: null, worker: null, retries: 0, startedAt: null, doneAt: null, runtimeMs: null };
  }
}
