/**
 * The open transaction, carried by AsyncLocalStorage so that code anywhere below `transaction()` can call
 * `onCommit()` or `.delay()` without being handed `tx`. A scope collects, in registration order, what must
 * happen after the outermost commit: callbacks and deferred dispatches. A nested block gets a child scope
 * that is merged into its parent when the block succeeds and dropped when it throws (savepoint semantics).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { PublishOptions } from "../broker/broker.js";
import type { TaskMessage } from "../message.js";
import type { GroupRow } from "../canvas/group-row.js";

export interface DeferredDispatch {
  message: TaskMessage;
  publish: PublishOptions;
  /** Written to the outbox (survives a crash after commit) rather than sent from memory. */
  durable: boolean;
  /** Record a PENDING TaskResult row after the commit (false for ignoreResult tasks). */
  recordPending: boolean;
  /** An owned workflow's later steps: their PENDING rows are recorded after the commit too (Prepared.laterSteps). */
  laterSteps?: readonly TaskMessage[];
}

export type AfterCommit = { kind: "callback"; run: () => unknown } | { kind: "dispatch"; dispatch: DeferredDispatch };

export class Scope {
  readonly afterCommit: AfterCommit[] = [];
  /** TaskGroup rows of workflows dispatched in this block: written in the transaction, with its outbox rows. */
  readonly groups: GroupRow[] = [];

  constructor(
    /** The Prisma interactive-transaction client. */
    readonly tx: unknown,
    /** Dispatches go through the outbox table (and survive a crash after the commit). */
    readonly durable: boolean,
    readonly depth = 0,
    readonly parent?: Scope,
  ) {}

  /** Registers a dispatch to be sent after the commit; durable when this block or an outer one is. */
  defer(dispatch: Omit<DeferredDispatch, "durable">): void {
    this.afterCommit.push({ kind: "dispatch", dispatch: { ...dispatch, durable: this.durable } });
  }

  child(durable: boolean): Scope {
    return new Scope(this.tx, this.durable || durable, this.depth + 1, this);
  }

  /** Keeps a nested block's work: called when the block returned normally. */
  mergeIntoParent(): void {
    this.parent!.afterCommit.push(...this.afterCommit);
    this.parent!.groups.push(...this.groups);
  }

  dispatches(): DeferredDispatch[] {
    return this.afterCommit.flatMap((a) => (a.kind === "dispatch" ? [a.dispatch] : []));
  }
}

const storage = new AsyncLocalStorage<Scope>();

/** The innermost open transaction scope of the current async context, if any. */
export function currentScope(): Scope | undefined {
  return storage.getStore();
}

export function runInScope<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}

/** Runs `fn` outside any transaction scope (after-commit work must not see the finished transaction). */
export function runOutsideScope<T>(fn: () => T): T {
  return storage.exit(fn);
}
