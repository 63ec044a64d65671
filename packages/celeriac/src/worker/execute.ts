/**
 * Running one task message, as a named pipeline of small steps (Oban's Executor):
 *
 *   resolveTask → checkExpired → checkRevoked → reserveRate → recordStarted → validateArgs
 *     → runWithLimits → settle (SUCCESS | RETRY | FAILURE | REVOKED) → recordFinished → signals
 *
 * Each step either passes on or ends the run with an outcome. Nothing a task does (throwing a non-Error,
 * returning a Date, never being registered, running past its time limit) escapes as an exception: it
 * becomes a FAILURE or RETRY row. The STARTED write is not waited for (the result writer may merge it
 * into the outcome's); the outcome's is, so the broker acknowledges the job only once its row is durable.
 * The writer retries failed writes until they succeed or the worker stops: an outage delays results but
 * loses none.
 */
import type { ResolvedConfig } from "../config.js";
import { InvalidArgumentsError, NotJsonError, NotRegisteredError, Retry, TaskRevokedError, toErrorInfo } from "../errors.js";
import { jsonProblem } from "../json.js";
import type { Logger } from "../log.js";
import type { HandlerResult, Outcome, TaskMessage } from "../message.js";
import type { FinishedRun, ResultBackend, StartedRun } from "../results/backend.js";
import type { Signals } from "../signals.js";
import type { TaskContext } from "../task/context.js";
import { runInsideTask } from "../task/running.js";
import type { AnyTaskDefinition } from "../task/define.js";
import { effectiveOptions, type EffectiveOptions } from "../task/options.js";
import { parseArgs } from "../task/validate.js";
import { runWithLimits } from "./limits.js";
import { ProgressReporter } from "./progress-reporter.js";
import type { ContinueWorkflow } from "../canvas/continue.js";
import { settleError } from "./retry.js";

export interface ExecuteDeps {
  /** Finds a task by name; undefined when it is not registered. */
  lookup: (name: string) => AnyTaskDefinition | undefined;
  backend: ResultBackend;
  config: ResolvedConfig;
  signals: Signals;
  /** `celeriac@<host>`: recorded with each result. */
  hostname: string;
  log: Logger;
  /** Aborted when the worker gives up on running tasks; passed on as ctx.signal. */
  signal?: AbortSignal;
  /** True when the task id was revoked before it started. */
  isRevoked?: (taskId: string) => boolean | Promise<boolean>;
  /** Takes a slot of a rate limit shared by all workers; resolves 0, or the ms until the slot it reserved. */
  reserveRate?: (task: string, rate: string) => Promise<number>;
  /**
   * Wait for the STARTED row before running (process-pool children: a task that blocks the event loop
   * would otherwise hold its STARTED write back until it ends). @defaultValue false
   */
  waitForStarted?: boolean;
  /** Runs in progress, by task id: aborting one abandons it as REVOKED (revoke with terminate). */
  running?: Map<string, AbortController>;
  /** Sends what follows a workflow's message once its row is durable (canvas/continue.ts). */
  continueWorkflow?: ContinueWorkflow;
}

const failure = (error: unknown): Outcome => ({ status: "FAILURE", error: toErrorInfo(error) });

function checkExpired(message: TaskMessage, now: number): Outcome | undefined {
  if (message.expires === undefined || now <= message.expires) return undefined;
  return { status: "REVOKED", reason: `expired at ${new Date(message.expires).toISOString()} before it started` };
}

async function checkRevoked(deps: ExecuteDeps, message: TaskMessage): Promise<Outcome | undefined> {
  if (!(await deps.isRevoked?.(message.id))) return undefined;
  return { status: "REVOKED", reason: "revoked before it started" };
}

function contextFor(deps: ExecuteDeps, message: TaskMessage, log: () => Logger, signal: AbortSignal, progress: ProgressReporter): TaskContext {
  return {
    id: message.id,
    name: message.task,
    queue: message.queue,
    retries: message.retries,
    hostname: deps.hostname,
    signal,
    get log() {
      return log();
    },
    retry: ({ countdown, error } = {}) => {
      throw new Retry(countdown === undefined ? undefined : countdown * 1000, error);
    },
    progress: (value) => progress.report(value),
  };
}

/** The run's progress reporter: its writes go to the result store unless the task keeps no result. */
function progressFor(deps: ExecuteDeps, options: EffectiveOptions, run: StartedRun, log: () => Logger): ProgressReporter {
  if (options.ignoreResult) return new ProgressReporter(() => undefined);
  return new ProgressReporter((value) => {
    deps.backend.progress(run, value).catch((error: unknown) => log().debug({ err: error }, "a progress write was given up (the worker is stopping)"));
  });
}

async function runTask(deps: ExecuteDeps, task: AnyTaskDefinition, options: EffectiveOptions, started: StartedRun, log: () => Logger): Promise<Outcome> {
  const { message } = started;
  const parsed = parseArgs(task, message.args);
  if (!parsed.ok) return failure(new InvalidArgumentsError(parsed.message));
  deps.signals.emit("taskPrerun", { taskId: message.id, task: task.name, args: message.args });
  const cancel = new AbortController();
  deps.running?.set(message.id, cancel);
  const progress = progressFor(deps, options, started, log);
  const inside = { id: message.id, name: task.name };
  const run = await runWithLimits((signal) => runInsideTask(inside, () => task.run(contextFor(deps, message, log, signal, progress), ...parsed.args)), {
    softTimeLimitMs: options.softTimeLimitMs,
    timeLimitMs: options.timeLimitMs,
    parent: deps.signal,
    cancel: cancel.signal,
  }).finally(() => {
    progress.end(); // before the outcome is handed to the writer: no progress is written after it
    deps.running?.delete(message.id);
  });
  if (!run.ok && run.thrown instanceof TaskRevokedError) return { status: "REVOKED", reason: "terminated while running" };
  if (!run.ok) return settleError(run.thrown, options, message.retries);
  const problem = jsonProblem(run.value);
  if (problem) return failure(new NotJsonError(`${problem}; a task must return a JSON value`));
  return { status: "SUCCESS", result: run.value ?? null };
}

/** Signals of the outcome; a payload is built only for a signal someone listens to (most runs: none). */
function emitOutcome(deps: ExecuteDeps, message: TaskMessage, outcome: Outcome, runtimeMs: number): void {
  const { signals } = deps;
  const base = { taskId: message.id, task: message.task };
  if (signals.has("taskPostrun")) signals.emit("taskPostrun", { ...base, args: message.args, state: outcome.status, runtimeMs });
  if (outcome.status === "SUCCESS" && signals.has("taskSuccess")) signals.emit("taskSuccess", { ...base, result: outcome.result });
  else if (outcome.status === "FAILURE") signals.emit("taskFailure", { ...base, error: outcome.error });
  else if (outcome.status === "RETRY") {
    signals.emit("taskRetry", { ...base, error: outcome.error, retries: message.retries + 1, countdownMs: outcome.countdownMs });
  }
}

export async function executeMessage(deps: ExecuteDeps, message: TaskMessage): Promise<HandlerResult> {
  const startedAt = new Date();
  // The task's logger is made when something logs: most runs of short tasks log nothing (success is debug).
  let taskLog: Logger | undefined;
  const log = () => (taskLog ??= deps.log.child({ taskId: message.id, task: message.task }));
  const run: StartedRun = { message, worker: deps.hostname, startedAt };
  const task = deps.lookup(message.task);
  const options = task && effectiveOptions(task, deps.config);
  const record = !options?.ignoreResult;

  let outcome: Outcome | undefined = task ? checkExpired(message, startedAt.getTime()) : failure(new NotRegisteredError(message.task));
  outcome ??= await checkRevoked(deps, message);
  if (!outcome && options!.rateLimit && deps.reserveRate && !message.rateReserved) {
    const delayMs = await deps.reserveRate(task!.name, options!.rateLimit);
    if (delayMs > 0) return { status: "DEFERRED", delayMs };
  }
  if (!outcome) {
    if (record && options!.trackStarted) {
      const started = deps.backend.started(run);
      if (deps.waitForStarted) await started;
      else started.catch((error: unknown) => log().debug({ err: error }, "the STARTED write was given up (the worker is stopping)"));
    }
    outcome = await runTask(deps, task!, options!, run, log);
  }
  const doneAt = new Date();
  const finished: FinishedRun = { ...run, outcome, doneAt };
  if (record) await deps.backend.finished(finished);
  // Before the ack: a crash here runs the task again, and its continuation (sent once: by its outbox id).
  if (message.workflow) await deps.continueWorkflow?.(message, outcome);
  const runtimeMs = doneAt.getTime() - startedAt.getTime();
  if (task) emitOutcome(deps, message, outcome, runtimeMs);
  if (outcome.status !== "SUCCESS" || deps.log.isLevelEnabled("debug")) logOutcome(log(), outcome, runtimeMs);
  return outcome;
}

/**
 * A success is a debug line (`--loglevel debug` shows it; `npm run dev` does): at info, one synchronous
 * stdout write per task was 3–4 % of a no-op task's CPU. What went wrong is always logged.
 */
function logOutcome(log: Logger, outcome: Outcome, runtimeMs: number): void {
  if (outcome.status === "SUCCESS") log.debug({ runtimeMs }, "task succeeded");
  else if (outcome.status === "REVOKED") log.warn({ reason: outcome.reason }, "task revoked");
  else if (outcome.status === "RETRY") log.warn({ runtimeMs, error: outcome.error, countdownMs: outcome.countdownMs }, `task will retry: ${outcome.error.message}`);
  else log.error({ runtimeMs, error: outcome.error }, `task failed: ${outcome.error.type}: ${outcome.error.message}`);
}
