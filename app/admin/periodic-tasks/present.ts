/**
 * The periodic-task list as the admin shows it (page and GET /api/admin/periodic-tasks), pure apart from
 * the clock it is given:
 *
 *   formatInZone(date, z)   "2026-05-01 14:30:00 Europe/Berlin"
 *   presentTask(view, …)    one row, JSON-safe (ISO strings), for the table and the API
 */
import { scheduleSummary, sourceOf, type PeriodicTaskView, type Source } from "celeriac";

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
  const { schedule, nextRunAt: next } = scheduleSummary(view, now, timezone);
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
