/**
 * `<input type="datetime-local">` values (a wall time, "2026-12-01T19:05") to and from ISO instants, in a
 * named time zone: the Tasks filter reads them in the browser's zone (the one its times are shown in),
 * the periodic-task form in the app's (the one beat runs in: an operator abroad still means the app's
 * 09:00). The zone arithmetic is beat's own (beat/timezone.ts), so the form and beat agree on every
 * offset. Pure: the unit tests call these.
 */
import { offsetMs, toWall, wallToInstant } from "../../beat/timezone.js";

const DAY_MS = 86_400_000;
const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** The zone the browser shows local times in ("Europe/Berlin"). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** An instant as the wall clock in `timeZone` reads it (seconds only when there are some); "" for none or an invalid one. */
export function localInputOf(iso: string | null | undefined, timeZone: string): string {
  const ms = iso === null || iso === undefined ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  const wall = new Date(toWall(timeZone, ms));
  const minutes = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
  return wall.getUTCSeconds() === 0 ? minutes : `${minutes}:${pad(wall.getUTCSeconds())}`;
}

/**
 * The instant a datetime-local value names in `timeZone`, or null when it is not one. A wall time shown
 * twice (a fall-back night) is its first occurrence, as beat takes it; one the clock skips (02:30 on a
 * spring-forward night) is read in the offset before the jump, as a browser's Date reads it (03:30).
 */
export function instantOfLocalInput(value: string, timeZone: string): string | null {
  const match = LOCAL_INPUT.exec(value.trim());
  if (!match) return null;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((text) => Number(text ?? "0"));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  const instant = wallToInstant(timeZone, wall);
  const skipped = toWall(timeZone, instant) !== wall;
  return new Date(skipped ? wall - offsetMs(timeZone, wall - DAY_MS) : instant).toISOString();
}
