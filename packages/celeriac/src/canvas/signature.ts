/**
 * Signatures (Celery's canvas): a task with its arguments so far and its send options, to be sent later as
 * a step of a chain, a member of a group or a chord's callback. `task.s(...args)`: all arguments, a step
 * that takes no input; `task.s(...rest)`: all but the first, which the previous step's result fills in
 * (Celery prepends it: seed 002's `store_page_info(info, url)` with `store_page_info.s(url)`);
 * `task.si(...args)`: immutable, the previous result is not passed. The type parameters say what the
 * signature takes (In) and gives (Out), so a chain whose next step cannot take the previous result does
 * not compile.
 */
import type { ApplyOptions } from "../dispatch/apply.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { AsyncResult } from "../results/async-result.js";
import { Chain, type WorkflowOptions } from "./workflow.js";

/** The input of a signature that takes none: all its arguments are given. Only a first step, a group member or a link of nothing has it. */
declare const NO_INPUT: unique symbol;
export type NoInput = typeof NO_INPUT;

/**
 * A signature's send options: applyAsync's queue, countdown and priority, and expires in seconds after
 * its send (a step's send time is not known when the workflow is made). Its id is assigned with the
 * workflow, its owner is the workflow's.
 */
export type StepOptions = Pick<ApplyOptions, "queue" | "countdown" | "priority"> & { expires?: number };

export class Signature<In = unknown, Out = unknown> {
  /** Phantom, never set: makes In contravariant, so a step that takes a string refuses a number. */
  declare readonly __input?: (input: In) => void;
  declare readonly __output?: Out;

  constructor(
    readonly dispatcher: Dispatcher,
    /** The arguments given, without the previous step's result. */
    readonly args: readonly unknown[],
    readonly immutable: boolean,
    /** True when every argument is given (`s(...all)`, `si`): the signature can be sent alone. */
    readonly complete: boolean,
    readonly options: StepOptions = {},
    /** Callbacks given this signature's result when it succeeds (Celery: link). */
    readonly links: readonly AnySignature[] = [],
    /** Callbacks given this signature's task id when it fails for good (Celery: link_error). */
    readonly errorLinks: readonly AnySignature[] = [],
  ) {}

  get task(): string {
    return this.dispatcher.task.name;
  }

  /** A copy with these send options too (Celery: `sig.set(queue=…, countdown=…)`). */
  set(options: StepOptions): Signature<In, Out> {
    return new Signature(this.dispatcher, this.args, this.immutable, this.complete, { ...this.options, ...options }, this.links, this.errorLinks);
  }

  /** Sends this signature by itself (every argument given), with its links (Celery: `sig.apply_async()`). */
  applyAsync(this: Signature<NoInput, Out>, options?: WorkflowOptions): Promise<AsyncResult<Out>> {
    return new Chain<Out>([this]).applyAsync(options);
  }

  delay(this: Signature<NoInput, Out>): Promise<AsyncResult<Out>> {
    return this.applyAsync();
  }

  /** A copy that sends `callback` with this one's result when it succeeds (Celery: `link=`). */
  link(callback: Signature<Out, unknown>): Signature<In, Out> {
    return new Signature(this.dispatcher, this.args, this.immutable, this.complete, this.options, [...this.links, callback], this.errorLinks);
  }

  /** A copy that sends `callback` with this one's task id when it fails for good (Celery: `link_error=`). */
  linkError(callback: Signature<string, unknown>): Signature<In, Out> {
    return new Signature(this.dispatcher, this.args, this.immutable, this.complete, this.options, this.links, [...this.errorLinks, callback]);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- In is contravariant: any signature
export type AnySignature = Signature<any, any>;
export type OutOf<S> = S extends Signature<infer _I, infer O> ? O : never;

/** The tuple without its first element. */
export type Tail<A extends readonly unknown[]> = A extends readonly [unknown?, ...infer R] ? R : [];
/** The first element's type (what the previous step must give). */
export type Head<A extends readonly unknown[]> = A extends readonly [infer H, ...unknown[]] ? H : A extends readonly [(infer H)?, ...unknown[]] ? H | undefined : never;
