/**
 * chain, group and chord (Celery's canvas). Every id is assigned when the workflow is sent, so the handles
 * exist at once; what follows a message travels with it (canvas/step.ts) and a worker sends it when the
 * message ends (canvas/continue.ts). Sending follows the rules of `.applyAsync()`: inside transaction()
 * the first steps and members wait for the commit (a durable transaction writes them to the outbox), and
 * a group's TaskGroup row is written in the transaction itself; outside one, at once.
 */
import { randomUUID } from "node:crypto";
import { ownerOf } from "../dispatch/apply.js";
import type { DispatchDeps } from "../dispatch/apply.js";
import { DispatchError } from "../errors.js";
import type { AsyncResult } from "../results/async-result.js";
import { currentScope } from "../transaction/scope.js";
import type { GroupRow } from "./group-row.js";
import { GroupResult } from "./group-result.js";
import type { AnySignature, NoInput, OutOf, Signature } from "./signature.js";
import { assertComplete, messageOf, stepOf } from "./step-message.js";

/**
 * Who may read a workflow's results: `owner` for every step; without it, a chain's steps are its first
 * task's owner(...args), and each group member is its own task's, as a lone dispatch of it would be (a
 * group of mails to many users keeps each user's result theirs); a chord's callback has none.
 */
export interface WorkflowOptions {
  owner?: string;
}

/**
 * Each step after the first must take what the one before gives: a mismatch is a compile error at that
 * step. A chain built from an array of unknown length is checked at run time only (each step's arguments).
 */
export type ValidChain<T extends readonly AnySignature[], Prev = NoInput> = number extends T["length"]
  ? T
  : T extends readonly [infer H extends AnySignature, ...infer R extends AnySignature[]]
    ? [Signature<Prev, OutOf<H>>, ...ValidChain<R, OutOf<H>>]
    : [];
type LastOut<T extends readonly AnySignature[]> = T extends readonly [...AnySignature[], infer L] ? OutOf<L> : never;
type OutsOf<T extends readonly AnySignature[]> = { -readonly [K in keyof T]: OutOf<T[K]> };

function ownerFor(first: AnySignature, options: WorkflowOptions): string | undefined {
  return options.owner ?? ownerOf(first.dispatcher.task, first.args);
}

/** Steps run one after another, each given the previous result first (Celery: chain, `a | b | c`). */
export class Chain<Out> {
  constructor(private readonly steps: readonly AnySignature[]) {
    if (!steps.length) throw new DispatchError("a chain needs at least one step");
    assertComplete(steps[0]!, "a chain's first step");
  }

  /** Sends the first step; the handle is the last step's, whose `.parent` walks back to the first. */
  async applyAsync(options: WorkflowOptions = {}): Promise<AsyncResult<Out>> {
    const { handles, send } = this.prepare(options);
    await send(false);
    return handles.at(-1) as AsyncResult<Out>;
  }

  delay(): Promise<AsyncResult<Out>> {
    return this.applyAsync();
  }

  /** Sends after the current transaction commits (at once outside one); returns the last step's id. */
  applyAsyncOnCommit(options: WorkflowOptions = {}): string {
    const { handles, send } = this.prepare(options);
    void send(true);
    return handles.at(-1)!.id;
  }

  delayOnCommit(): string {
    return this.applyAsyncOnCommit();
  }

  private prepare(options: WorkflowOptions) {
    const [first, ...rest] = this.steps as [AnySignature, ...AnySignature[]];
    const owner = ownerFor(first, options);
    const ids = this.steps.map(() => randomUUID());
    const steps = this.steps.map((s, i) => stepOf(s, ids[i]!, owner));
    const handles = this.steps.map((s, i) => s.dispatcher.handle(ids[i]!));
    handles.forEach((h, i) => (h.parent = handles[i - 1]));
    const now = Date.now();
    const prepared = messageOf(steps[0]!, undefined, { rootId: ids[0]! }, rest.length ? { chain: steps.slice(1) } : undefined, now);
    // Owned: every handle returned reads PENDING to its owner at once (Prepared.laterSteps), not only the first.
    if (owner !== undefined && rest.length) {
      prepared.laterSteps = rest.flatMap((s, i) =>
        s.dispatcher.task.ignoreResult ? [] : [messageOf(steps[i + 1]!, undefined, { parentId: ids[i]!, rootId: ids[0]! }, undefined, now).message],
      );
    }
    const send = (onCommit: boolean) => (onCommit ? first.dispatcher.sendOnCommit(prepared) : first.dispatcher.send(prepared));
    return { handles, send };
  }
}

export function chain<const T extends readonly [AnySignature, ...AnySignature[]]>(...steps: T & ValidChain<T>): Chain<LastOut<T>> {
  return new Chain(steps);
}

/** The members of a group, sent together with their TaskGroup row written first. */
class Members {
  constructor(readonly signatures: readonly AnySignature[]) {
    signatures.forEach((s) => assertComplete(s, "a group's member"));
  }

  /** Records the group and sends its members; `chord` adds the callback every member checks for when it ends. */
  prepare(options: WorkflowOptions, callback?: AnySignature) {
    const groupId = randomUUID();
    const ids = this.signatures.map(() => randomUUID());
    const callbackId = callback ? randomUUID() : null;
    const row: GroupRow = {
      id: groupId,
      memberIds: ids,
      // The callback's arguments lack their first (the results), so its task's owner() cannot be asked.
      callback: callback ? stepOf(callback, callbackId!, options.owner) : null,
      callbackId,
      firedAt: null,
      parentId: null,
      rootId: groupId,
      owner: options.owner ?? null,
      createdAt: new Date(),
    };
    const now = Date.now();
    const members = this.signatures.map((s, i) => ({
      dispatcher: s.dispatcher,
      prepared: messageOf(stepOf(s, ids[i]!, ownerFor(s, options)), undefined, { rootId: groupId, groupId }, callback ? { chord: { id: groupId, size: ids.length } } : undefined, now),
    }));
    // An owned chord's handle is its callback's: its PENDING row goes with the first member's (Prepared.laterSteps).
    if (callback && options.owner !== undefined && members.length && !callback.dispatcher.task.ignoreResult) {
      members[0]!.prepared.laterSteps = [messageOf(row.callback!, undefined, { parentId: groupId, rootId: groupId }, undefined, now).message];
    }
    const deps: DispatchDeps = (this.signatures[0] ?? callback!).dispatcher.deps;
    const results = new GroupResult(groupId, ids.map((id, i) => this.signatures[i]!.dispatcher.handle(id)), deps);
    const send = async (onCommit: boolean) => {
      const scope = currentScope();
      if (scope) scope.groups.push(row);
      else await deps.groups.insertGroup(row);
      // A chord of no members is complete at once: its callback gets an empty list (Celery does the same).
      if (callback && !members.length) {
        const prepared = messageOf(row.callback!, { value: [] }, { parentId: groupId, rootId: groupId }, undefined, now);
        return void (onCommit ? callback.dispatcher.sendOnCommit(prepared) : await callback.dispatcher.send(prepared));
      }
      if (onCommit) members.forEach((m) => m.dispatcher.sendOnCommit(m.prepared));
      else await Promise.all(members.map((m) => m.dispatcher.send(m.prepared)));
    };
    return { groupId, callbackId, results, send };
  }
}

/**
 * An on-commit send: inside a transaction it only registers (synchronously); outside one it writes the
 * group row and sends now, and nobody awaits it, so a failure is logged (as `.delayOnCommit()` does).
 */
function sendLater(signature: AnySignature | undefined, send: (onCommit: boolean) => Promise<void>): void {
  send(true).catch((error: unknown) => signature?.dispatcher.deps.log.error({ err: error }, "a workflow sent outside a transaction by delayOnCommit could not be sent"));
}

/** Members run in parallel (Celery: group); the handle is a GroupResult with their results in order. */
export class Group<Outs extends unknown[]> {
  private readonly members: Members;

  constructor(signatures: readonly AnySignature[]) {
    this.members = new Members(signatures);
  }

  get signatures(): readonly AnySignature[] {
    return this.members.signatures;
  }

  async applyAsync(options: WorkflowOptions = {}): Promise<GroupResult<Outs>> {
    const { results, send } = this.members.prepare(options);
    await send(false);
    return results as GroupResult<Outs>;
  }

  delay(): Promise<GroupResult<Outs>> {
    return this.applyAsync();
  }

  /** Sends after the current transaction commits; returns the group's id (`app.groupResult(id)` restores it). */
  applyAsyncOnCommit(options: WorkflowOptions = {}): string {
    const { groupId, send } = this.members.prepare(options);
    sendLater(this.signatures[0], send);
    return groupId;
  }

  delayOnCommit(): string {
    return this.applyAsyncOnCommit();
  }
}

export function group<const T extends readonly Signature<NoInput, unknown>[]>(...members: T): Group<OutsOf<T>> {
  return new Group(members);
}

/**
 * A group and a callback run once every member succeeded, given their results in member order first
 * (Celery: chord). A member that fails for good fails the chord: the callback is recorded FAILURE with a
 * ChordError naming it, and never runs. Exactly once, whichever workers finish the members: see continue.ts.
 */
export class Chord<Out> {
  constructor(
    private readonly header: Group<unknown[]>,
    private readonly callback: AnySignature,
  ) {}

  private prepare(options: WorkflowOptions) {
    return new Members(this.header.signatures).prepare(options, this.callback);
  }

  /** Sends the members; the handle is the callback's, with the members' GroupResult as its `.header`. */
  async applyAsync(options: WorkflowOptions = {}): Promise<AsyncResult<Out>> {
    const { callbackId, results, send } = this.prepare(options);
    await send(false);
    const handle = this.callback.dispatcher.handle(callbackId!) as AsyncResult<Out>;
    handle.header = results;
    return handle;
  }

  delay(): Promise<AsyncResult<Out>> {
    return this.applyAsync();
  }

  /** Sends after the current transaction commits; returns the callback's id. */
  applyAsyncOnCommit(options: WorkflowOptions = {}): string {
    const { callbackId, send } = this.prepare(options);
    sendLater(this.callback, send);
    return callbackId!;
  }

  delayOnCommit(): string {
    return this.applyAsyncOnCommit();
  }
}

export function chord<Outs extends unknown[], Out>(header: Group<Outs>, callback: Signature<Outs, Out> | Signature<unknown, Out>): Chord<Out> {
  return new Chord(header as Group<unknown[]>, callback);
}
