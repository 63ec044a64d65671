/** Numbers and times in words, for the pages (pure: the unit tests call these). */
import type { TaskProgress } from "../api-types.js";

/** "850 ms", "2.3 s", "4 min 5 s", "3 h 20 min", "2 d 4 h". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return pair(minutes, "min", seconds % 60, "s");
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return pair(hours, "h", minutes % 60, "min");
  return pair(Math.floor(hours / 24), "d", hours % 24, "h");
}

function pair(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
}

/** `deltaMs` = then − now: "12 s ago", "in 5 min", "just now". */
export function formatRelative(deltaMs: number): string {
  const ago = deltaMs <= 0;
  const ms = Math.abs(deltaMs);
  if (ms < 1_000) return "just now";
  const seconds = Math.floor(ms / 1_000);
  const text =
    seconds < 60 ? `${seconds} s`
    : seconds < 3_600 ? `${Math.floor(seconds / 60)} min`
    : seconds < 86_400 ? `${Math.floor(seconds / 3_600)} h`
    : `${Math.floor(seconds / 86_400)} d`;
  return ago ? `${text} ago` : `in ${text}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "2026-12-01 19:05:12" in the browser's time zone, or in `timeZone`. */
export function formatLocal(at: Date, timeZone?: string): string {
  const key = timeZone ?? "";
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-CA", {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      ...(timeZone === undefined ? {} : { timeZone }),
    });
    formatters.set(key, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(at).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** formatLocal without what `now` already says: "19:05:12" the same day, "12-01 19:05" the same year, else "2025-12-01". */
export function formatCompactLocal(at: Date, now: Date, timeZone?: string): string {
  const full = formatLocal(at, timeZone);
  const today = formatLocal(now, timeZone);
  if (full.slice(0, 10) === today.slice(0, 10)) return full.slice(11);
  if (full.slice(0, 4) === today.slice(0, 4)) return full.slice(5, 16);
  return full.slice(0, 10);
}

/** 0.0312 → "3.1 %"; null → "—". */
export function formatRate(rate: number | null): string {
  if (rate === null) return "—";
  return `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)} %`;
}

/** A task's progress in short: "42 %" of its total (floored, at most 100), or "17 done" when the total is unknown (0). */
export function formatProgress(progress: TaskProgress): string {
  if (progress.total <= 0) return `${progress.current} done`;
  return `${Math.min(100, Math.floor((progress.current / progress.total) * 100))} %`;
}

/** What the server sends in place of redacted arguments (presenter.ts REDACTED: the bundle imports no server module). */
export const REDACTED = "••••";

/** A value on one line, cut to `max` characters (REDACTED as it is, not as a JSON string). */
export function formatShortJson(value: unknown, max = 80): string {
  const text = value === REDACTED ? REDACTED : (JSON.stringify(value) ?? "—");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
