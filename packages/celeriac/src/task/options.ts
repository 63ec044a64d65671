/**
 * The options a task runs with: its definition, overridden by matching taskAnnotations (Celery applies
 * annotations over the task's attributes), with the settings' defaults for the rest. Also task routing.
 */
import type { Annotation, ResolvedConfig } from "../config.js";
import type { AnyTaskDefinition, ErrorClass } from "./define.js";

export interface EffectiveOptions {
  ignoreResult: boolean;
  trackStarted: boolean;
  maxRetries: number;
  autoretryFor: readonly (ErrorClass | string)[];
  retryBackoff: boolean | number;
  retryBackoffMaxMs: number;
  retryJitter: boolean;
  defaultRetryDelayMs: number;
  softTimeLimitMs: number | undefined;
  timeLimitMs: number | undefined;
  rateLimit: string | undefined;
}

/** Celery's defaults for task attributes. */
const DEFAULTS = { maxRetries: 3, retryBackoff: false, retryBackoffMax: 600, retryJitter: true, defaultRetryDelay: 180 } as const;

/** `*` matches any run of characters; everything else literally. */
export function globMatches(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`).test(name);
}

/** Matching entries of a name-or-glob table, globs first and the exact name last (so it wins when spread). */
function matching<T>(table: Readonly<Record<string, T>>, name: string): T[] {
  const globs = Object.keys(table).filter((key) => key !== name && globMatches(key, name));
  return [...globs.map((key) => table[key]), ...(Object.hasOwn(table, name) ? [table[name]] : [])];
}

/** The queue for a task without a queue of its own: the first matching taskRoutes entry, or defaultQueue. */
export function routeFor(name: string, config: ResolvedConfig): string {
  const route = Object.entries(config.taskRoutes).find(([pattern]) => globMatches(pattern, name));
  return route ? route[1] : config.defaultQueue;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

export function effectiveOptions(task: AnyTaskDefinition, config: ResolvedConfig): EffectiveOptions {
  const annotated: Annotation = Object.assign({}, ...matching(config.taskAnnotations, task.name));
  const pick = <K extends keyof Annotation & keyof AnyTaskDefinition>(key: K) => annotated[key] ?? task[key];
  return {
    ignoreResult: pick("ignoreResult") ?? config.taskIgnoreResult,
    trackStarted: pick("trackStarted") ?? config.taskTrackStarted,
    maxRetries: pick("maxRetries") ?? DEFAULTS.maxRetries,
    autoretryFor: task.autoretryFor ?? [],
    retryBackoff: pick("retryBackoff") ?? DEFAULTS.retryBackoff,
    retryBackoffMaxMs: (pick("retryBackoffMax") ?? DEFAULTS.retryBackoffMax) * 1000,
    retryJitter: pick("retryJitter") ?? DEFAULTS.retryJitter,
    defaultRetryDelayMs: (pick("defaultRetryDelay") ?? DEFAULTS.defaultRetryDelay) * 1000,
    softTimeLimitMs: ms(pick("softTimeLimit") ?? config.taskSoftTimeLimit),
    timeLimitMs: ms(pick("timeLimit") ?? config.taskTimeLimit),
    rateLimit: pick("rateLimit"),
  };
}
