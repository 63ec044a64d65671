/**
 * The one statement both implementations find a task with: its TaskResult row, else its durable dispatch's
 * TaskOutbox row read as a PENDING record, else nothing. Each implementation spells its placeholders, how
 * a column is read, and how an owner is matched.
 */
import { States } from "../states.js";
import { COLUMNS, type Column } from "../results/row.js";

/** What a durable dispatch's TaskOutbox row stands for in each column until a worker writes the TaskResult row: PENDING. */
const OUTBOX_AS_PENDING: Record<Column, string> = {
  id: `"id"`,
  createdAt: `"createdAt"`,
  name: `"name"`,
  args: `"args"`,
  status: `'${States.PENDING}'`,
  queue: `"queue"`,
  worker: "NULL",
  retries: "0",
  startedAt: "NULL",
  result: "NULL",
  errorType: "NULL",
  errorMessage: "NULL",
  errorStack: "NULL",
  doneAt: "NULL",
  runtimeMs: "NULL",
  owner: `"owner"`,
  parentId: "NULL",
  rootId: "NULL",
  groupId: "NULL",
  meta: "NULL",
};

const quoted = (column: string) => `"${column}"`;

/**
 * The statement (both dialects) that finds a task: its TaskResult row, else its outbox row as a PENDING
 * record, else nothing. One round trip whether the id has a row, an outbox row or neither, so a miss costs
 * what a hit does. `id` is the dialect's placeholder; `read` spells each column of the answer. With
 * `ownerIn` (the dialect's "is one of the bound owners", e.g. `= ANY($2)`), a row of another owner is
 * skipped where it is found, its other columns unread: it costs what a miss does, whatever it holds.
 */
export function findStatement(id: string, read: (column: Column) => string = quoted, ownerIn?: string): string {
  const where = `"id" = ${id}${ownerIn ? ` AND "owner" ${ownerIn}` : ""}`;
  return `SELECT ${COLUMNS.map(read).join(", ")} FROM (
  SELECT 0 AS "source", ${COLUMNS.map(quoted).join(", ")} FROM "TaskResult" WHERE ${where}
  UNION ALL SELECT 1, ${COLUMNS.map((c) => OUTBOX_AS_PENDING[c]).join(", ")} FROM "TaskOutbox" WHERE ${where}
) AS "found" ORDER BY "source" LIMIT 1`;
}
