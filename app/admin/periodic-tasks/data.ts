/**
 * What the admin reads, server-side (page and API): every periodic task as a row, the beat leader from
 * the broker's lease, the app's time zone; and a task by id for the edit form / API (404 when unknown).
 */
import { ConfigError, type PeriodicTaskView } from "celeriac";
import { celeriac } from "@/lib/celery";
import { parseDecimalId } from "@/lib/decimal-id";
import { HttpError } from "@/lib/http";
import { presentTask, type TaskRow } from "./present";

export interface BeatStatus {
  /** The leader, or null when no beat holds the lease. */
  leader: { holder: string; term: number; ttlMs: number } | null;
  /** Why the leader is unknown (the broker did not answer), else null. */
  error: string | null;
}

export interface Overview {
  timezone: string;
  now: string;
  beat: BeatStatus;
  tasks: TaskRow[];
}

export async function beatStatus(): Promise<BeatStatus> {
  try {
    return { leader: await celeriac.broker.leaseHolder("beat"), error: null };
  } catch (error) {
    // A configuration that has no queue (alwaysEager) says so itself; anything else is Redis not answering.
    if (error instanceof ConfigError) return { leader: null, error: `beat status unknown: ${error.message}` };
    celeriac.log.warn({ err: error }, "admin: could not read the beat lease");
    return { leader: null, error: "beat status unknown: the broker (Redis) did not answer" };
  }
}

export async function overview(now = new Date()): Promise<Overview> {
  const timezone = celeriac.config.timezone;
  const [views, beat] = await Promise.all([celeriac.periodicTasks.list(), beatStatus()]);
  return { timezone, now: now.toISOString(), beat, tasks: views.map((view) => presentTask(view, now, timezone)) };
}

/** A task id from a URL segment; 404 for anything that is not one (as for an unknown id). */
export function parseId(text: string): number {
  const id = parseDecimalId(text);
  if (id === undefined) throw new HttpError(404, `no periodic task with id ${JSON.stringify(text)}`);
  return id;
}

export async function requireTask(id: number): Promise<PeriodicTaskView> {
  const view = await celeriac.periodicTasks.get(id);
  if (!view) throw new HttpError(404, `no periodic task with id ${id}`);
  return view;
}

/**
 * Runs a write to task `id` (update, enable, remove…); when it fails because a request that ran meanwhile
 * deleted the row (the store's check or Prisma's P2025, whichever came first), it is the same 404 as an
 * unknown id, not a 400 or a 500: the row is read again to tell.
 */
export async function writeTask<T>(id: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    await requireTask(id);
    throw error;
  }
}
