/**
 * `.delay()` and `.applyAsync()`: validate the arguments (schema, then JSON-ness and size), pick the
 * queue, give the task an id and its owner, and publish it. Nothing is enqueued when any check fails;
 * the error says which argument or option is wrong. Queue precedence: the call's `queue`, the task's
 * `queue`, the first matching taskRoutes entry, defaultQueue. Owner: the call's `owner`, else the task's
 * `owner(...args)`, else none.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { PublishOptions, TaskTransport } from "../broker/broker.js";
import { queueNameSchema, type ResolvedConfig } from "../config.js";
import { DispatchError, InvalidArgumentsError } from "../errors.js";
import { assertJsonArgs } from "../json.js";
import type { TaskMessage } from "../message.js";
import { AsyncResult, recordFromOutcome, type ResultSource } from "../results/async-result.js";
import type { Logger } from "../log.js";
import type { TaskRecord } from "../results/backend.js";
import { currentScope } from "../transaction/scope.js";
import { MAX_PRIORITY, type ArgsIn, type ArgsSchema, type TaskDefinition } from "../task/define.js";
import { routeFor } from "../task/options.js";
import { parseArgs } from "../task/validate.js";
import { taskIdProblem } from "../task/id.js";
import type { GroupRows } from "../store/store.js";
import { Signature, type Head, type NoInput, type Tail } from "../canvas/signature.js";
import type { Dispatcher, Prepared } from "./dispatcher.js";

const instant = z.union([z.date(), z.iso.datetime({ offset: true }), z.number().finite()]);

/**
 * The largest `expires` in seconds (about 3,170 years). A number is always seconds from now (Celery's
 * `expires=60`); one this large is a timestamp passed by mistake (Date.now() + …), refused rather than read
 * as an instant as before 0.2.0.
 */
const MAX_EXPIRES_SECONDS = 1e11;

/** A result's owner: an opaque principal of the app's ("user:42"), printable and short enough to index. */
const ownerSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces, e.g. \"user:42\"");

const applyOptionsSchema = z
  .object({
    /** Seconds to wait before the task may run (Celery: countdown). */
    countdown: z.number().finite().nonnegative().optional(),
    /** The earliest time the task may run (Celery: eta): a Date, an ISO string or ms since the epoch. */
    eta: instant.optional(),
    /**
     * After this the task must not start; it is then REVOKED (Celery: expires). A number is seconds from
     * now; an instant is a Date or an ISO string (a timestamp number is refused: pass new Date(ms)).
     */
    expires: z
      .union([
        z.number().finite().positive().max(MAX_EXPIRES_SECONDS, "a number is seconds from now; for an instant pass a Date or an ISO string"),
        z.date(),
        z.iso.datetime({ offset: true }),
      ])
      .optional(),
    /** Send to this queue instead of the task's own. */
    queue: queueNameSchema.optional(),
    /** BullMQ priority, 1 (most urgent) … 2^21. */
    priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
    /** Use this id instead of a new UUID (Celery: task_id); a second send of one id is ignored by BullMQ. */
    taskId: z
      .string()
      .superRefine((id, ctx) => {
        const problem = taskIdProblem(id);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    /**
     * Who may read the result (stored in the TaskResult row's `owner`; the app decides what it means).
     * A dispatch with an owner writes its PENDING row before it resolves, so the owner can read it at once.
     * @defaultValue the task's `owner(...args)`, else none
     */
    owner: ownerSchema.optional(),
  })
  .strict()
  .refine((o) => o.countdown === undefined || o.eta === undefined, "give countdown or eta, not both");

export type ApplyOptions = z.input<typeof applyOptionsSchema>;

export interface Task<S extends ArgsSchema = ArgsSchema, R = unknown> extends TaskDefinition<S, R> {
  /**
   * Enqueues the task with these arguments (Celery: delay). Resolves once the broker has it; inside a
   * transaction() it is deferred to the commit (see dispatchInTransaction) and resolves at once.
   */
  delay(...args: ArgsIn<S>): Promise<AsyncResult<Awaited<R>>>;
  /** Enqueues the task with options (Celery: apply_async). */
  applyAsync(args: ArgsIn<S>, options?: ApplyOptions): Promise<AsyncResult<Awaited<R>>>;
  /**
   * Enqueues the task when the current transaction commits, never after a rollback (Celery 5.4:
   * delay_on_commit); outside a transaction, at once. Returns the task id synchronously. Arguments are
   * checked now: a bad call throws here, inside the transaction.
   */
  delayOnCommit(...args: ArgsIn<S>): string;
  /** applyAsync on commit (Celery 5.4: apply_async_on_commit); returns the task id synchronously. */
  applyAsyncOnCommit(args: ArgsIn<S>, options?: ApplyOptions): string;
  /**
   * A signature for a workflow (Celery: `task.s()`): with every argument, a step that takes no input (a
   * chain's first step, a group's member); with all but the first, the previous step's result is the first.
   */
  s(...args: ArgsIn<S>): Signature<NoInput, Awaited<R>>;
  s(...args: Tail<ArgsIn<S>>): Signature<Head<ArgsIn<S>>, Awaited<R>>;
  /** An immutable signature (Celery: `task.si()`): every argument given, the previous result not passed. */
  si(...args: ArgsIn<S>): Signature<unknown, Awaited<R>>;
  /** How this task's messages are sent (for canvas/). */
  readonly dispatcher: Dispatcher;
}

export interface DispatchDeps {
  config: ResolvedConfig;
  broker: TaskTransport;
  results: ResultSource;
  log: Logger;
  /** The TaskGroup table: a group's or chord's row is written before its members are sent. */
  groups: GroupRows;
}

function toMs(value: z.output<typeof instant>): number {
  return value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
}

export function parseOptions(task: TaskDefinition, options: ApplyOptions | undefined) {
  const parsed = applyOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
    throw new DispatchError(`invalid applyAsync options for task '${task.name}': ${issues}`);
  }
  return parsed.data;
}


/** The owner the task derives from its arguments, checked like a call's `owner` option. */
export function ownerOf(task: TaskDefinition, args: readonly unknown[]): string | undefined {
  const owner = task.owner?.(...args);
  if (owner === undefined) return undefined;
  const checked = ownerSchema.safeParse(owner);
  if (!checked.success) throw new DispatchError(`task '${task.name}': its owner() returned an invalid owner: ${checked.error.issues[0].message}`);
  return checked.data;
}

/** Builds the message and broker options of one call; throws DispatchError, nothing is sent. */
export function prepare(task: TaskDefinition, args: readonly unknown[], options: ApplyOptions | undefined, config: ResolvedConfig): Prepared {
  const opts = parseOptions(task, options);
  if (!Array.isArray(args)) throw new InvalidArgumentsError(`task '${task.name}': applyAsync takes an array of arguments`);
  assertJsonArgs(args, config.maxPayloadBytes);
  const parsed = parseArgs(task, args);
  if (!parsed.ok) throw new InvalidArgumentsError(parsed.message);
  const owner = opts.owner ?? ownerOf(task, parsed.args);
  const now = Date.now();
  const runAt = opts.eta !== undefined ? toMs(opts.eta) : now + (opts.countdown ?? 0) * 1000;
  const expires = opts.expires === undefined ? undefined : typeof opts.expires === "number" ? now + opts.expires * 1000 : toMs(opts.expires);
  const message: TaskMessage = {
    id: opts.taskId ?? randomUUID(),
    task: task.name,
    args: [...args],
    queue: opts.queue ?? task.queue ?? routeFor(task.name, config),
    sentAt: now,
    retries: 0,
  };
  if (expires !== undefined) message.expires = expires;
  if (owner !== undefined) message.owner = owner;
  return { message, publish: { delayMs: Math.max(0, runAt - now), priority: opts.priority ?? task.priority } };
}

/** Gives a task definition its dispatch methods, bound to one app's broker and result store. */
export function bindTask<S extends ArgsSchema, R>(definition: TaskDefinition<S, R>, deps: DispatchDeps): Task<S, R> {
  type Result = AsyncResult<Awaited<R>>;
  const task = definition as TaskDefinition;
  const handle = (id: string, settled?: TaskRecord): Result => new AsyncResult(id, deps.results, settled);

  // An owned dispatch records its PENDING row (and its workflow's later steps') once the broker has it (a
  // failed send leaves no row behind): the owner reads it as soon as this resolves, while a worker's row,
  // written first, still wins.
  const publishNow = async ({ message, publish, laterSteps = [] }: Prepared): Promise<Result> => {
    const outcome = await deps.broker.publish(message, publish);
    if (outcome) return handle(message.id, recordFromOutcome(message, outcome));
    if (message.owner !== undefined) {
      const rows = task.ignoreResult ? laterSteps : [message, ...laterSteps];
      await Promise.all(rows.map((row) => deps.results.backend.pending(row)));
    }
    return handle(message.id);
  };

  const send = async (prepared: Prepared): Promise<Result> => {
    const scope = currentScope();
    if (scope && deps.config.dispatchInTransaction === "defer") {
      scope.defer({ ...prepared, recordPending: !task.ignoreResult });
      return handle(prepared.message.id);
    }
    if (scope && deps.config.dispatchInTransaction === "warn") {
      deps.log.warn(
        { task: task.name, taskId: prepared.message.id },
        "task sent inside an open transaction: a worker may start before the commit, or run after a rollback; use delayOnCommit",
      );
    }
    return publishNow(prepared);
  };
  // async: a refused call (invalid arguments) is a rejected promise, as before, never a throw from delay().
  const applyAsync = async (args: ArgsIn<S>, options?: ApplyOptions): Promise<Result> => send(prepare(task, args, options, deps.config));

  const sendOnCommit = (prepared: Prepared): void => {
    const scope = currentScope();
    if (scope) scope.defer({ ...prepared, recordPending: !task.ignoreResult });
    else
      publishNow(prepared).catch((error: unknown) =>
        deps.log.error({ err: error, task: task.name, taskId: prepared.message.id }, "delayOnCommit outside a transaction could not enqueue"),
      );
  };
  const applyAsyncOnCommit = (args: ArgsIn<S>, options?: ApplyOptions): string => {
    const prepared = prepare(task, args, options, deps.config);
    sendOnCommit(prepared);
    return prepared.message.id;
  };

  const dispatcher: Dispatcher = { task, deps, send, sendOnCommit, handle: (id) => handle(id) };
  // Arguments that are a whole call by themselves make a step that can run alone; otherwise the previous
  // step's result goes first. The same question the types ask (s's first overload: the whole tuple), so a
  // defaulted last argument does not make `store.s(url, null)` (info first) look complete.
  const s = (...args: readonly unknown[]) => new Signature(dispatcher, args, false, parseArgs(task, args).ok);
  const si = (...args: readonly unknown[]) => new Signature(dispatcher, args, true, true);

  return Object.freeze({
    ...definition,
    dispatcher,
    s: s as Task<S, R>["s"],
    si: si as Task<S, R>["si"],
    applyAsync,
    delay: (...args: ArgsIn<S>) => applyAsync(args),
    applyAsyncOnCommit,
    delayOnCommit: (...args: ArgsIn<S>) => applyAsyncOnCommit(args),
  });
}
