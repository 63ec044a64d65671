/**
 * Crontab fields and slots, on cron-parser:
 * - translates Celery's crontab fields (minute, hour, dayOfWeek, dayOfMonth, monthOfYear) into a 5-field
 *   cron expression, with errors that name the field;
 * - checks raw cron strings;
 * - lists slots as wall times (local time written as if UTC, see timezone.ts), next or previous.
 *
 * cron-parser always runs in UTC here. Its own time-zone mode has open DST bugs (#378, #404; in 5.10.5
 * prev() and next() disagree around both transitions), so the zone is applied afterwards, by
 * timezone.ts, one slot at a time.
 *
 * Day matching: Celery runs on a day that matches dayOfMonth AND dayOfWeek (schedules.py, crontab
 * remaining_delta: `execute_this_date`); classic cron runs when either matches if both are restricted.
 * crontab() follows Celery ("all"), cron() follows cron ("any").
 */
import { CronExpressionParser, type CronExpression } from "cron-parser";
import { InvalidScheduleError } from "../errors.js";
import type { CrontabFieldName } from "./kinds.js";

export type CrontabField = string | number | readonly number[];
export type { CrontabFieldName };
export type CrontabFields = Partial<Record<CrontabFieldName, CrontabField>>;
export type DayMatch = "all" | "any";

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const LONG_DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

interface FieldSpec {
  name: CrontabFieldName;
  min: number;
  max: number;
  /** Where the field sits in "minute hour dayOfMonth month dayOfWeek". */
  position: number;
  names?: readonly string[];
  accepts: string;
}

/** In the order of Celery's positional arguments: crontab(minute, hour, day_of_week, day_of_month, month_of_year). */
export const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59, position: 0, accepts: `0-59` },
  { name: "hour", min: 0, max: 23, position: 1, accepts: `0-23` },
  { name: "dayOfWeek", min: 0, max: 6, position: 4, names: DAY_NAMES, accepts: `0-6 (0 = Sunday), sun-sat or sunday-saturday` },
  { name: "dayOfMonth", min: 1, max: 31, position: 2, accepts: `1-31` },
  { name: "monthOfYear", min: 1, max: 12, position: 3, names: MONTH_NAMES, accepts: `1-12 or jan-dec` },
];

const CELERY_SPELLINGS: Record<string, CrontabFieldName> = {
  day_of_week: "dayOfWeek",
  day_of_month: "dayOfMonth",
  month_of_year: "monthOfYear",
};

function fieldError(spec: FieldSpec, value: unknown, reason: string, cause?: unknown): InvalidScheduleError {
  const shown = typeof value === "string" ? `"${value}"` : JSON.stringify(value);
  return new InvalidScheduleError(
    spec.name,
    `crontab ${spec.name} ${shown} is invalid: ${reason}. ` +
      `${spec.name} takes ${spec.accepts}, "*", ranges "1-5", steps "*/15" or "2-30/2", and lists "1-7,15-21"`,
    cause === undefined ? undefined : { cause },
  );
}

/** One end of a range, or a single value: a number in range or one of the field's names. */
function resolveValue(spec: FieldSpec, token: string, whole: unknown): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n < spec.min || n > spec.max) throw fieldError(spec, whole, `${n} is out of range ${spec.min}-${spec.max}`);
    return n;
  }
  const long = spec.name === "dayOfWeek" ? LONG_DAY_NAMES.indexOf(token) : -1;
  const short = spec.names?.indexOf(token) ?? -1;
  const index = long >= 0 ? long : short;
  if (index < 0) throw fieldError(spec, whole, `"${token}" is not a ${spec.name === "dayOfWeek" ? "day" : "value"}`);
  return index + spec.min;
}

/** The values one cron part stands for, expanded by cron-parser (Celery's "fri-mon" wrap-around by hand). */
function expandPart(spec: FieldSpec, part: string, whole: unknown): number[] {
  const match = /^(\*|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/(\d+))?$/.exec(part);
  if (match === null) throw fieldError(spec, whole, part === "" ? "an empty entry" : `cannot read "${part}"`);
  const [, , from, to, step] = match;
  if (step !== undefined && Number(step) === 0) throw fieldError(spec, whole, "a step of 0");
  const start = from === undefined ? undefined : resolveValue(spec, from, whole);
  const end = to === undefined ? undefined : resolveValue(spec, to, whole);
  if (start !== undefined && end !== undefined && start > end) {
    // Celery wraps a backwards range round the end: "fri-mon" is fri, sat, sun, mon (then the step).
    const wrapped = [...range(start, spec.max), ...range(spec.min, end)];
    return wrapped.filter((_, i) => i % Number(step ?? 1) === 0);
  }
  // Names become numbers; cron-parser expands the rest.
  const fields = ["0", "0", "*", "*", "*"];
  fields[spec.position] = start === undefined ? part : `${start}${end === undefined ? "" : `-${end}`}${step === undefined ? "" : `/${step}`}`;
  let parsed;
  try {
    parsed = CronExpressionParser.parse(fields.join(" "), { tz: "UTC" }).fields;
  } catch (error) {
    throw fieldError(spec, whole, (error as Error).message, error);
  }
  const collection = [parsed.minute, parsed.hour, parsed.dayOfMonth, parsed.month, parsed.dayOfWeek][spec.position];
  const values: readonly unknown[] = collection.values;
  return values.filter((v): v is number => typeof v === "number" && v >= spec.min && v <= spec.max);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A Celery field value as a sorted list of the values it allows. */
export function expandField(spec: FieldSpec, value: CrontabField): number[] {
  const values = new Set<number>();
  if (typeof value === "number" || Array.isArray(value)) {
    const list: readonly unknown[] = typeof value === "number" ? [value] : value;
    if (list.length === 0) throw fieldError(spec, value, "an empty list");
    for (const n of list) {
      if (typeof n !== "number" || !Number.isInteger(n)) throw fieldError(spec, value, `${String(n)} is not a whole number`);
      if (n < spec.min || n > spec.max) throw fieldError(spec, value, `${n} is out of range ${spec.min}-${spec.max}`);
      values.add(resolveValue(spec, String(n), value));
    }
  } else if (typeof value === "string") {
    for (const part of value.trim().toLowerCase().split(",")) {
      for (const n of expandPart(spec, part.trim(), value)) values.add(n);
    }
  } else {
    throw fieldError(spec, value, "expected a string, a number or a list of numbers");
  }
  return [...values].sort((a, b) => a - b);
}

export interface TranslatedCrontab {
  /** The 5-field cron expression: "minute hour dayOfMonth month dayOfWeek". */
  expression: string;
  /** The fields as given, as text (what a CrontabSchedule row would store). */
  fields: Record<CrontabFieldName, string>;
}

/** Celery's crontab(...) fields → a cron expression; every field defaults to "*". */
export function translateCrontab(input: CrontabFields): TranslatedCrontab {
  for (const key of Object.keys(input)) {
    if (FIELDS.some((spec) => spec.name === key) || key === "timezone") continue;
    const hint = CELERY_SPELLINGS[key] ? ` (celeriac spells it ${CELERY_SPELLINGS[key]})` : "";
    throw new InvalidScheduleError(null, `crontab: unknown field "${key}"${hint}; the fields are minute, hour, dayOfWeek, dayOfMonth, monthOfYear and timezone`);
  }
  const cron = ["*", "*", "*", "*", "*"];
  const fields = {} as Record<CrontabFieldName, string>;
  for (const spec of FIELDS) {
    const value = input[spec.name] ?? "*";
    const values = expandField(spec, value);
    const full = values.length === spec.max - spec.min + 1;
    cron[spec.position] = full ? "*" : values.join(",");
    fields[spec.name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return { expression: cron.join(" "), fields };
}

/** Checks a raw cron string (5 fields, or 6 with seconds first, as cron-parser reads them). */
export function checkCronExpression(expression: string): void {
  try {
    CronExpressionParser.parse(expression, { tz: "UTC" });
  } catch (error) {
    throw new InvalidScheduleError("expression", `cron "${expression}" is invalid: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Parsed expressions, reused (parsing costs more than a step): each caller resets the iterator and
 * walks it to the end of one synchronous loop, so no two walks ever share one.
 */
const cache = new Map<string, CronExpression>();

function parsed(expression: string): CronExpression {
  let iterator = cache.get(expression);
  if (iterator === undefined) {
    if (cache.size >= 500) cache.clear();
    iterator = CronExpressionParser.parse(expression, { tz: "UTC" });
    cache.set(expression, iterator);
  }
  return iterator;
}

const HORIZON_MS = 400 * 366 * 86_400_000; // the Gregorian calendar repeats every 400 years

/**
 * Iterates a schedule's wall-time slots, strictly after `fromWall` (direction "next") or at or before it
 * ("prev"). With dayMatch "all" and both day fields restricted, cron-parser walks dayOfMonth alone and
 * days on the wrong weekday are skipped whole.
 */
export function* wallSlots(expression: string, dayMatch: DayMatch, fromWall: number, direction: "next" | "prev"): Generator<number> {
  const fields = expression.trim().split(/\s+/);
  let weekdays: Set<number> | undefined;
  if (dayMatch === "all" && fields.length === 5 && fields[2] !== "*" && fields[4] !== "*") {
    weekdays = new Set(fields[4].split(",").map(Number));
    fields[4] = "*";
  }
  const iterator = parsed(fields.join(" "));
  iterator.reset(new Date(direction === "next" ? fromWall : fromWall + 1)); // prev() is strictly before its date
  const limit = direction === "next" ? fromWall + HORIZON_MS : fromWall - HORIZON_MS;
  for (;;) {
    let slot: number;
    try {
      slot = (direction === "next" ? iterator.next() : iterator.prev()).getTime();
    } catch {
      return; // cron-parser found no further slot
    }
    if (direction === "next" ? slot > limit : slot < limit) return;
    if (weekdays === undefined || weekdays.has(new Date(slot).getUTCDay())) {
      yield slot;
      continue;
    }
    const dayStart = Math.floor(slot / 86_400_000) * 86_400_000;
    iterator.reset(new Date(direction === "next" ? dayStart + 86_400_000 - 1 : dayStart));
  }
}
