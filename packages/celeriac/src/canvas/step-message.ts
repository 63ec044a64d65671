/**
 * Steps and messages: a signature becomes a Step when its workflow is made (its options checked, its queue
 * routed, its id assigned), and a Step becomes a message when it is sent, with the previous result first.
 */
import { randomUUID } from "node:crypto";
import { parseOptions } from "../dispatch/apply.js";
import type { Prepared } from "../dispatch/dispatcher.js";
import { DispatchError, InvalidArgumentsError } from "../errors.js";
import { assertJsonArgs } from "../json.js";
import type { TaskMessage } from "../message.js";
import { routeFor } from "../task/options.js";
import { parseArgs } from "../task/validate.js";
import type { AnySignature } from "./signature.js";
import type { Continuation, Step } from "./step.js";

/** Checks a signature as a dispatch would (options; arguments when all are given) and gives it its id. */
export function stepOf(signature: AnySignature, id: string, owner: string | undefined): Step {
  const { task, deps } = signature.dispatcher;
  const options = parseOptions(task, signature.options);
  const args = [...signature.args];
  assertJsonArgs(args, deps.config.maxPayloadBytes);
  if (signature.complete) {
    const parsed = parseArgs(task, args);
    if (!parsed.ok) throw new InvalidArgumentsError(parsed.message);
  }
  const step: Step = { id, task: task.name, args, queue: options.queue ?? task.queue ?? routeFor(task.name, deps.config) };
  if (signature.immutable) step.immutable = true;
  const priority = options.priority ?? task.priority;
  if (priority !== undefined) step.priority = priority;
  if (options.countdown) step.countdownMs = options.countdown * 1000;
  if (typeof options.expires === "number") step.expiresInMs = options.expires * 1000;
  if (owner !== undefined) step.owner = owner;
  if (signature.links.length) step.link = signature.links.map((l) => stepOf(l, randomUUID(), owner));
  if (signature.errorLinks.length) step.linkError = signature.errorLinks.map((l) => stepOf(l, randomUUID(), owner));
  return step;
}

/** Where a message sits in its workflow. */
export interface Place {
  parentId?: string;
  rootId: string;
  groupId?: string;
}

/**
 * The message of a step sent now: `input` (the previous result, or a chord's results) goes first unless
 * the step is immutable or there is none (a first step).
 */
export function messageOf(step: Step, input: { value: unknown } | undefined, place: Place, workflow: Continuation | undefined, now: number): Prepared {
  const message: TaskMessage = {
    id: step.id,
    task: step.task,
    args: input && !step.immutable ? [input.value, ...step.args] : [...step.args],
    queue: step.queue,
    sentAt: now,
    retries: 0,
    rootId: place.rootId,
  };
  if (place.parentId !== undefined) message.parentId = place.parentId;
  if (place.groupId !== undefined) message.groupId = place.groupId;
  const links = { ...(step.link && { link: step.link }), ...(step.linkError && { linkError: step.linkError }) };
  if (workflow || step.link || step.linkError) message.workflow = { ...workflow, ...links };
  if (step.owner !== undefined) message.owner = step.owner;
  if (step.expiresInMs !== undefined) message.expires = now + (step.countdownMs ?? 0) + step.expiresInMs;
  return { message, publish: { delayMs: step.countdownMs ?? 0, priority: step.priority } };
}

/** A first step or member must carry every argument: there is no previous result to complete it. */
export function assertComplete(signature: AnySignature, what: string): void {
  if (!signature.complete) {
    throw new DispatchError(`${what} '${signature.task}' is missing arguments: nothing comes before it to give the first one (use task.s(...all arguments))`);
  }
}
