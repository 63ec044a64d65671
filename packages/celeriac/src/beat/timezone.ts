/**
 * Wall-clock arithmetic in IANA time zones, with Intl only (no date library), for the schedules.
 *
 * A "wall" time is a local date and time written as if it were UTC: 2026-03-29 02:30 in Berlin is the
 * number Date.UTC(2026, 2, 29, 2, 30). Crontab slots are wall times; running one means turning it into an
 * instant, and that is where daylight saving time bites. The policy (see schedule.ts, "DST policy"):
 * - a wall time that exists once is that instant;
 * - a wall time that exists twice (the fall-back overlap) is its first occurrence;
 * - a wall time that does not exist (the spring-forward gap) is the first instant after the gap, the
 *   moment the clocks jump (03:00 CEST for Berlin's 02:30 on 2026-03-29).
 * So wallToInstant never goes backwards as the wall time grows, which is what keeps a slot from running
 * twice and lets the gap's slots collapse onto one instant.
 */
import { ConfigError } from "../errors.js";

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** True when `timeZone` is an IANA zone this runtime knows ("UTC", "Asia/Taipei"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a zone isTimeZone() refuses, `what` naming where it was given. */
export function notATimeZone(timeZone: string, what: string): string {
  return `${what}: "${timeZone}" is not an IANA time zone (e.g. "UTC", "Europe/Berlin", "Asia/Taipei")`;
}

/** Throws a ConfigError naming `what` unless `timeZone` is an IANA zone this runtime knows. */
export function assertTimeZone(timeZone: string, what: string): void {
  if (!isTimeZone(timeZone)) throw new ConfigError(notATimeZone(timeZone, what));
}

/** Offsets already read, by zone and whole second (a beat asks about the same slots tick after tick). */
const offsets = new Map<string, number>();

/** The zone's offset from UTC at `instant`, in ms (Berlin in summer: +7_200_000). */
export function offsetMs(timeZone: string, instant: number): number {
  if (timeZone === "UTC") return 0;
  const whole = Math.floor(instant / 1000) * 1000;
  const key = `${timeZone} ${whole}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const part: Record<string, number> = {};
    for (const { type, value } of formatter(timeZone).formatToParts(whole)) part[type] = Number(value);
    offset = Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second) - whole;
    if (offsets.size >= 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The wall time shown by clocks in `timeZone` at `instant`. */
export function toWall(timeZone: string, instant: number): number {
  return instant + offsetMs(timeZone, instant);
}

/**
 * The instant a wall time stands for, by the policy above: its only or first occurrence, or the end of
 * the gap it falls in. Offsets are read a day either side, which covers every real-world transition.
 */
export function wallToInstant(timeZone: string, wall: number): number {
  if (timeZone === "UTC") return wall;
  const before = offsetMs(timeZone, wall - DAY_MS);
  const after = offsetMs(timeZone, wall + DAY_MS);
  // Most days: no transition near, one offset.
  if (before === after && offsetMs(timeZone, wall - before) === before) return wall - before;
  const candidates = [before, offsetMs(timeZone, wall), after];
  let first: number | undefined;
  for (const offset of candidates) {
    const instant = wall - offset;
    if (offsetMs(timeZone, instant) === offset && (first === undefined || instant < first)) first = instant;
  }
  if (first !== undefined) return first;
  // In a gap: the first instant whose wall time is past `wall` (binary search to the millisecond).
  let lo = wall - Math.max(...candidates); // its wall time is before `wall`
  let hi = wall - Math.min(...candidates); // its wall time is after `wall`
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (toWall(timeZone, mid) > wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * How far past `toWall(instant)` a slot may lie and still have run by `instant`: positive only shortly
 * after a fall-back, when the repeated hour's wall times have already had their first occurrence.
 */
export function repeatedWallMs(timeZone: string, instant: number): number {
  return Math.max(0, offsetMs(timeZone, instant - DAY_MS) - offsetMs(timeZone, instant));
}
