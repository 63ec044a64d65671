/**
 * The names a schedule is made of, one definition: a Schedule's kinds, the kinds of the stored spec (the
 * admin's form and the PeriodicTask tables), an interval's periods and crontab's fields. A leaf module
 * (only units.ts): the client-safe entry (celeriac/states) re-exports it for browser code.
 */
import { UNIT_MS } from "../units.js";

/** `Schedule["kind"]`: every() is "interval", crontab() and cron() are "crontab", clocked() is "clocked". */
export const SCHEDULE_KINDS = ["interval", "crontab", "clocked"] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** `ScheduleSpec["kind"]`, as the admin writes a schedule and the tables store it (a raw cron string is "cron"). */
export const SCHEDULE_SPEC_KINDS = ["interval", "crontab", "cron", "clocked"] as const;
export type ScheduleSpecKind = (typeof SCHEDULE_SPEC_KINDS)[number];

/** An interval spec's periods (django-celery-beat's IntervalSchedule.period), each in ms, largest first. */
export const PERIOD_MS = { days: UNIT_MS.d, hours: UNIT_MS.h, minutes: UNIT_MS.m, seconds: UNIT_MS.s, milliseconds: UNIT_MS.ms } as const;
export type Period = keyof typeof PERIOD_MS;
export const PERIODS = Object.keys(PERIOD_MS) as [Period, ...Period[]];

/** crontab()'s fields (Celery's, camelCased), in the order the admin shows them. */
export const CRONTAB_FIELD_NAMES = ["minute", "hour", "dayOfWeek", "dayOfMonth", "monthOfYear"] as const;
export type CrontabFieldName = (typeof CRONTAB_FIELD_NAMES)[number];
