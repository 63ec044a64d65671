/**
 * A task's progress, one definition: what `ctx.progress()` accepts, what a PROGRESS row's `meta` holds and
 * what `AsyncResult.progress()` reads back. A leaf module (imports nothing): the client-safe entry
 * (celeriac/states) re-exports it, so a progress bar in a client component reads the same shape.
 */

/** How far a running task has got (Celery: update_state(state="PROGRESS", meta=…)). */
export interface TaskProgress {
  /** Units done so far (rows, bytes, pages): a finite number ≥ 0. */
  current: number;
  /** Units in all, when known (≥ 0; may be less than current, e.g. an estimate the task outgrew). */
  total: number;
  /** A word for people ("parsing rows"), at most PROGRESS_MESSAGE_MAX characters. */
  message?: string;
}

/** The longest progress message, in characters. */
export const PROGRESS_MESSAGE_MAX = 200;

const count = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0;

/** Why `value` is not a TaskProgress, or undefined when it is. */
export function progressProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "pass an object: { current, total, message? }";
  const { current, total, message } = value as Record<string, unknown>;
  if (!count(current)) return `current must be a finite number ≥ 0 (got ${describe(current)})`;
  if (!count(total)) return `total must be a finite number ≥ 0 (got ${describe(total)})`;
  if (message !== undefined && typeof message !== "string") return `message must be a string (got ${describe(message)})`;
  if (typeof message === "string" && message.length > PROGRESS_MESSAGE_MAX) return `message must be at most ${PROGRESS_MESSAGE_MAX} characters (got ${message.length})`;
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === "number" || value === null || value === undefined) return String(value);
  return typeof value;
}

/** The progress a PROGRESS row's meta holds (only its three fields), or null when it holds none. */
export function progressOf(meta: unknown): TaskProgress | null {
  if (progressProblem(meta) !== undefined) return null;
  const { current, total, message } = meta as TaskProgress;
  return message === undefined ? { current, total } : { current, total, message };
}
