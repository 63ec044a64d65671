/**
 * The one table of settings and their defaults (after Celery's app/defaults.py). Settings are validated
 * once, when the app is created, and frozen; a bad value stops start-up with a message naming it.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { SCHEDULE_KINDS } from "./beat/kinds.js";
import { LOG_FORMATS, LOG_LEVELS } from "./log-levels.js";
import { parseRate, RATE_EXAMPLES } from "./task/rate.js";
import { redisUrlProblem } from "./broker/redis-url.js";
// Type only: at run time config imports leaf modules only; beat/ checks each schedule when beat starts.
import type { Schedule } from "./beat/schedule.js";

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log-levels.js";
/** settings.maxPayloadBytes when not set: 256 KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

const queueName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, "queue names use letters, digits, '_', '.', '-' (at most 100)");

const nonNegativeSeconds = z.number().finite().nonnegative();

/** Per-task overrides from settings (Celery: task_annotations), e.g. { "emails.*": { rateLimit: "10/s" } }. */
const annotation = z
  .object({
    maxRetries: z.number().int().nonnegative(),
    retryBackoff: z.union([z.boolean(), z.number().positive()]),
    retryBackoffMax: nonNegativeSeconds,
    retryJitter: z.boolean(),
    defaultRetryDelay: nonNegativeSeconds,
    softTimeLimit: nonNegativeSeconds,
    timeLimit: nonNegativeSeconds,
    rateLimit: z.string().refine((rate) => parseRate(rate) !== undefined, `a rate looks like ${RATE_EXAMPLES}`),
    ignoreResult: z.boolean(),
    trackStarted: z.boolean(),
  })
  .partial()
  .strict();

/** One entry of beatSchedule (Celery: beat_schedule), synced into the PeriodicTask table as a managed row. */
const beatEntry = z
  .object({
    /** The registered task name. */
    task: z.string().min(1),
    /** Seconds, or every("1h"), crontab({ … }), cron("…"), clocked(date). */
    schedule: z.union([
      z.number().finite().positive(),
      z.custom<Schedule>((v) => typeof v === "object" && v !== null && (SCHEDULE_KINDS as readonly string[]).includes((v as Schedule).kind), "a number of seconds or every(), crontab(), cron(), clocked()"),
    ]),
    /** The task's positional arguments. @defaultValue [] */
    args: z.array(z.unknown()).default([]),
    options: z
      .object({
        queue: queueName,
        priority: z.number().int().min(1),
        /** Each message expires this many seconds after it is sent. */
        expires: z.number().int().positive(),
      })
      .partial()
      .strict()
      .default({}),
    /** Slots missed while no beat ran: "one" runs once for all of them, "none" skips them. @defaultValue "one" */
    catchUp: z.enum(["none", "one"]).default("one"),
    /** Run once, then disable. @defaultValue false */
    oneOff: z.boolean().default(false),
    description: z.string().default(""),
  })
  .strict();

const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone, e.g. "UTC", "Europe/Berlin", "Asia/Taipei"');

export const settingsSchema = z.object({
  /** Shown in the worker banner and logs. @defaultValue "celeriac" */
  appName: z.string().min(1).default("celeriac"),
  /**
   * Celery: broker_url. One server (`redis://host:6379/0`, `rediss://` for TLS), a Redis Cluster
   * (`redis://host1:7000,host2:7000,…`, or `redis+cluster://host:7000` given one node) or a master watched by
   * Sentinel (`redis+sentinel://s1:26379,s2:26379,…/masterName[/db]`). @defaultValue "redis://127.0.0.1:6379"
   */
  redisUrl: z
    .string()
    .superRefine((url, ctx) => {
      const problem = redisUrlProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("redis://127.0.0.1:6379"),
  /**
   * Namespace of every Redis key, so apps and test runs sharing one Redis never see each other's jobs.
   * @defaultValue "celeriac"
   */
  keyPrefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '_', '.', '-' only").default("celeriac"),
  /**
   * How Redis keys are grouped into Cluster slots. "per-queue": each queue's keys under a hash tag of their
   * own (`{prefix:queue}`), so a Cluster spreads the queues over its masters, and the app-wide keys
   * (revocations, heartbeats, leases, rate limits) under `{prefix}`. "one-slot": every key under `{prefix}`,
   * the layout of celeriac 0.2 — for an app upgraded with jobs still queued, until `celeriac migrate-redis-keys`
   * has moved them. On a single server both work alike. @defaultValue "per-queue"
   */
  redisKeyLayout: z.enum(["per-queue", "one-slot"]).default("per-queue"),
  /**
   * Redis replication is asynchronous: a master that dies can take acknowledged sends with it. With N > 0,
   * every send waits (Redis WAIT) until N replicas have it, and fails — to be sent again by the durable
   * outbox, or reported to the caller — when they do not within redisWaitTimeoutMs. 0 does not wait.
   * @defaultValue 0
   */
  redisWaitReplicas: z.number().int().min(0).max(16).default(0),
  /** How long a send waits for redisWaitReplicas replicas, in ms. @defaultValue 1000 */
  redisWaitTimeoutMs: z.number().int().positive().default(1000),
  /**
   * Where the task modules live (Celery's autodiscover_tasks): every module below it is imported by
   * `celeriac worker` and `celeriac beat`. Relative to the working directory. @defaultValue "tasks"
   */
  tasksDir: z.string().min(1).default("tasks"),
  /** Celery: task_default_queue. @defaultValue "default" */
  defaultQueue: queueName.default("default"),
  /** Celery: task_always_eager. `.delay()` runs the task inline and returns a settled result. @defaultValue false */
  alwaysEager: z.boolean().default(false),
  /**
   * What `.delay()` does inside an open transaction(): "defer" sends it after the commit (and never after
   * a rollback), "warn" sends it at once and logs a warning, "allow" sends it at once.
   * @defaultValue "defer"
   */
  dispatchInTransaction: z.enum(["defer", "warn", "allow"]).default("defer"),
  /**
   * Celery: task_routes. Task name or glob (`*` matches anything) → queue. A call's `queue` option and the
   * task's own `queue` come first; then the first matching route; then defaultQueue. @defaultValue {}
   */
  taskRoutes: z.record(z.string(), queueName).default({}),
  /** Celery: task_annotations. Task name or glob → option overrides; exact names win over globs. @defaultValue {} */
  taskAnnotations: z.record(z.string(), annotation).default({}),
  /** Celery: task_ignore_result. No TaskResult rows for tasks that do not say otherwise. @defaultValue false */
  taskIgnoreResult: z.boolean().default(false),
  /**
   * Celery: task_track_started. Workers record STARTED when they take a task. Celery's default is false;
   * celeriac's is true, so a result shows that its task is running. false saves one result write per task.
   * @defaultValue true
   */
  taskTrackStarted: z.boolean().default(true),
  /** Celery: task_time_limit, in seconds, for tasks without their own. @defaultValue none */
  taskTimeLimit: nonNegativeSeconds.optional(),
  /** Celery: task_soft_time_limit, in seconds, for tasks without their own. @defaultValue none */
  taskSoftTimeLimit: nonNegativeSeconds.optional(),
  /** Celery: result_expires, in seconds: cleanupResults() deletes finished rows older than this; 0 keeps them. @defaultValue 86400 */
  resultExpires: nonNegativeSeconds.default(86_400),
  /**
   * How long a worker's hold on a running task lasts without renewal, in ms (BullMQ lockDuration). The
   * worker renews it while the task runs; if the worker dies, the task is delivered again after between
   * 1 and 2 times this (stalled jobs are checked every half lock time).
   * @defaultValue 30000
   */
  workerLockMs: z.number().int().min(1000).default(30_000),
  /** Largest serialized argument list `.delay()` accepts, in bytes. @defaultValue 262144 (256 KiB) */
  maxPayloadBytes: z.number().int().positive().default(DEFAULT_MAX_PAYLOAD_BYTES),
  /**
   * AsyncResult.get() wakes when a worker announces (Redis pub/sub) that the row was written, and reads
   * the store anyway this often, in ms, in case an announcement was lost. @defaultValue 1000
   */
  resultPollIntervalMs: z.number().int().positive().default(1000),
  /**
   * Celery: worker_concurrency. Tasks run at once per queue by one worker. @defaultValue 32 with the async
   * pool (tasks share one event loop, so waiting on I/O costs no process; and each task waits for its
   * result row before its ack, so more at once means bigger group commits: `npm run bench` section 7
   * measured ~200 µs of worker CPU per no-op task at 10, ~150 at 32), the CPU count with the process pool
   * (one child process each, as Celery's prefork).
   */
  concurrency: z.number().int().positive().max(1000).optional(),
  /** How long a stopping worker waits for running tasks before it exits anyway, in ms. @defaultValue 30000 */
  shutdownGraceMs: z.number().int().nonnegative().default(30_000),
  /** Celery: timezone. Crontab schedules without their own zone run in it. @defaultValue "UTC" */
  timezone: timeZone.default("UTC"),
  /**
   * Celery: beat_schedule. Entry name → { task, schedule, args, options }. Beat syncs these into the
   * PeriodicTask table as managed rows; celeriac.backendCleanup is added (daily at 04:00) unless
   * resultExpires is 0 or an entry of that name is given. @defaultValue {}
   */
  beatSchedule: z.record(z.string().min(1).max(200), beatEntry).default({}),
  /**
   * How long the beat leader's lease in Redis lasts without renewal, in ms: when the leader dies, another
   * beat takes over within about this long. @defaultValue 5000
   */
  beatLockMs: z.number().int().min(1000).default(5_000),
  /**
   * Celery: beat_max_loop_interval, in ms: the longest beat sleeps between looks at the schedule, so a
   * periodic task created, edited or disabled in the database takes effect within about this long. @defaultValue 1000
   */
  beatMaxLoopIntervalMs: z.number().int().min(10).default(1_000),
  /**
   * A table or column that goes missing while a worker or beat runs (dropped, an old dump restored) is
   * logged at most this often, in ms, with the command that fixes it; meanwhile results and sends wait and
   * are retried. @defaultValue 60000
   */
  schemaReportIntervalMs: z.number().int().min(100).default(60_000),
  /** Celery: worker_loglevel. @defaultValue "info" */
  logLevel: z.enum(LOG_LEVELS).default("info"),
  /** "json": one JSON object per line, for log collectors; "pretty": readable lines. @defaultValue "json" */
  logFormat: z.enum(LOG_FORMATS).default("json"),
});

export type Settings = z.input<typeof settingsSchema>;
export type Annotation = z.output<typeof annotation>;
export type BeatEntry = z.output<typeof beatEntry>;
export type ResolvedConfig = Readonly<z.output<typeof settingsSchema>>;
export type RedisKeyLayout = ResolvedConfig["redisKeyLayout"];

/** Tasks at once with the async pool when neither settings nor `-c` say. */
export const ASYNC_CONCURRENCY = 32;

/** settings.concurrency, or the pool's default (see the setting). */
export function concurrencyFor(config: Pick<ResolvedConfig, "concurrency">, pool: "async" | "process"): number {
  return config.concurrency ?? (pool === "process" ? availableParallelism() : ASYNC_CONCURRENCY);
}

export function resolveConfig(settings: Settings = {}): ResolvedConfig {
  const parsed = settingsSchema.safeParse(settings);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(settings)"}: ${i.message}`);
    throw new ConfigError(`invalid celeriac settings:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}

export { queueName as queueNameSchema };
