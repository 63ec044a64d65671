/**
 * One TaskOutbox row (durable dispatch): its columns, and the message it stands for. A row is written from
 * a dispatch (toOutboxRow) in the caller's transaction and turned back into the message (fromOutboxRow)
 * by a relay that sends what the fast path did not. The statements on the table are the store's
 * (store/store.ts, OutboxRows).
 */
import type { PublishOptions } from "../broker/broker.js";
import type { TaskMessage } from "../message.js";
import { columnsOf } from "../results/schema-check.js";

export interface OutboxRow {
  id: string;
  name: string;
  args: unknown;
  queue: string;
  priority: number | null;
  runAt: Date | null;
  expires: Date | null;
  createdAt: Date;
  claimedAt: Date | null;
  dispatchedAt: Date | null;
  attempts: number;
  lastError: string | null;
  /** The dispatch's owner (TaskMessage.owner): the outbox row's PENDING record and the re-sent message carry it. */
  owner: string | null;
  /** The message's workflow part (its place, what follows it), null outside a workflow. */
  workflow: OutboxWorkflow | null;
}

/** What a workflow message carries beyond a plain one, kept whole in one JSON column. */
export type OutboxWorkflow = Pick<TaskMessage, "parentId" | "rootId" | "groupId" | "workflow">;
const WORKFLOW_FIELDS = ["parentId", "rootId", "groupId", "workflow"] as const;

/** Every column of the table, as the relay reads it back (and the schema check expects it). */
export const OUTBOX_COLUMNS = columnsOf<OutboxRow>()(["id", "name", "args", "queue", "priority", "runAt", "expires", "createdAt", "claimedAt", "dispatchedAt", "attempts", "lastError", "owner", "workflow"]);

/** The columns a new row is written with; the others start as the table's defaults (unclaimed, unsent, 0 attempts). */
export const NEW_OUTBOX_COLUMNS = ["id", "name", "args", "queue", "priority", "runAt", "expires", "createdAt", "owner", "workflow"] as const;
/** The JSON columns, bound as JSON text. */
export const OUTBOX_JSON_COLUMNS: ReadonlySet<string> = new Set(["args", "workflow"]);
export type NewOutboxRow = Pick<OutboxRow, (typeof NEW_OUTBOX_COLUMNS)[number]>;

export function toOutboxRow({ message, publish }: { message: TaskMessage; publish: PublishOptions }): NewOutboxRow {
  return {
    id: message.id,
    name: message.task,
    args: message.args,
    queue: message.queue,
    priority: publish.priority ?? null,
    runAt: publish.delayMs > 0 ? new Date(message.sentAt + publish.delayMs) : null,
    expires: message.expires === undefined ? null : new Date(message.expires),
    createdAt: new Date(message.sentAt),
    owner: message.owner ?? null,
    workflow: workflowOf(message),
  };
}

function workflowOf(message: TaskMessage): OutboxWorkflow | null {
  const part: OutboxWorkflow = {};
  for (const field of WORKFLOW_FIELDS) if (message[field] !== undefined) Object.assign(part, { [field]: message[field] });
  return Object.keys(part).length ? part : null;
}

/** Rebuilds the message from a row; the delay counts from now, so a late re-send still starts on time. */
export function fromOutboxRow(row: OutboxRow, now: number): { message: TaskMessage; publish: PublishOptions } {
  const message: TaskMessage = {
    id: row.id,
    task: row.name,
    args: row.args as unknown[],
    queue: row.queue,
    sentAt: row.createdAt.getTime(),
    retries: 0,
  };
  if (row.expires) message.expires = row.expires.getTime();
  if (row.owner !== null) message.owner = row.owner;
  if (row.workflow !== null) Object.assign(message, row.workflow);
  const publish: PublishOptions = { delayMs: row.runAt ? Math.max(0, row.runAt.getTime() - now) : 0 };
  if (row.priority !== null) publish.priority = row.priority;
  return { message, publish };
}
