/**
 * Which task, if any, the current code runs inside: set by the worker's execution pipeline around a task's
 * run (worker/execute.ts; an eager app and the fake queue run the same pipeline), read by
 * AsyncResult.get()'s guard against waiting on a subtask from inside a task.
 *
 * One store per process, under a global symbol: a process may load this module twice (the package's
 * dist/ for the app's tasks, its sources for a test's worker), and the guard must see the run either set.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface RunningTask {
  id: string;
  name: string;
}

const KEY = Symbol.for("celeriac.runningTask");
const holder = globalThis as { [KEY]?: AsyncLocalStorage<RunningTask> };
const store = (holder[KEY] ??= new AsyncLocalStorage<RunningTask>());

/** Runs `fn` as (inside) the task `task`: what it calls, awaits and schedules sees currentTask(). */
export function runInsideTask<T>(task: RunningTask, fn: () => T): T {
  return store.run(task, fn);
}

/** The task the calling code runs inside, or undefined outside any task. */
export function currentTask(): RunningTask | undefined {
  return store.getStore();
}
