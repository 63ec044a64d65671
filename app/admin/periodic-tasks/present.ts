/**
 * The periodic-task list as the admin shows it (page and GET /api/admin/periodic-tasks), pure apart from
 * the clock it is given:
 *
 *   sourceOf(view)          "settings" (managed: mirrors settings.beatSchedule), "settings, edited in admin"
 *                           (detached: a deploy never overwrites it), "admin" (made here)
 *   nextRunOf(view, now, z) when beat would send it next, as beat decides (lib/celeriac/beat/scheduler.ts):
 *                           null when disabled, expired, a one-off that ran, or a clocked time passed
 *   formatInZone(date, z)   "2026-05-01 14:30:00 Europe/Berlin"
 *   presentTask(view, …)    one row, JSON-safe (ISO strings), for the table and the API
 */
import { describeSchedule, isDue, scheduleFromSpec, type PeriodicTaskView, type Schedule } from "@/lib/celeriac";

export type Source = "settings" | "settings, edited in admin" | "admin";

export function sourceOf(view: Pick<PeriodicTaskView, "managed" | "detached">): Source {
  if (view.managed) return "settings";
  return view.detached ? "settings, edited in admin" : "admin";
}

type NextRunView = Pick<PeriodicTaskView, "schedule" | "enabled" | "oneOff" | "totalRunCount" | "lastRunAt" | "startTime" | "expires" | "catchUp" | "createdAt">;

/** The first run of a row that never ran: as the scheduler's startAtOf (intervals run first at startTime). */
function startAtOf(view: NextRunView, schedule: Schedule): Date {
  if (view.startTime === null) return view.createdAt;
  return schedule.kind === "interval" ? new Date(view.startTime.getTime() - schedule.everyMs) : view.startTime;
}

/** When beat would send the task next (now, when it is due), or null when it will not run again. */
export function nextRunOf(view: NextRunView, now: Date, timezone: string): Date | null {
  if (!view.enabled) return null;
  if (view.oneOff && view.totalRunCount > 0) return null;
  if (view.expires !== null && now >= view.expires) return null;
  const schedule = scheduleFromSpec(view.schedule);
  let next: Date | null;
  if (schedule.kind === "clocked") {
    const ran = view.lastRunAt !== null && view.lastRunAt.getTime() >= schedule.atMs;
    next = ran ? null : new Date(Math.max(schedule.atMs, now.getTime()));
  } else {
    // Before startTime nothing runs; the first slot is computed from startTime as if it were now.
    const at = view.startTime !== null && now < view.startTime ? view.startTime : now;
    const due = isDue(schedule, view.lastRunAt, at, { startAt: startAtOf(view, schedule), catchUp: view.catchUp, timezone });
    next = due.due ? at : new Date(at.getTime() + due.nextInMs);
  }
  if (next !== null && view.expires !== null && next >= view.expires) return null;
  return next;
}

/** A date as wall time in a zone: "2026-05-01 14:30:00 Europe/Berlin". */
export function formatInZone(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${timeZone}`;
}

export interface TaskRow {
  id: number;
  name: string;
  task: string;
  schedule: string;
  kind: PeriodicTaskView["schedule"]["kind"];
  args: string;
  queue: string | null;
  enabled: boolean;
  oneOff: boolean;
  description: string;
  lastRunAt: string | null;
  lastRunLocal: string | null;
  nextRunAt: string | null;
  nextRunLocal: string | null;
  totalRunCount: number;
  source: Source;
  managed: boolean;
  detached: boolean;
}

export function presentTask(view: PeriodicTaskView, now: Date, timezone: string): TaskRow {
  let schedule: string;
  let next: Date | null = null;
  try {
    schedule = describeSchedule(scheduleFromSpec(view.schedule));
    next = nextRunOf(view, now, timezone);
  } catch (error) {
    // A row written by hand with a schedule the framework refuses: shown, never hiding the rest.
    schedule = `invalid schedule: ${(error as Error).message}`;
  }
  return {
    id: view.id,
    name: view.name,
    task: view.task,
    schedule,
    kind: view.schedule.kind,
    args: JSON.stringify(view.args),
    queue: view.queue,
    enabled: view.enabled,
    oneOff: view.oneOff,
    description: view.description,
    lastRunAt: view.lastRunAt?.toISOString() ?? null,
    lastRunLocal: view.lastRunAt ? formatInZone(view.lastRunAt, timezone) : null,
    nextRunAt: next?.toISOString() ?? null,
    nextRunLocal: next ? formatInZone(next, timezone) : null,
    totalRunCount: view.totalRunCount,
    source: sourceOf(view),
    managed: view.managed,
    detached: view.detached,
  };
}
