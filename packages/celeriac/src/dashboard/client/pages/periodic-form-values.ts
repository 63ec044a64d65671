/**
 * The periodic-task form's values (every input as text or a checkbox) to and from the API's JSON
 * (api-types.ts). Pure: no DOM, no React, only the contract's types, so it is unit-tested in Node.
 *
 *   formValuesOf(row, timeZone)      a row (or nothing: a new task) → the form's initial values
 *   bodyFromForm(values, timeZone)   the form's values → { body } for POST/PUT, or { errors } by input name
 *   fieldOfServerError(path)         the `field` of a 400 answer ("schedule.minute") → the input it is about
 *   localInputOf(iso, timeZone)      an instant → a datetime-local value, as the wall clock reads in the zone
 *   instantOfLocalInput(v, timeZone) a datetime-local value read in the zone → an ISO instant (UTC)
 *
 * The form's instants (start time, expires, clocked at) are typed as wall time in the app's time zone (the
 * one beat and the list use), not the browser's: an operator abroad still means the app's 09:00.
 */
import type { PeriodicTaskBody, PeriodicTaskRow } from "../../api-types.js";

export type Schedule = PeriodicTaskBody["schedule"];
export type Kind = Schedule["kind"];
export type Period = Extract<Schedule, { kind: "interval" }>["period"];

/** The schedule kinds, as the form's choice names them (a Record, so a new kind in the contract must be named here). */
export const KIND_LABELS: Record<Kind, string> = {
  interval: "interval: every N seconds, minutes…",
  crontab: "crontab: minute, hour, day… fields",
  cron: "cron: one expression",
  clocked: "clocked: once, at a time",
};
export const KINDS = Object.keys(KIND_LABELS) as Kind[];

const PERIOD_NAMES: Record<Period, true> = { days: true, hours: true, minutes: true, seconds: true, milliseconds: true };
export const PERIODS = Object.keys(PERIOD_NAMES) as Period[];

export interface FormValues {
  name: string;
  task: string;
  /** A JSON array, as typed. */
  args: string;
  /** The row's arguments were not shown (the task redacts them): they must be typed again to save. */
  argsHidden: boolean;
  kind: Kind;
  every: string;
  period: Period;
  minute: string;
  hour: string;
  dayOfWeek: string;
  dayOfMonth: string;
  monthOfYear: string;
  expression: string;
  /** The schedule's own zone (crontab and cron); blank: the app's. */
  timezone: string;
  /** Clocked: a datetime-local value in the app's zone. */
  at: string;
  queue: string;
  priority: string;
  expireSeconds: string;
  enabled: boolean;
  oneOff: boolean;
  /** A datetime-local value in the app's zone; blank: now. */
  startTime: string;
  /** A datetime-local value in the app's zone; blank: never. */
  expires: string;
  catchUp: "one" | "none";
  description: string;
}

export type FormErrors = Partial<Record<keyof FormValues, string>>;

const BLANK: FormValues = {
  name: "",
  task: "",
  args: "[]",
  argsHidden: false,
  kind: "interval",
  every: "10",
  period: "seconds",
  minute: "*",
  hour: "*",
  dayOfWeek: "*",
  dayOfMonth: "*",
  monthOfYear: "*",
  expression: "",
  timezone: "",
  at: "",
  queue: "",
  priority: "",
  expireSeconds: "",
  enabled: true,
  oneOff: false,
  startTime: "",
  expires: "",
  catchUp: "one",
  description: "",
};

// Making a DateTimeFormat costs far more than using one: one per zone, kept.
const wallClocks = new Map<string, Intl.DateTimeFormat>();
function wallClock(timeZone: string): Intl.DateTimeFormat {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    wallClocks.set(timeZone, format);
  }
  return format;
}

/** The wall clock in `timeZone` at `ms`, as the fields of a UTC date (so offsets are plain subtraction). */
function wallClockMs(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    wallClock(timeZone)
      .formatToParts(new Date(ms))
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<"year" | "month" | "day" | "hour" | "minute" | "second", number>;
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) + (ms % 1000);
}

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function localInputOf(iso: string | null, timeZone: string): string {
  if (iso === null) return "";
  const wall = new Date(wallClockMs(new Date(iso).getTime(), timeZone));
  const minutes = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
  return wall.getUTCSeconds() === 0 ? minutes : `${minutes}:${pad(wall.getUTCSeconds())}`;
}

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * The instant a datetime-local value names in `timeZone`, or null when it is not one. A wall time the
 * clock skips (02:30 on a spring-forward night) is taken as late as the jump (03:30); one it shows twice
 * (a fall-back night), as the first.
 */
export function instantOfLocalInput(value: string, timeZone: string): string | null {
  const match = LOCAL_INPUT.exec(value.trim());
  if (!match) return null;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((text) => Number(text ?? "0"));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  // The zone's offsets a day either side: the wall time is one of them, unless the clock skips it.
  const offsetAt = (ms: number) => wallClockMs(ms, timeZone) - ms;
  const before = offsetAt(wall - DAY_MS);
  const fits = [before, offsetAt(wall + DAY_MS)].map((offset) => wall - offset).filter((ms) => offsetAt(ms) === wall - ms);
  return new Date(fits.length > 0 ? Math.min(...fits) : wall - before).toISOString();
}

export function formValuesOf(row: PeriodicTaskRow | undefined, timeZone: string): FormValues {
  if (!row) return BLANK;
  const argsHidden = !Array.isArray(row.args);
  const values: FormValues = {
    ...BLANK,
    name: row.name,
    task: row.task,
    args: argsHidden ? "" : JSON.stringify(row.args),
    argsHidden,
    kind: row.schedule.kind,
    queue: row.queue ?? "",
    priority: row.priority === null ? "" : String(row.priority),
    expireSeconds: row.expireSeconds === null ? "" : String(row.expireSeconds),
    enabled: row.enabled,
    oneOff: row.oneOff,
    startTime: localInputOf(row.startTime, timeZone),
    expires: localInputOf(row.expires, timeZone),
    catchUp: row.catchUp,
    description: row.description,
  };
  const schedule = row.schedule;
  switch (schedule.kind) {
    case "interval":
      return { ...values, every: String(schedule.every), period: schedule.period };
    case "crontab":
      return {
        ...values,
        minute: schedule.minute,
        hour: schedule.hour,
        dayOfWeek: schedule.dayOfWeek,
        dayOfMonth: schedule.dayOfMonth,
        monthOfYear: schedule.monthOfYear,
        timezone: schedule.timezone ?? "",
      };
    case "cron":
      return { ...values, expression: schedule.expression, timezone: schedule.timezone ?? "" };
    case "clocked":
      return { ...values, at: localInputOf(schedule.at, timeZone) };
  }
}

/** Parses what the server would refuse with a less useful message (JSON, integers, dates); the server checks the rest. */
class Checker {
  readonly errors: FormErrors = {};
  constructor(
    private readonly values: FormValues,
    private readonly timeZone: string,
  ) {}

  args(): unknown[] {
    const text = this.values.args.trim();
    if (text === "") {
      if (this.values.argsHidden) this.errors.args = "The task redacts its arguments, so they are not shown: type them again to save.";
      return [];
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed;
      this.errors.args = 'Arguments are a JSON array, e.g. [16, 16] or ["a@example.com"].';
    } catch (error) {
      this.errors.args = `Not valid JSON: ${(error as Error).message}`;
    }
    return [];
  }

  integer(key: "every" | "priority" | "expireSeconds", required: boolean): number | null {
    const text = this.values[key].trim();
    if (text === "") {
      if (required) this.errors[key] = "Required.";
      return null;
    }
    if (!/^-?\d+$/.test(text)) {
      this.errors[key] = "Enter a whole number.";
      return null;
    }
    return Number(text);
  }

  instant(key: "startTime" | "expires" | "at", required: boolean): string | null {
    const text = this.values[key].trim();
    if (text === "") {
      if (required) this.errors[key] = "Required.";
      return null;
    }
    const iso = instantOfLocalInput(text, this.timeZone);
    if (iso === null) this.errors[key] = "Enter a date and a time.";
    return iso;
  }

  schedule(): Schedule {
    const values = this.values;
    const timezone = values.timezone.trim() || null;
    switch (values.kind) {
      case "interval":
        return { kind: "interval", every: this.integer("every", true) ?? 0, period: values.period };
      case "crontab":
        return {
          kind: "crontab",
          minute: values.minute.trim() || "*",
          hour: values.hour.trim() || "*",
          dayOfWeek: values.dayOfWeek.trim() || "*",
          dayOfMonth: values.dayOfMonth.trim() || "*",
          monthOfYear: values.monthOfYear.trim() || "*",
          timezone,
        };
      case "cron":
        return { kind: "cron", expression: values.expression.trim(), timezone };
      case "clocked":
        return { kind: "clocked", at: this.instant("at", true) ?? "" };
    }
  }
}

/** The body the form's values stand for (without its requestKey), or the inputs that are wrong. */
export function bodyFromForm(values: FormValues, timeZone: string): { body: PeriodicTaskBody; errors?: undefined } | { body?: undefined; errors: FormErrors } {
  const check = new Checker(values, timeZone);
  const body: PeriodicTaskBody = {
    name: values.name.trim(),
    task: values.task,
    args: check.args(),
    queue: values.queue.trim() || null,
    priority: check.integer("priority", false),
    expireSeconds: check.integer("expireSeconds", false),
    schedule: check.schedule(),
    enabled: values.enabled,
    oneOff: values.oneOff,
    startTime: check.instant("startTime", false),
    expires: check.instant("expires", false),
    catchUp: values.catchUp,
    description: values.description,
  };
  if (!body.name) check.errors.name = "Required.";
  if (!body.task) check.errors.task = "Choose a task.";
  return Object.keys(check.errors).length > 0 ? { errors: check.errors } : { body };
}

/** The input a 400 answer's `field` is about ("schedule.minute" → "minute", "schedule" → "kind"), or null. */
export function fieldOfServerError(path: string | undefined): keyof FormValues | null {
  if (!path) return null;
  const key = path.startsWith("schedule.") ? path.slice("schedule.".length) : path;
  if (key === "schedule" || key === "kind") return "kind";
  if (key === "argsHidden") return null;
  return key in BLANK ? (key as keyof FormValues) : null;
}
