/**
 * This app's celeriac (Django's proj/celery.py): settings from the environment, the Prisma client for
 * results, and the mailer tasks send through. Tasks, route handlers and worker.ts import `task`,
 * `AsyncResult`, `celeriac` and `mailer` from here.
 */
import { createCeleriac, createMailer, crontab, type Settings } from "celeriac";
import { db } from "./db";
import { env } from "./env";
import { shippedMigrations } from "./migrations";
import { MIGRATE_COMMAND } from "./schema-gate";

export const celeriac = createCeleriac({
  appName: "celeriac-demo",
  prisma: db,
  databaseUrl: env.DATABASE_URL,
  // The worker, beat and the CLI refuse a database that lacks one of these (npm run db:deploy applies them).
  migrations: () => shippedMigrations(env.DATABASE_URL),
  migrateCommand: MIGRATE_COMMAND,
  redisUrl: env.REDIS_URL,
  keyPrefix: env.CELERIAC_KEY_PREFIX,
  redisKeyLayout: env.CELERIAC_REDIS_KEY_LAYOUT,
  redisWaitReplicas: env.CELERIAC_REDIS_WAIT_REPLICAS,
  alwaysEager: env.CELERIAC_ALWAYS_EAGER,
  logLevel: env.CELERIAC_LOG_LEVEL,
  logFormat: env.CELERIAC_LOG_FORMAT,
  concurrency: env.CELERIAC_CONCURRENCY,
  taskAnnotations: env.CELERIAC_TASK_ANNOTATIONS as Settings["taskAnnotations"],
  timezone: env.CELERIAC_TIMEZONE,
  // Celery's beat_schedule (seed 002): synced into the PeriodicTask table by `npm run beat`; the admin
  // (/admin/periodic-tasks) shows these as "settings" rows and adds its own.
  beatSchedule: {
    "add-every-30-seconds": { task: "demo.add", schedule: 30, args: [16, 16] },
    "expand-pending-articles-nightly": {
      task: "articles.expandPending",
      schedule: crontab({ minute: 30, hour: 3 }),
      description: "Expands the abbreviations of articles a missed dispatch left unexpanded.",
    },
    // Seed 001's exercise 5.1: crontab(hour=8, minute=0), in CELERIAC_TIMEZONE like every crontab here.
    "send-daily-email": {
      task: "emails.sendDailyDigest",
      schedule: crontab({ hour: 8, minute: 0 }),
      description: "Mails the day's new articles to every user who turned the daily digest on.",
    },
  },
});

export const task = celeriac.task;
export const AsyncResult = celeriac.AsyncResult;
export const transaction = celeriac.transaction;
export const onCommit = celeriac.onCommit;

/** Outgoing mail (Django's EMAIL_* settings): the development inbox unless EMAIL_URL names another server. */
export const mailer = createMailer({ url: env.EMAIL_URL, from: env.EMAIL_FROM });
