/**
 * Running one task message, as a named pipeline of small steps (Oban's Executor):
 *
 *   resolveTask → checkExpired → recordStarted → validateArgs → runTask → checkResult → recordFinished
 *
 * Each step either passes on or ends the run with an Outcome. Nothing a task does (throwing a non-Error,
 * returning a Date, never being registered) escapes as an exception: it becomes a FAILURE row. Only a
 * failure of the result store itself propagates, so the broker redelivers the message.
 */
import { InvalidArgumentsError, NotRegisteredError, toErrorInfo } from "../errors";
import { jsonProblem } from "../json";
import type { Logger } from "../log";
import type { Outcome, TaskMessage } from "../message";
import type { ResultBackend } from "../results/backend";
import type { AnyTaskDefinition } from "../task/define";
import type { TaskContext } from "../task/context";
import { parseArgs } from "../task/validate";

export interface ExecuteDeps {
  /** Finds a task by name; undefined when it is not registered. */
  lookup: (name: string) => AnyTaskDefinition | undefined;
  backend: ResultBackend;
  /** `celeriac@<host>`: recorded with each result. */
  hostname: string;
  log: Logger;
  /** Aborted when the worker gives up on running tasks; passed on as ctx.signal. */
  signal?: AbortSignal;
}

function failure(error: unknown): Outcome {
  return { status: "FAILURE", error: toErrorInfo(error) };
}

function checkExpired(message: TaskMessage, now: number): Outcome | undefined {
  if (message.expires === undefined || now <= message.expires) return undefined;
  return { status: "REVOKED", reason: `expired at ${new Date(message.expires).toISOString()} before it started` };
}

async function runTask(task: AnyTaskDefinition, ctx: TaskContext, args: readonly unknown[]): Promise<Outcome> {
  let result: unknown;
  try {
    result = await task.run(ctx, ...args);
  } catch (error) {
    return failure(error);
  }
  return checkResult(result);
}

function checkResult(result: unknown): Outcome {
  const problem = jsonProblem(result);
  if (!problem) return { status: "SUCCESS", result: result ?? null };
  return { status: "FAILURE", error: { type: "NotJsonError", message: `${problem}; a task must return a JSON value` } };
}

function makeContext(deps: ExecuteDeps, message: TaskMessage, log: Logger): TaskContext {
  return {
    id: message.id,
    name: message.task,
    queue: message.queue,
    retries: message.retries,
    hostname: deps.hostname,
    signal: deps.signal ?? new AbortController().signal,
    log,
  };
}

export async function executeMessage(deps: ExecuteDeps, message: TaskMessage): Promise<Outcome> {
  const startedAt = new Date();
  const log = deps.log.child({ taskId: message.id, task: message.task });
  const run = { message, worker: deps.hostname, startedAt };
  const task = deps.lookup(message.task);
  const record = !task?.ignoreResult;

  let outcome: Outcome | undefined = task ? checkExpired(message, startedAt.getTime()) : failure(new NotRegisteredError(message.task));
  if (!outcome) {
    if (record) await deps.backend.started(run);
    const parsed = parseArgs(task!, message.args);
    outcome = parsed.ok
      ? await runTask(task!, makeContext(deps, message, log), parsed.args)
      : failure(new InvalidArgumentsError(parsed.message));
  }
  const doneAt = new Date();
  if (record) await deps.backend.finished({ ...run, outcome, doneAt });
  logOutcome(log, outcome, doneAt.getTime() - startedAt.getTime());
  return outcome;
}

function logOutcome(log: Logger, outcome: Outcome, runtimeMs: number): void {
  if (outcome.status === "SUCCESS") log.info({ runtimeMs }, "task succeeded");
  else if (outcome.status === "REVOKED") log.warn({ reason: outcome.reason }, "task revoked");
  else log.error({ runtimeMs, error: outcome.error }, `task failed: ${outcome.error.type}: ${outcome.error.message}`);
}
