/**
 * celeriac's public API: what app/, tasks/ and the app's lib/celery.ts import. The process mains (runWorker,
 * runBeat, runInspectCli, the process pool) are in `celeriac/cli`.
 */
export { createCeleriac, type Celeriac, type CeleriacOptions, type CeleriacPrisma, type TxOf } from "./app.js";
export type { TransactionOptions } from "./transaction/transaction.js";
export type { Settings, ResolvedConfig } from "./config.js";
export { DEFAULT_MAX_PAYLOAD_BYTES } from "./config.js";
export { parseRate, RATE_PATTERN, type Rate } from "./task/rate.js";
export type { Task, ApplyOptions } from "./dispatch/apply.js";
export type { TaskOptions, ResultOf, ArgsSchema } from "./task/define.js";
export type { TaskContext } from "./task/context.js";
export { AsyncResult, type GetOptions, type ReadScope } from "./results/async-result.js";
export { chain, group, chord, Chain, Group, Chord, type WorkflowOptions } from "./canvas/workflow.js";
export { GroupResult } from "./canvas/group-result.js";
export type { Signature, StepOptions, NoInput } from "./canvas/signature.js";
export type { TaskRecord } from "./results/backend.js";
export { TaskQueries, SCAN_ROWS, RETRY_SCAN_ROWS, type FacetColumn, type OutcomeCounts, type RetriableTask, type TaskDetailItem, type TaskFilter, type TaskListItem } from "./results/queries.js";
export { AuditLog, type AuditRecord } from "./results/audit.js";
export * from "./states.js";
export * from "./errors.js";
export { discoverTasks } from "./task/discover.js";
export { EX_CONFIG, checkDatabaseOnce, exitOnStartupError, isStartupError } from "./startup.js";
export type { SchemaMonitor } from "./results/schema-monitor.js";
export type { SchemaStatus } from "./results/schema-check.js";
export { createMailer, describeMailUrl, type Mailer, type MailerOptions, type MailMessage, type SentMail } from "./mail/transport.js";
export { MailError, MailTransientError, MailRejectedError, classifyMailError, type MailFailure } from "./mail/errors.js";
export { deliverMail } from "./mail/send-mail.js";
export { every, crontab, cron, clocked, isDue, nextRun, describeSchedule, type Schedule, type CatchUp } from "./beat/schedule.js";
export type { RunningBeat } from "./beat/beat.js";
export type { BeatSend } from "./beat/scheduler.js";
export { nextRunOf, scheduleSummary, sourceOf, type Source } from "./beat/entry.js";
export { PeriodicTaskStore, periodicTaskInputSchema, scheduleFromSpec, type PeriodicTaskInput, type PeriodicTaskView, type ScheduleSpec } from "./beat/store.js";
export { safeText } from "./safe-text.js";
export { textProblem } from "./text.js";
export { MAX_JSON_NESTING, nestedDeeperThan } from "./json.js";
export { MAX_PRISMA_INT } from "./prisma-int.js";
export { VERSION } from "./version.js";
export { createRedisConnection, type RedisConnection } from "./broker/redis-connection.js";
