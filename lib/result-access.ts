/**
 * Who may read a task's result in this app: the one rule GET /api/tasks/[id] and its event stream apply
 * (and the results admin will). celeriac stores each result's owner, an opaque principal (applyAsync's
 * `owner`, or the task's owner(...args)); this module gives the principals their meaning:
 *
 *   owner "user:<id>"   that user (a demo task a logged-in user caused; a mail, whoever caused it, is its
 *                       recipient's)
 *   owner "anyone"      whoever holds the task id (a demo task an anonymous visitor caused: the id, a random
 *                       UUID handed only to that visitor, is the capability, as in Celery)
 *   no owner            nobody but staff (what no page asked for: beat's runs, fan-out chunks)
 *   staff               every result (Flower's and the Django admin's view)
 *
 * Anything else, an id with no row included, is "not found": an unknown id and someone else's task answer
 * alike, so the answer never tells whether an id exists.
 */
import { requestUser } from "@/lib/accounts";
import type { ReadScope, TaskRecord } from "celeriac";

/** The owner of a result anyone holding its id may read. */
export const ANYONE = "anyone";

/** The owner of a result one user may read. */
export const userOwner = (userId: number): string => `user:${userId}`;

/** Who is asking: the logged-in user, and whether they are staff. */
export interface Viewer {
  userId: number;
  isStaff: boolean;
}

/**
 * The rule as the store's filter: the owners whose rows `viewer` may read (none for staff: every row). The
 * routes read through it, so one statement reads a task for its owner (the common case) and another's row
 * costs what a miss does.
 */
export function readScope(viewer: Viewer | null): ReadScope {
  if (viewer?.isStaff) return {};
  return { ownedBy: viewer ? [ANYONE, userOwner(viewer.userId)] : [ANYONE] };
}

/** Whether `viewer` (null: nobody logged in) may read the result `row` holds: the same rule, on a row. */
export function canRead(viewer: Viewer | null, row: Pick<TaskRecord, "owner">): boolean {
  const { ownedBy } = readScope(viewer);
  return ownedBy === undefined || (row.owner !== null && ownedBy.includes(row.owner));
}

/**
 * The owner a dispatch made for this request records: the logged-in user, else ANYONE (the visitor it is
 * answered to is the only one who learns the id). A session requestUser() refuses (a stale one included)
 * is nobody here too: a task must not become the property of a user whose session has ended.
 */
export async function requestOwner(request: Request): Promise<string> {
  const user = await requestUser(request.headers.get("cookie"));
  return user ? userOwner(user.id) : ANYONE;
}

/** The logged-in user of a request, with their staff flag; null when nobody is (requestUser). */
export async function viewerOf(request: Request): Promise<Viewer | null> {
  const user = await requestUser(request.headers.get("cookie"));
  return user && { userId: user.id, isStaff: user.isStaff };
}
