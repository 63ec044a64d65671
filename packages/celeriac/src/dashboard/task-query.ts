/**
 * The Tasks page's filter (api-types.ts TaskQuery), from the query string or a bulk retry's body, checked
 * and turned into the result store's TaskFilter:
 *
 *   parseTaskQuery(searchParams)   GET tasks, tasks/retry-count: the filter, `after` and `limit`
 *   taskFilterSchema               a filter as a JSON object (POST tasks/retry's `filter`)
 *   toTaskFilter(query)            the store's TaskFilter (dates as Dates, `q` as `text`)
 *
 * A bad value is a 400 naming its parameter ("status", "from", "limit").
 */
import { z } from "zod";
import type { TaskFilter } from "../results/queries.js";
import { safeText } from "../safe-text.js";
import type { TaskQuery, TaskStatus } from "./api-types.js";
import { parseInput } from "./http.js";

export const TASK_STATUSES = ["PENDING", "STARTED", "PROGRESS", "RETRY", "SUCCESS", "FAILURE", "REVOKED"] as const satisfies readonly TaskStatus[];

/** @defaultValue 50 rows per page */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

const text = safeText().trim().min(1).max(200);
const instant = z.iso.datetime({ offset: true, message: "an ISO 8601 instant, e.g. 2026-12-01T10:00:00Z" });

/** A filter as JSON (statuses as an array); every field optional. */
export const taskFilterSchema = z
  .object({
    status: z.array(z.enum(TASK_STATUSES, { message: `one of ${TASK_STATUSES.join(", ")}` })).max(TASK_STATUSES.length * 2).optional(),
    name: text.optional(),
    queue: text.optional(),
    worker: text.optional(),
    from: instant.optional(),
    to: instant.optional(),
    id: text.optional(),
    q: text.optional(),
  })
  .strict();

const pageSchema = z.object({
  after: z.string().min(1).max(1000).optional(),
  limit: z.coerce.number({ message: "a whole number" }).int("a whole number").min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

/** The query string's filter and page; several `status` parameters (or one with commas) list statuses. */
export function parseTaskQuery(params: URLSearchParams): TaskQuery & { limit: number } {
  const single = (key: string) => {
    const value = params.get(key);
    return value === null || value === "" ? undefined : value;
  };
  const statuses = params.getAll("status").flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  const values = {
    status: statuses.length > 0 ? statuses.map((s) => s.toUpperCase()) : undefined,
    ...Object.fromEntries(["name", "queue", "worker", "from", "to", "id", "q"].map((key) => [key, single(key)])),
  };
  return { ...parameters(taskFilterSchema, values), ...parameters(pageSchema, { after: single("after"), limit: single("limit") }) };
}

/** parseInput() for query parameters: the field is the parameter ("status", not "status.2"). */
function parameters<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  return parseInput(schema, values, { root: "query", depth: 1 });
}

/** The store's filter for a checked query. */
export function toTaskFilter(query: z.output<typeof taskFilterSchema>): TaskFilter {
  return {
    ...(query.status && { statuses: [...new Set(query.status)] }),
    ...(query.name && { name: query.name }),
    ...(query.queue && { queue: query.queue }),
    ...(query.worker && { worker: query.worker }),
    ...(query.from && { from: new Date(query.from) }),
    ...(query.to && { to: new Date(query.to) }),
    ...(query.id && { id: query.id }),
    ...(query.q && { text: query.q }),
  };
}
