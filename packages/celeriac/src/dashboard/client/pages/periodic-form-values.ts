/**
 * The periodic-task form's values (every input as text or a checkbox) to and from the API's JSON
 * (api-types.ts). Pure: no DOM, no React, only the contract's types, so it is unit-tested in Node.
 *
 *   formValuesOf(row, timeZone)      a row (or nothing: a new task) → the form's initial values
 *   bodyFromForm(values, timeZone)   the form's values → { body } for POST/PUT, or { errors } by input name
 *   fieldOfServerError(path)         the `field` of a 400 answer ("schedule.minute") → the input it is about
 *
 * The form's instants (start time, expires, clocked at) are typed as wall time in the app's time zone (the
 * one beat and the list use), not the browser's: an operator abroad still means the app's 09:00.
 */
import type { PeriodicTaskBody, PeriodicTaskRow } from "../../api-types.js";
import { instantOfLocalInput, localInputOf } from "../datetime-local.js";

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
