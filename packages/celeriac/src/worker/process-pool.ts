/**
 * The process pool (`--pool process`, Celery's prefork): `size` child processes, each running one task at
 * a time (worker/child.ts). For CPU-bound work, and for limits JavaScript cannot enforce in-process:
 * - hard time limit: a child still busy `timeLimit` + a grace second after it started (its own timer could
 *   not fire: a blocked event loop) is killed, the task recorded FAILURE TimeLimitExceeded, a child respawned;
 * - revoke with terminate: the child running the task is killed, the task recorded REVOKED;
 * - maxTasksPerChild: a child is retired after that many tasks and replaced (leaks stay bounded);
 * - a child that dies mid-task: FAILURE WorkerLostError (Celery's name).
 */
import { fork, type ChildProcess } from "node:child_process";
import { dirname, extname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ResolvedConfig } from "../config.js";
import { TimeLimitExceeded, toErrorInfo, WorkerLostError } from "../errors.js";
import type { Logger } from "../log.js";
import type { HandlerResult, Outcome, TaskMessage } from "../message.js";
import type { ResultBackend } from "../results/backend.js";
import type { Registry } from "../task/registry.js";
import { effectiveOptions } from "../task/options.js";
import { parseAppRef } from "../cli/app-module.js";

/**
 * The child module when the caller names none: the one next to this module, child.js in the package's
 * dist/ (child.ts when this repository's tests run the sources). Resolved when a pool starts, not at import:
 * bundlers give this module a non-file URL.
 */
function defaultChildEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), `child${extname(here)}`);
}
const TYPESCRIPT = /\.[cm]?tsx?$/;
/**
 * A compiled child loading a compiled app runs in plain node with the parent's flags (e.g.
 * --enable-source-maps). When either is TypeScript (the app's lib/celery.ts), the child inherits the
 * parent's tsx loader, or gets one (a parent not started by tsx).
 */
function childExecArgv(entry: string, appModule: string): string[] {
  if (!TYPESCRIPT.test(entry) && !TYPESCRIPT.test(parseAppRef(appModule).path)) return process.execArgv;
  // tsx resolved from this package (its dependency), not from the app's folder, which may not have it.
  const tsx = createRequire(import.meta.url).resolve("tsx");
  return process.execArgv.some((arg) => arg.includes("tsx")) ? process.execArgv : [...process.execArgv, "--import", pathToFileURL(tsx).href];
}
/** A child that dies before it is ready (the app or a task module fails to load) is not respawned at once. */
const RESPAWN_DELAY_MS = 1000;
/** How long past its time limit a child gets to end the task itself before it is killed. */
const KILL_GRACE_MS = 1000;

export interface ProcessPoolOptions {
  size: number;
  /** The app module, loaded by each child: `path[:export]` (e.g. "lib/celery.ts"), as `celeriac --app`. */
  appModule: string;
  tasksDir: string;
  /**
   * The child module to fork; default: the package's own (worker/child.js next to this module).
   */
  childEntry?: string;
  maxTasksPerChild?: number;
  registry: Registry;
  backend: ResultBackend;
  config: ResolvedConfig;
  hostname: string;
  log: Logger;
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  tasksRun: number;
  current?: { message: TaskMessage; startedAt: Date; finish: (result: HandlerResult) => void; timer?: NodeJS.Timeout };
  /** Set when the pool kills the child on purpose: what to record for its task. */
  killedFor?: Outcome;
  isReady: boolean;
}

export function startProcessPool(options: ProcessPoolOptions) {
  const { log } = options;
  const idle: Slot[] = [];
  const waiting: ((slot: Slot) => void)[] = [];
  const busy = new Map<string, Slot>();
  let closing = false;
  const childEntry = options.childEntry ?? defaultChildEntry();
  const execArgv = childExecArgv(childEntry, options.appModule);

  function spawn(): Slot {
    const child = fork(childEntry, [], {
      env: {
        ...process.env,
        CELERIAC_APP_MODULE: options.appModule,
        CELERIAC_TASKS_DIR: options.tasksDir,
        CELERIAC_HOSTNAME: options.hostname,
      },
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const slot: Slot = {
      child,
      ready: new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject))),
      tasksRun: 0,
      isReady: false,
    };
    slot.ready.catch(() => undefined); // awaited by ready() and run(); an unawaited rejection is not a crash
    child.on("message", (reply: { ready?: true; done?: string; result?: HandlerResult }) => {
      if (reply.ready) {
        slot.isReady = true;
        ready();
      } else if (reply.done && slot.current?.message.id === reply.done) settle(slot, reply.result!);
    });
    child.on("exit", (code, signal) => {
      if (!slot.isReady) failed(new Error(`a process-pool child exited before it was ready (${signal ?? `code ${code}`}); see its error above`));
      onExit(slot, code, signal);
    });
    return slot;
  }

  function release(slot: Slot): void {
    if (closing) return;
    if (options.maxTasksPerChild && slot.tasksRun >= options.maxTasksPerChild) {
      slot.child.send({ exit: true }); // retired: its exit handler spawns the replacement
      return;
    }
    const next = waiting.shift();
    if (next) next(slot);
    else idle.push(slot);
  }

  function settle(slot: Slot, result: HandlerResult): void {
    const current = slot.current!;
    clearTimeout(current.timer);
    busy.delete(current.message.id);
    slot.current = undefined;
    slot.tasksRun++;
    current.finish(result);
    release(slot);
  }

  /** Records how a run ended when its child could not (killed or dead), unless the task keeps no results. */
  async function recordInstead(current: NonNullable<Slot["current"]>, outcome: Outcome): Promise<void> {
    const task = options.registry.get(current.message.task);
    if (task && effectiveOptions(task, options.config).ignoreResult) return;
    await options.backend.finished({ message: current.message, worker: options.hostname, startedAt: current.startedAt, outcome, doneAt: new Date() });
  }

  function onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const index = idle.indexOf(slot);
    if (index >= 0) idle.splice(index, 1);
    const current = slot.current;
    // A child killed by close() after the grace period: its task is left to be delivered again.
    if (current && !closing) {
      clearTimeout(current.timer);
      busy.delete(current.message.id);
      slot.current = undefined;
      const outcome: Outcome = slot.killedFor ?? {
        status: "FAILURE",
        error: toErrorInfo(new WorkerLostError(`the child process running the task exited (${signal ?? `code ${code}`})`)),
      };
      recordInstead(current, outcome)
        .catch((error: unknown) => log.error({ err: error }, "could not record a task whose child process died"))
        .finally(() => current.finish(outcome));
    }
    if (closing) return;
    if (slot.isReady) release(spawn());
    else setTimeout(() => closing || release(spawn()), RESPAWN_DELAY_MS);
  }

  /** Kills the child running `taskId`, recording `outcome` for its task. */
  function kill(slot: Slot, outcome: Outcome): void {
    slot.killedFor = outcome;
    slot.child.kill("SIGKILL");
  }

  for (let i = 0; i < options.size; i++) idle.push(spawn());

  return {
    name: "process" as const,
    /** Waits until every child has loaded the app and its tasks. */
    ready: () => Promise.all(idle.map((slot) => slot.ready)).then(() => undefined),
    async run(message: TaskMessage): Promise<HandlerResult> {
      const slot = idle.shift() ?? (await new Promise<Slot>((resolve) => waiting.push(resolve)));
      await slot.ready;
      return new Promise<HandlerResult>((finish) => {
        slot.current = { message, startedAt: new Date(), finish };
        busy.set(message.id, slot);
        const task = options.registry.get(message.task);
        const limitMs = task && effectiveOptions(task, options.config).timeLimitMs;
        if (limitMs) {
          slot.current.timer = setTimeout(() => {
            log.warn({ taskId: message.id, pid: slot.child.pid }, "hard time limit: killing the child process");
            kill(slot, { status: "FAILURE", error: toErrorInfo(new TimeLimitExceeded(limitMs)) });
          }, limitMs + KILL_GRACE_MS);
        }
        slot.child.send({ run: message });
      });
    },
    /** Revoke with terminate: kills the child running the task, which is recorded REVOKED. */
    terminate(taskId: string): void {
      const slot = busy.get(taskId);
      if (slot) kill(slot, { status: "REVOKED", reason: "terminated while running" });
    },
    /** The task ids running now. */
    running: () => [...busy.keys()],
    /** Idle children exit; busy ones (still running when the grace period ended) are killed. */
    async close(): Promise<void> {
      closing = true;
      const stopping = (slot: Slot, stop: () => void) =>
        new Promise<void>((resolve) => {
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
          slot.child.once("exit", () => resolve());
          stop();
        });
      await Promise.all([
        ...idle.map((slot) => stopping(slot, () => slot.child.send({ exit: true }))),
        ...[...busy.values()].map((slot) => stopping(slot, () => slot.child.kill("SIGKILL"))),
      ]);
    },
  };
}

export type ProcessPool = ReturnType<typeof startProcessPool>;
