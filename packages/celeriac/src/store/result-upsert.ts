/**
 * What a result write does to an existing TaskResult row, one rule for both stores (the part of their
 * upsert after `ON CONFLICT ("id") DO UPDATE`):
 * - a write of a running state (STARTED, PROGRESS) leaves the outcome columns as they are: a re-run after
 *   a RETRY still shows the last error while it runs;
 * - a PROGRESS write never replaces a finished row (SUCCESS, FAILURE, REVOKED). The result writer keeps
 *   each id's writes in order and the worker drops a waiting progress write once the outcome is handed
 *   over; this is the belt to those braces, for a progress write that reaches the database late (a
 *   process-pool child killed mid-flush, whose REVOKED or WorkerLostError row the parent wrote).
 */
import { OUTCOME_COLUMNS, UPDATED_COLUMNS } from "../results/row.js";
import { READY_STATES, RUNNING_STATES, States } from "../states.js";

const q = (column: string) => `"${column}"`;
const list = (states: ReadonlySet<string>) => [...states].map((s) => `'${s}'`).join(", ");
const keep = new Set<string>(OUTCOME_COLUMNS);

const assignments = UPDATED_COLUMNS.map((c) =>
  keep.has(c) ? `${q(c)} = CASE WHEN excluded."status" IN (${list(RUNNING_STATES)}) THEN "TaskResult".${q(c)} ELSE excluded.${q(c)} END` : `${q(c)} = excluded.${q(c)}`,
).join(", ");

/** `SET … WHERE …` of the result upsert. */
export const RESULT_UPSERT_SET = `SET ${assignments} WHERE excluded."status" <> '${States.PROGRESS}' OR "TaskResult"."status" NOT IN (${list(READY_STATES)})`;
