/**
 * Signals (Celery's task_prerun, task_postrun, task_success, task_failure, task_retry, worker_ready,
 * worker_shutdown): one typed event map. Handlers run synchronously in registration order; a handler that
 * throws is reported to `onHandlerError` and never changes a task's outcome.
 *
 * | signal          | when                                            | payload                                |
 * |-----------------|-------------------------------------------------|----------------------------------------|
 * | taskPrerun      | before the task body runs                       | taskId, task, args                     |
 * | taskPostrun     | after it ran, whatever the outcome              | taskId, task, args, state, runtimeMs   |
 * | taskSuccess     | it returned                                     | taskId, task, result                   |
 * | taskFailure     | it failed for good (no retry left)              | taskId, task, error                    |
 * | taskRetry       | it failed and will run again                    | taskId, task, error, retries, countdownMs |
 * | workerReady     | the worker consumes its queues                  | hostname, queues                       |
 * | workerShutdown  | the worker stopped                              | hostname, drained                      |
 */
import type { ErrorInfo } from "./errors.js";
import type { TaskState } from "./states.js";

export interface SignalMap {
  taskPrerun: { taskId: string; task: string; args: readonly unknown[] };
  taskPostrun: { taskId: string; task: string; args: readonly unknown[]; state: TaskState; runtimeMs: number };
  taskSuccess: { taskId: string; task: string; result: unknown };
  taskFailure: { taskId: string; task: string; error: ErrorInfo };
  taskRetry: { taskId: string; task: string; error: ErrorInfo; retries: number; countdownMs: number };
  workerReady: { hostname: string; queues: readonly string[] };
  workerShutdown: { hostname: string; drained: boolean };
}

export type SignalName = keyof SignalMap;
export type SignalHandler<K extends SignalName> = (payload: SignalMap[K]) => void;

export class Signals {
  private readonly handlers: { [K in SignalName]?: SignalHandler<K>[] } = {};

  constructor(private readonly onHandlerError: (signal: SignalName, error: unknown) => void = () => undefined) {}

  /** Connects a handler; returns a function that disconnects it. */
  on<K extends SignalName>(signal: K, handler: SignalHandler<K>): () => void {
    const list = (this.handlers[signal] ??= []) as SignalHandler<K>[];
    list.push(handler);
    return () => {
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** True when some handler listens: callers skip building a payload nobody reads. */
  has(signal: SignalName): boolean {
    return (this.handlers[signal]?.length ?? 0) > 0;
  }

  emit<K extends SignalName>(signal: K, payload: SignalMap[K]): void {
    for (const handler of (this.handlers[signal] ?? []) as SignalHandler<K>[]) {
      try {
        handler(payload);
      } catch (error) {
        this.onHandlerError(signal, error);
      }
    }
  }
}
