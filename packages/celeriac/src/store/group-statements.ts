/**
 * The TaskGroup statements both stores run, spelled once: each store gives its placeholders (`$1` or `?`)
 * and how it binds and reads JSON and instants.
 */
import { GROUP_COLUMNS, GROUP_JSON_COLUMNS, type GroupRow } from "../canvas/group-row.js";
import { NEW_OUTBOX_COLUMNS } from "../transaction/outbox-row.js";

const q = (column: string) => `"${column}"`;

export interface GroupDialect {
  /** The n-th placeholder (1-based). */
  mark(n: number, column?: string): string;
  /** The column as this store reads an instant (epoch ms for PostgreSQL, the text for SQLite). */
  readInstant(column: string): string;
}

export function groupStatements(d: GroupDialect) {
  const readGroup = GROUP_COLUMNS.map((c) => (c === "firedAt" || c === "createdAt" ? `${d.readInstant(c)} AS ${q(c)}` : q(c))).join(", ");
  return {
    insertGroup: `INSERT INTO "TaskGroup" (${GROUP_COLUMNS.map(q).join(", ")}) VALUES (${GROUP_COLUMNS.map((c, i) => d.mark(i + 1, c)).join(", ")}) ON CONFLICT ("id") DO NOTHING`,
    findGroup: `SELECT ${readGroup} FROM "TaskGroup" WHERE "id" = ${d.mark(1)}`,
    finished: `SELECT COUNT(*) AS "finished", COALESCE(SUM(CASE WHEN "status" = 'SUCCESS' THEN 0 ELSE 1 END), 0) AS "failed" FROM "TaskResult"
      WHERE "groupId" = ${d.mark(1)} AND "status" IN ('SUCCESS', 'FAILURE', 'REVOKED')`,
    members: `SELECT "id", "status", "result", "errorType", "errorMessage" FROM "TaskResult" WHERE "groupId" = ${d.mark(1)}`,
    deleteBefore: `DELETE FROM "TaskGroup" WHERE "createdAt" < ${d.mark(1, "createdAt")}`,
    claim: `UPDATE "TaskGroup" SET "firedAt" = ${d.mark(1, "firedAt")} WHERE "id" = ${d.mark(2)} AND "firedAt" IS NULL`,
    outboxInsert: `INSERT INTO "TaskOutbox" (${NEW_OUTBOX_COLUMNS.map(q).join(", ")}) VALUES (${NEW_OUTBOX_COLUMNS.map((c, i) => d.mark(i + 1, c)).join(", ")}) ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
  };
}

/** The group row's values in GROUP_COLUMNS order, JSON as text, instants as the store binds them. */
export function groupValues(row: GroupRow, instant: (d: Date | null) => unknown): unknown[] {
  return GROUP_COLUMNS.map((c) => (GROUP_JSON_COLUMNS.has(c) ? (row[c] === null ? null : JSON.stringify(row[c])) : c === "firedAt" || c === "createdAt" ? instant(row[c]) : row[c]));
}
