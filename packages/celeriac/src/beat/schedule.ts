/**
 * Schedules for periodic tasks, pure (Celery's schedules.py): when is an entry due, and how long until it
 * is due again. No clock of its own: every answer is computed from the `now` it is given.
 *
 *   every("30s") · every(3600)          interval: runs `every` after the last run (Celery schedule/timedelta)
 *   crontab({ minute: 30, hour: 7 })    Celery's crontab fields, in a time zone
 *   cron("30 7 * * 1")                  a raw cron string, in a time zone
 *   clocked(new Date("2026-12-24T18:00Z"))   one run at one instant (django-celery-beat's ClockedSchedule)
 *
 *   isDue(schedule, lastRunAt, now)  → { due, nextInMs, slotAt }   (Celery is_due)
 *   nextRun(schedule, after)         → the first run after `after`
 *
 * Slots. A crontab's slots are the instants it names; an interval's are lastRunAt + k × every. isDue is
 * due when a slot lies in (lastRunAt, now]; `slotAt` is the latest such slot. Record `lastRunAt = slotAt`
 * to keep an interval on its grid (recording the send time, as Celery does, drifts by each tick's
 * lateness) and use `slotAt` to make the send idempotent (one job id per entry and slot).
 *
 * First run (lastRunAt null). The caller passes `startAt`, when the entry was first scheduled, and must
 * store it: a crontab's first run is its first slot at or after startAt, an interval's is startAt +
 * every. Never "immediately on start". Without startAt, isDue throws: recomputing from `now` on every
 * call would keep pushing the first run away.
 *
 * Missed slots (`catchUp`, after a beat was down). Never a burst: whatever the number missed, isDue is
 * due at most once, for the latest slot.
 * - "one" (default, what Celery does): run once for all the missed slots, now.
 * - "none": run only if the latest slot is at most `graceMs` late (default 60 s, as sidekiq-cron's
 *   reschedule_grace_period); otherwise skip, and the next run is the next slot on the grid.
 *
 * Time zones. A crontab runs in its own `timezone`, else the one the caller passes (the app's `timezone`
 * setting), else UTC. lastRunAt is an instant, so changing a zone needs no reset of lastRunAt (Celery's
 * django-celery-beat does): the next run is the next slot of the new zone after the last run.
 *
 * DST policy (a crontab is a set of wall-clock times; each runs exactly once):
 * - spring forward: a slot in the skipped hour runs once, at the first instant after the gap (Berlin
 *   2026-03-29 02:30 runs at 03:00 CEST); several slots in the gap run once between them;
 * - fall back: a slot in the repeated hour runs once, at its first occurrence (Berlin 2026-10-25 02:30
 *   runs at 02:30 CEST, not again at 02:30 CET). So a crontab every 15 minutes skips the second pass
 *   of the repeated hour; for real elapsed time, use every("15m"), which DST does not touch.
 * cron-parser's own time-zone mode does not hold this policy (its prev() and next() disagree around
 * both transitions, #378/#404), so it runs in UTC on wall times and timezone.ts maps them to instants.
 */
import { InvalidScheduleError } from "../errors.js";
import { checkCronExpression, translateCrontab, wallSlots, type CrontabFields, type CrontabFieldName, type DayMatch } from "./crontab.js";
import { assertTimeZone, isTimeZone, notATimeZone, repeatedWallMs, toWall, wallToInstant } from "./timezone.js";
import { UNIT_MS, type TimeUnit } from "../units.js";

export type { CrontabField, CrontabFieldName, CrontabFields } from "./crontab.js";

export interface IntervalSchedule {
  readonly kind: "interval";
  readonly everyMs: number;
}

export interface CrontabSchedule {
  readonly kind: "crontab";
  /** What cron-parser iterates: "minute hour dayOfMonth month dayOfWeek" (or 6 fields, seconds first). */
  readonly expression: string;
  /** "all": a day must match dayOfMonth and dayOfWeek (Celery, crontab()); "any": either (cron, cron()). */
  readonly dayMatch: DayMatch;
  /** IANA zone; when absent, the caller's default (the app's `timezone` setting), else UTC. */
  readonly timezone?: string;
  /** crontab()'s fields as given, as text. */
  readonly fields?: Readonly<Record<CrontabFieldName, string>>;
}

export interface ClockedSchedule {
  readonly kind: "clocked";
  readonly atMs: number;
}

export type Schedule = IntervalSchedule | CrontabSchedule | ClockedSchedule;
export type CatchUp = "none" | "one";

export interface DueOptions {
  /** When the entry was first scheduled; required while lastRunAt is null. */
  startAt?: Date | null;
  /** @defaultValue "one" */
  catchUp?: CatchUp;
  /** How late a slot may be and still count as on time under catchUp "none". @defaultValue 60_000 */
  graceMs?: number;
  /** The zone for crontabs without their own (the app's `timezone` setting). @defaultValue "UTC" */
  timezone?: string;
}

export interface DueResult {
  due: boolean;
  /** Milliseconds until the next slot after `now` (always > 0): how long the scheduler may sleep. */
  nextInMs: number;
  /** When due: the slot this run stands for (the latest one in (lastRunAt, now]); otherwise null. */
  slotAt: Date | null;
}

export const scheduleDefaults = { timezone: "UTC", catchUp: "one", graceMs: 60_000 } as const;

/** An interval: a number of seconds (Celery's `schedule: 30.0`), or "30s", "15m", "1h", "2d", "1h30m", "500ms". */
export function every(interval: number | string): IntervalSchedule {
  let everyMs: number;
  if (typeof interval === "number") {
    everyMs = interval * 1000;
  } else {
    const text = String(interval).trim();
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
      throw new InvalidScheduleError("every", `every("${text}"): write an interval as a number of seconds or like "30s", "15m", "1h", "2d" or "1h30m"`);
    }
    everyMs = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2] as TimeUnit], 0);
  }
  if (!Number.isFinite(everyMs) || everyMs < 1) {
    throw new InvalidScheduleError("every", `every(${JSON.stringify(interval)}): the interval must be at least 1 ms (a number is seconds)`);
  }
  return Object.freeze({ kind: "interval", everyMs });
}

/**
 * Celery's crontab: every field defaults to "*"; a field is a number, a list of numbers or Celery's text
 * syntax ("*", "8-17", "*\/15", "2-30/2", "*\/3,8-17", "thu,fri", "sunday", "fri-mon"). Days of the week
 * count from 0 = Sunday. A day must match both dayOfMonth and dayOfWeek, as in Celery.
 */
export function crontab(fields: CrontabFields & { timezone?: string } = {}): CrontabSchedule {
  const { expression, fields: text } = translateCrontab(fields);
  const schedule: CrontabSchedule = { kind: "crontab", expression, dayMatch: "all", fields: Object.freeze(text) };
  return finishCrontab(schedule, fields.timezone, `crontab(${describeFields(text)})`, null);
}

/** A raw cron string as cron-parser reads it ("30 7 * * 1", "@daily", 6 fields with seconds first). */
export function cron(expression: string, options: { timezone?: string } = {}): CrontabSchedule {
  checkCronExpression(expression);
  return finishCrontab({ kind: "crontab", expression: expression.trim(), dayMatch: "any" }, options.timezone, `cron "${expression}"`, "expression");
}

/** Checks the zone and that the schedule fires at all; `fields` is what a schedule that never fires blames (a crontab: no one field). */
function finishCrontab(schedule: CrontabSchedule, timezone: string | undefined, what: string, fields: "expression" | null): CrontabSchedule {
  if (timezone !== undefined && !isTimeZone(timezone)) throw new InvalidScheduleError("timezone", notATimeZone(timezone, `${what} timezone`));
  let fires: boolean;
  try {
    fires = !wallSlots(schedule.expression, schedule.dayMatch, Date.UTC(2000, 0, 1), "next").next().done;
  } catch (error) {
    throw new InvalidScheduleError(fields, `${what} never fires: ${(error as Error).message}`, { cause: error });
  }
  if (!fires) throw new InvalidScheduleError(fields, `${what} never fires: no date matches all its fields`);
  return Object.freeze(timezone === undefined ? schedule : { ...schedule, timezone });
}

/**
 * One run at `at`. Its one slot counts whenever the entry was created (a time already past runs at once
 * under catchUp "one"); after it ran, it is never due again.
 */
export function clocked(at: Date | string | number): ClockedSchedule {
  const atMs = at instanceof Date ? at.getTime() : typeof at === "string" ? Date.parse(at) : at;
  if (!Number.isFinite(atMs)) throw new InvalidScheduleError("at", `clocked(${JSON.stringify(at)}): not a valid instant`);
  return Object.freeze({ kind: "clocked", atMs });
}

/** A settings `schedule` value: seconds, or a schedule already made. */
export function toSchedule(value: number | Schedule): Schedule {
  return typeof value === "number" ? every(value) : value;
}

/** The first run after `after` (strictly), or null for a clocked run already past. For an interval, `after` is the last run. */
export function nextRun(schedule: IntervalSchedule | CrontabSchedule, after: Date, options?: { timezone?: string }): Date;
export function nextRun(schedule: Schedule, after: Date, options?: { timezone?: string }): Date | null;
export function nextRun(schedule: Schedule, after: Date, options: { timezone?: string } = {}): Date | null {
  const at = instant(after, "after");
  if (schedule.kind === "interval") return new Date(at + schedule.everyMs);
  if (schedule.kind === "clocked") return schedule.atMs > at ? new Date(schedule.atMs) : null;
  return new Date(nextSlot(schedule, zoneOf(schedule, options.timezone), at));
}

/** Celery's is_due: see the module comment for the first-run, catch-up, time-zone and DST policies. */
export function isDue(schedule: Schedule, lastRunAt: Date | null, now: Date, options: DueOptions = {}): DueResult {
  const nowMs = instant(now, "now");
  const catchUp = options.catchUp ?? scheduleDefaults.catchUp;
  const graceMs = options.graceMs ?? scheduleDefaults.graceMs;
  if (schedule.kind === "clocked") return clockedDue(schedule, lastRunAt, nowMs, catchUp, graceMs);
  const anchor = lastRunAt ?? options.startAt ?? null;
  if (anchor === null) {
    throw new TypeError("isDue(): lastRunAt is null and no options.startAt: pass (and store) when the entry was first scheduled");
  }
  const anchorMs = instant(anchor, lastRunAt === null ? "startAt" : "lastRunAt");
  let slot: number | null;
  let nextAt: number;
  if (schedule.kind === "interval") {
    // Slots are anchor + k × every, k ≥ 1.
    const steps = Math.floor((nowMs - anchorMs) / schedule.everyMs);
    slot = steps >= 1 ? anchorMs + steps * schedule.everyMs : null;
    nextAt = anchorMs + Math.max(steps + 1, 1) * schedule.everyMs;
  } else {
    // After a run, the slots after it count; for a first run, the slots at or after startAt.
    const after = lastRunAt === null ? anchorMs - 1 : anchorMs;
    const zone = zoneOf(schedule, options.timezone);
    const latest = previousSlot(schedule, zone, nowMs);
    slot = latest !== null && latest > after ? latest : null;
    nextAt = nextSlot(schedule, zone, Math.max(nowMs, after));
  }
  const due = slot !== null && (catchUp === "one" || nowMs - slot <= graceMs);
  return { due, nextInMs: nextAt - nowMs, slotAt: due ? new Date(slot as number) : null };
}

/** How long the scheduler may sleep when nothing is due: a clocked entry that ran never needs a wake-up. */
export const NEVER_MS = 2 ** 31 - 1;

function clockedDue(schedule: ClockedSchedule, lastRunAt: Date | null, nowMs: number, catchUp: CatchUp, graceMs: number): DueResult {
  const ran = lastRunAt !== null && instant(lastRunAt, "lastRunAt") >= schedule.atMs;
  if (ran || nowMs < schedule.atMs) return { due: false, nextInMs: ran ? NEVER_MS : schedule.atMs - nowMs, slotAt: null };
  const due = catchUp === "one" || nowMs - schedule.atMs <= graceMs;
  return { due, nextInMs: NEVER_MS, slotAt: due ? new Date(schedule.atMs) : null };
}

/** A short human description: "every 1h30m", "crontab(minute=0 hour=*\/3) in Asia/Taipei", "cron "0 7 * * 1"". */
export function describeSchedule(schedule: Schedule): string {
  if (schedule.kind === "interval") return `every ${formatMs(schedule.everyMs)}`;
  if (schedule.kind === "clocked") return `once at ${new Date(schedule.atMs).toISOString()}`;
  const what = schedule.fields ? `crontab(${describeFields(schedule.fields)})` : `cron "${schedule.expression}"`;
  return schedule.timezone ? `${what} in ${schedule.timezone}` : what;
}

function describeFields(fields: Readonly<Record<CrontabFieldName, string>>): string {
  const set = Object.entries(fields).filter(([, value]) => value !== "*");
  return set.length === 0 ? "" : set.map(([key, value]) => `${key}=${value}`).join(" ");
}

function formatMs(ms: number): string {
  let rest = ms;
  let text = "";
  for (const [unit, size] of Object.entries(UNIT_MS).reverse()) {
    const count = unit === "ms" ? rest : Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}

function zoneOf(schedule: CrontabSchedule, fallback: string | undefined): string {
  const zone = schedule.timezone ?? fallback ?? scheduleDefaults.timezone;
  if (schedule.timezone === undefined) assertTimeZone(zone, "default timezone");
  return zone;
}

function instant(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${name} must be a valid Date`);
  return ms;
}

/**
 * The first slot strictly after `after`. Slots are walked in wall-clock order, and wallToInstant never
 * goes backwards as the wall time grows, so every slot whose wall time is at or before toWall(after) ran
 * by `after`; the walk starts there and skips the few in a repeated hour that ran already.
 */
function nextSlot(schedule: CrontabSchedule, zone: string, after: number): number {
  for (const wall of wallSlots(schedule.expression, schedule.dayMatch, toWall(zone, after), "next")) {
    const at = wallToInstant(zone, wall);
    if (at > after) return at;
  }
  throw new InvalidScheduleError(null, `${describeSchedule(schedule)} has no run after ${new Date(after).toISOString()}`);
}

/** The latest slot at or before `at`, or null. Just after a fall-back, slots up to an hour ahead on the wall have run. */
function previousSlot(schedule: CrontabSchedule, zone: string, at: number): number | null {
  const fromWall = toWall(zone, at) + repeatedWallMs(zone, at);
  for (const wall of wallSlots(schedule.expression, schedule.dayMatch, fromWall, "prev")) {
    const slot = wallToInstant(zone, wall);
    if (slot <= at) return slot;
  }
  return null;
}
