/**
 * The periodic-task form's values (every input as text or a checkbox) to and from the API's definition
 * (celeriac's PeriodicTaskInput). Pure and client-safe: the form imports it; from the framework, only
 * types and celeriac/states (the client-safe entry, which imports nothing server-side).
 *
 *   formValuesOf(view?)        a view (or nothing: a new task) → the form's initial values
 *   inputFromForm(values)      the form's values → { input } for the API, or { errors } by field name
 *   fieldOfServerError(path)   a field path ("schedule.minute": the API's 400 answer, or the `field` of a
 *                              framework error, as api/admin/periodic-tasks/save.ts maps them) → the form's input name
 */
import type { PeriodicTaskInput, PeriodicTaskView, ScheduleSpec } from "celeriac";
import { PERIODS, SCHEDULE_SPEC_KINDS, type ScheduleSpecKind } from "celeriac/states";

export { PERIODS };
export const KINDS = SCHEDULE_SPEC_KINDS;
export type Kind = ScheduleSpecKind;

export interface FormValues {
  name: string;
  task: string;
  /** A JSON array, as typed. */
  args: string;
  kind: Kind;
  every: string;
  period: (typeof PERIODS)[number];
  minute: string;
  hour: string;
  dayOfWeek: string;
  dayOfMonth: string;
  monthOfYear: string;
  expression: string;
  /** The schedule's own zone (crontab and cron); blank: the app's. */
  timezone: string;
  /** Clocked: an ISO 8601 instant with its offset. */
  at: string;
  queue: string;
  priority: string;
  expireSeconds: string;
  enabled: boolean;
  oneOff: boolean;
  startTime: string;
  expires: string;
  catchUp: "one" | "none";
  description: string;
}

/** The view as the form needs it; dates may arrive as ISO strings (after JSON). */
export type ViewLike = Pick<
  PeriodicTaskView,
  "name" | "task" | "args" | "queue" | "priority" | "expireSeconds" | "enabled" | "oneOff" | "catchUp" | "description"
> & {
  schedule: ScheduleSpec | (Omit<Extract<ScheduleSpec, { kind: "clocked" }>, "at"> & { at: Date | string });
  startTime: Date | string | null;
  expires: Date | string | null;
};

const iso = (value: Date | string | null): string => (value === null ? "" : new Date(value).toISOString());

export function formValuesOf(view?: ViewLike): FormValues {
  const blank: FormValues = {
    name: "",
    task: "",
    args: "[]",
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
  if (!view) return blank;
  const values: FormValues = {
    ...blank,
    name: view.name,
    task: view.task,
    args: JSON.stringify(view.args),
    kind: view.schedule.kind,
    queue: view.queue ?? "",
    priority: view.priority === null ? "" : String(view.priority),
    expireSeconds: view.expireSeconds === null ? "" : String(view.expireSeconds),
    enabled: view.enabled,
    oneOff: view.oneOff,
    startTime: iso(view.startTime),
    expires: iso(view.expires),
    catchUp: view.catchUp,
    description: view.description,
  };
  const schedule = view.schedule;
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
      return { ...values, at: iso(schedule.at) };
  }
}

export type FormErrors = Partial<Record<keyof FormValues, string>>;

/** The API body the form's values stand for, or the inputs that are wrong (checked here: JSON and numbers). */
export function inputFromForm(values: FormValues): { input: PeriodicTaskInput; errors?: undefined } | { input?: undefined; errors: FormErrors } {
  const errors: FormErrors = {};
  let args: unknown[] = [];
  const argsText = values.args.trim() === "" ? "[]" : values.args;
  try {
    const parsed: unknown = JSON.parse(argsText);
    if (Array.isArray(parsed)) args = parsed;
    else errors.args = 'Arguments are a JSON array, e.g. [16, 16] or ["a@example.com"].';
  } catch (error) {
    errors.args = `Not valid JSON: ${(error as Error).message}`;
  }
  const integer = (key: "every" | "priority" | "expireSeconds", required: boolean): number | null => {
    const text = values[key].trim();
    if (text === "") {
      if (required) errors[key] = "Required.";
      return null;
    }
    if (!/^-?\d+$/.test(text)) {
      errors[key] = "Enter a whole number.";
      return null;
    }
    return Number(text);
  };
  const zone = values.timezone.trim() || null;
  let schedule: PeriodicTaskInput["schedule"];
  switch (values.kind) {
    case "interval":
      schedule = { kind: "interval", every: integer("every", true) ?? 0, period: values.period };
      break;
    case "crontab":
      schedule = {
        kind: "crontab",
        minute: values.minute.trim() || "*",
        hour: values.hour.trim() || "*",
        dayOfWeek: values.dayOfWeek.trim() || "*",
        dayOfMonth: values.dayOfMonth.trim() || "*",
        monthOfYear: values.monthOfYear.trim() || "*",
        timezone: zone,
      };
      break;
    case "cron":
      schedule = { kind: "cron", expression: values.expression.trim(), timezone: zone };
      break;
    case "clocked":
      schedule = { kind: "clocked", at: values.at.trim() };
      break;
  }
  const priority = integer("priority", false);
  const expireSeconds = integer("expireSeconds", false);
  if (Object.keys(errors).length > 0) return { errors };
  return {
    input: {
      name: values.name.trim(),
      task: values.task.trim(),
      args,
      queue: values.queue.trim() || null,
      priority,
      expireSeconds,
      schedule,
      enabled: values.enabled,
      oneOff: values.oneOff,
      startTime: values.startTime.trim() || null,
      expires: values.expires.trim() || null,
      catchUp: values.catchUp,
      description: values.description,
    },
  };
}

/** The input a field path of the API's 400 answer is about ("schedule.minute" → "minute"), or null. */
export function fieldOfServerError(path: string): keyof FormValues | null {
  const key = path.startsWith("schedule.") ? path.slice("schedule.".length) : path;
  const known: readonly string[] = [...Object.keys(formValuesOf()), "schedule"];
  if (key === "schedule" || key === "kind") return "kind";
  return known.includes(key) ? (key as keyof FormValues) : null;
}

