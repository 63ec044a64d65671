/**
 * The rate-limit syntax (Celery's rate_limit), one definition: "<count>/<unit>", unit s, m or h, count at
 * least 1. The task option, settings.taskAnnotations and the broker's limiter all read it here.
 */
import { UNIT_MS } from "../units.js";

export const RATE_PATTERN = /^(\d+)\/(s|m|h)$/;
/** What a rate looks like, for error messages. */
export const RATE_EXAMPLES = '"10/s", "100/m" or "1000/h"';

export interface Rate {
  count: number;
  unit: "s" | "m" | "h";
  /** Runs a second the rate allows: "10/m" → 0.1666…. */
  perSecond: number;
  /** Milliseconds between runs: "10/s" → 100. */
  intervalMs: number;
}

/** The rate `text` spells, or undefined when it is not one ("fast", "10/d", "0/s"). */
export function parseRate(text: string): Rate | undefined {
  const match = RATE_PATTERN.exec(text);
  if (!match || Number(match[1]) === 0) return undefined;
  const count = Number(match[1]);
  const unit = match[2] as Rate["unit"];
  return { count, unit, perSecond: (count * 1000) / UNIT_MS[unit], intervalMs: UNIT_MS[unit] / count };
}
