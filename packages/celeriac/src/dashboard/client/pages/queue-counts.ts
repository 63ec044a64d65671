/** A queue's counts, in the order and with the names the Queues page and the Overview show them. */
import type { QueueRow } from "../../api-types.js";

export const COUNT_LABELS = { waiting: "Waiting", prioritized: "Prioritized", active: "Active", delayed: "Delayed", failed: "Failed" } satisfies Partial<
  Record<keyof QueueRow, string>
>;
export const QUEUE_COUNTS = Object.keys(COUNT_LABELS) as Array<keyof typeof COUNT_LABELS>;
/** The counts as DataTable columns. */
export const COUNT_COLUMNS = QUEUE_COUNTS.map((count) => ({ label: COUNT_LABELS[count], num: true as const }));
