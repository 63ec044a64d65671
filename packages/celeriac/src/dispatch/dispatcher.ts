/**
 * What a task's dispatch methods are made of, kept with each bound task so that workflows (canvas/) send
 * their first steps and members exactly as `.applyAsync()` and `.applyAsyncOnCommit()` do: inside a
 * transaction deferred to the commit, outside it at once.
 */
import type { PublishOptions } from "../broker/broker.js";
import type { TaskMessage } from "../message.js";
import type { AsyncResult } from "../results/async-result.js";
import type { TaskDefinition } from "../task/define.js";
import type { DispatchDeps } from "./apply.js";

export interface Prepared {
  message: TaskMessage;
  publish: PublishOptions;
  /**
   * An owned chain's later steps (or an owned chord's callback, with its first member), as their PENDING
   * rows: written with this message's own, so that every id the workflow's sender was given reads as
   * PENDING to its owner at once, not as no row until a worker sends the step.
   */
  laterSteps?: readonly TaskMessage[];
}

export interface Dispatcher {
  readonly task: TaskDefinition;
  readonly deps: DispatchDeps;
  /** Sends as `.applyAsync()` does: deferred inside a transaction (per dispatchInTransaction), else now. */
  send(prepared: Prepared): Promise<AsyncResult>;
  /** Sends as `.applyAsyncOnCommit()` does. */
  sendOnCommit(prepared: Prepared): void;
  /** A handle on a task id of this app. */
  handle(id: string): AsyncResult;
}
