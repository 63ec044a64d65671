/**
 * What a PeriodicTask row's columns mean for when it runs, in one place for the scheduler and the admin:
 * - first run: a row that never ran runs first at its first slot after it was created, or at startTime
 *   when set (an interval then runs at startTime itself, as in django-celery-beat);
 * - no slot at or after `expires` runs; a oneOff row that ran, a disabled row and a clocked row that ran
 *   have no next run.
 */
import { describeSchedule, isDue, NEVER_MS, nextRun, type DueOptions, type Schedule } from "./schedule.js";
import { scheduleFromSpec, type PeriodicTaskView } from "./store.js";

export type EntryView = Pick<PeriodicTaskView, "schedule" | "enabled" | "oneOff" | "totalRunCount" | "lastRunAt" | "startTime" | "expires" | "catchUp" | "createdAt">;

export type Source = "settings" | "settings, edited in admin" | "admin";

/** Where a row comes from: settings (managed), settings but edited in the admin since (detached), or the admin. */
export function sourceOf(row: Pick<PeriodicTaskView, "managed" | "detached">): Source {
  if (row.managed) return "settings";
  return row.detached ? "settings, edited in admin" : "admin";
}

/**
 * A row's schedule as text and its next run, for the admin and `inspect beat`. A row written by hand with
 * a schedule the framework refuses says so (beat skips it) instead of failing the whole listing.
 */
export function scheduleSummary(row: EntryView, now: Date, timezone: string): { schedule: string; nextRunAt: Date | null } {
  try {
    return { schedule: describeSchedule(scheduleFromSpec(row.schedule)), nextRunAt: nextRunOf(row, now, timezone) };
  } catch (error) {
    return { schedule: `invalid schedule: ${(error as Error).message}`, nextRunAt: null };
  }
}

/** isDue's options for a row, in the app's time zone. */
export function dueOptionsOf(row: EntryView, schedule: Schedule, timezone: string): DueOptions {
  const startAt =
    row.startTime === null ? row.createdAt : schedule.kind === "interval" ? new Date(row.startTime.getTime() - schedule.everyMs) : row.startTime;
  return { startAt, catchUp: row.catchUp, timezone };
}

/** True when the row may not run a slot at `slotAt` (its `expires` is at or before it). */
export function expiredAt(row: Pick<EntryView, "expires">, slotAt: Date): boolean {
  return row.expires !== null && slotAt >= row.expires;
}

/** When beat will send the row next (`now` when it is due now), or null when it will not run again. */
export function nextRunOf(row: EntryView, now: Date, timezone: string): Date | null {
  if (!row.enabled || (row.oneOff && row.totalRunCount > 0) || expiredAt(row, now)) return null;
  const schedule = scheduleFromSpec(row.schedule);
  // Before startTime nothing runs: the first slot is found from startTime as if it were now.
  const at = row.startTime !== null && now < row.startTime ? row.startTime : now;
  const due = isDue(schedule, row.lastRunAt, at, dueOptionsOf(row, schedule, timezone));
  const next = due.due ? at : due.nextInMs === NEVER_MS ? null : new Date(at.getTime() + due.nextInMs);
  return next === null || expiredAt(row, next) ? null : next;
}

/**
 * The next `count` times beat will send the row (the dashboard shows five), by the same rules: the first is
 * nextRunOf(); each one after is the schedule's next slot after the one before, as if each ran on time
 * (beat records the slot, not the send time, so an overdue interval continues from its missed slot). A
 * oneOff or clocked row runs once; none at or after `expires`.
 */
export function nextRunsOf(row: EntryView, now: Date, timezone: string, count: number): Date[] {
  const first = nextRunOf(row, now, timezone);
  if (first === null || count < 1) return [];
  const schedule = scheduleFromSpec(row.schedule);
  if (row.oneOff || schedule.kind === "clocked") return [first];
  // Due now: the slot this run stands for is the latest one passed (first is `now`, or startTime), not `first`.
  const at = row.startTime !== null && now < row.startTime ? row.startTime : now;
  const due = first.getTime() === at.getTime() ? isDue(schedule, row.lastRunAt, at, dueOptionsOf(row, schedule, timezone)) : undefined;
  let slot = due?.slotAt ?? first;
  const runs = [first];
  while (runs.length < count) {
    slot = nextRun(schedule, slot, { timezone });
    if (expiredAt(row, slot)) break;
    runs.push(slot);
  }
  return runs;
}
