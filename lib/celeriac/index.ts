/**
 * celeriac's public API: the only import path for app/, tasks/, worker.ts and the app's lib/celery.ts.
 */
export { createCeleriac, type Celeriac, type CeleriacOptions, type CeleriacPrisma, type TxOf } from "./app";
export type { TransactionOptions } from "./transaction/transaction";
export type { Settings, ResolvedConfig, LogLevel } from "./config";
export type { Task, ApplyOptions } from "./dispatch/apply";
export type { TaskOptions, ResultOf, ArgsSchema } from "./task/define";
export type { TaskContext } from "./task/context";
export { AsyncResult, type GetOptions, type ReadScope } from "./results/async-result";
export type { TaskRecord } from "./results/backend";
export { States, READY_STATES, UNREADY_STATES, EXCEPTION_STATES, isTaskState, type TaskState } from "./states";
export * from "./errors";
export { runWorker, parseWorkerArgs, WORKER_USAGE } from "./worker/cli";
export { EX_CONFIG, checkDatabaseOnce, exitOnStartupError, isStartupError } from "./startup";
export type { SchemaMonitor } from "./results/schema-monitor";
export type { SchemaStatus } from "./results/schema-check";
export { createMailer, describeMailUrl, type Mailer, type MailerOptions, type MailMessage, type SentMail } from "./mail/transport";
export { MailError, MailTransientError, MailRejectedError, classifyMailError, type MailFailure } from "./mail/errors";
export { deliverMail } from "./mail/send-mail";
export { runInspectCli } from "./inspect/cli";
export { every, crontab, cron, clocked, isDue, nextRun, describeSchedule, type Schedule, type CatchUp } from "./beat/schedule";
export { runBeat, parseBeatArgs, BEAT_USAGE } from "./beat/cli";
export type { RunningBeat } from "./beat/beat";
export type { BeatSend } from "./beat/scheduler";
export { nextRunOf, scheduleSummary, sourceOf, type Source } from "./beat/entry";
export { PeriodicTaskStore, periodicTaskInputSchema, scheduleFromSpec, type PeriodicTaskInput, type PeriodicTaskView, type ScheduleSpec } from "./beat/store";
export { safeText, textProblem } from "./text";
export { MAX_JSON_NESTING, nestedDeeperThan } from "./json";
export { MAX_PRISMA_INT } from "./prisma-int";
export { VERSION } from "./version";
