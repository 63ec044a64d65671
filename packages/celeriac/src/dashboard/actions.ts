/**
 * Every dashboard mutation goes through `ActionLog.run()`: it is recorded in the audit log (who, what, on
 * what) BEFORE it acts, and its outcome (the answer's status and body) is stored in the entry once it ends.
 * The body's `requestKey` (one per confirmed click) makes it idempotent: a key seen before does nothing
 * and answers the first outcome again, with `repeated: true`; the audit log's unique key decides between
 * two processes, and a map of the actions under way here between two requests of this process.
 *
 * A refused action (409: retry of a task that succeeded; 404: gone) is recorded too, with its refusal:
 * the repeat check must come before anything the first run could have changed (a revoked task reads as
 * "not revocable" the second time), so the record comes first.
 */
import type { AuditLog } from "../results/audit.js";
import type { Logger } from "../log.js";
import { HttpError, jsonReply } from "./http.js";

/** What an audit entry's detail holds besides the action's own details: how the action ended (written by settle()). */
export interface StoredOutcome {
  status: number;
  body: unknown;
}

/** What an action did, for its answer (`status` default 200) and its audit entry (`detail`, added to what was recorded first). */
export interface ActionResult {
  status?: number;
  body: unknown;
  detail?: Record<string, unknown>;
}

export interface ActionSpec {
  actor: string;
  /** "task.retry", "queue.purge", … (AuditEntry.action). */
  action: string;
  /** A task id, a queue, a worker id, a periodic task's name. */
  target: string;
  /** The body's requestKey; none: recorded, but not idempotent (the periodic-task form may leave it out). */
  requestKey: string | undefined;
  /** The action's own details, recorded before it runs. Redact arguments before they get here. */
  detail?: Record<string, unknown>;
}

/** Adds `repeated: true` to a repeated success (a JSON object); a refusal is answered as it was. */
function repeatedBody(outcome: StoredOutcome): unknown {
  const body = outcome.body;
  return outcome.status < 400 && typeof body === "object" && body !== null && !Array.isArray(body) ? { ...body, repeated: true } : body;
}

/** How a run ended: its outcome, and whether it was a repeat of an earlier run (nothing done this time). */
interface Settled {
  outcome: StoredOutcome;
  repeated: boolean;
}

export class ActionLog {
  /**
   * The actions of this process under way, by requestKey, from before their record is written: a second
   * click that arrives meanwhile waits for the first instead of finding a record without an outcome.
   */
  private readonly running = new Map<string, { action: string; settled: Promise<Settled> }>();

  constructor(
    private readonly audit: AuditLog,
    /** The answer an error thrown by an action gets (the API's one error mapping). */
    private readonly replyTo: (error: unknown) => Promise<Response>,
    private readonly log: Logger,
  ) {}

  async run(spec: ActionSpec, act: () => Promise<ActionResult>): Promise<Response> {
    const { requestKey } = spec;
    const under = requestKey === undefined ? undefined : this.running.get(requestKey);
    if (under) {
      if (under.action !== spec.action) throw anotherAction(under.action);
      const { outcome } = await under.settled;
      return jsonReply(repeatedBody(outcome), outcome.status);
    }
    const settled = this.attempt(spec, act);
    if (requestKey !== undefined) this.running.set(requestKey, { action: spec.action, settled });
    try {
      const { outcome, repeated } = await settled;
      return jsonReply(repeated ? repeatedBody(outcome) : outcome.body, outcome.status);
    } finally {
      if (requestKey !== undefined) this.running.delete(requestKey);
    }
  }

  /** Records the action, then does it; or, for a requestKey recorded before, finds the first outcome. */
  private async attempt(spec: ActionSpec, act: () => Promise<ActionResult>): Promise<Settled> {
    const { entry, repeated } = await this.audit.record({ actor: spec.actor, action: spec.action, target: spec.target, detail: spec.detail ?? {}, requestKey: spec.requestKey });
    if (repeated) return { outcome: firstOutcome(spec, entry), repeated: true };
    return { outcome: await this.settle(entry.id, spec, act), repeated: false };
  }

  /** Runs the action and stores its outcome in the audit entry; never rejects. */
  private async settle(entryId: number, spec: ActionSpec, act: () => Promise<ActionResult>): Promise<StoredOutcome> {
    let outcome: StoredOutcome;
    let detail: Record<string, unknown> | undefined;
    try {
      const result = await act();
      outcome = { status: result.status ?? 200, body: result.body };
      detail = result.detail;
    } catch (error) {
      const reply = await this.replyTo(error);
      outcome = { status: reply.status, body: await reply.json() };
    }
    try {
      await this.audit.update(entryId, { ...spec.detail, ...detail, outcome });
    } catch (error) {
      // The action happened (or was refused) either way: its answer is not held back by the log's write.
      this.log.error({ err: error, action: spec.action, target: spec.target }, "dashboard: could not store an action's outcome in the audit log");
    }
    return outcome;
  }
}

function anotherAction(action: string): HttpError {
  return new HttpError(409, `this requestKey was used for another action (${action}); make a new key for each action`, "requestKey");
}

/** The outcome of the first run of a requestKey seen before, or why there is none to give. */
function firstOutcome(spec: ActionSpec, entry: { action: string; detail: unknown }): StoredOutcome {
  // The action, not the target: a repeated delete no longer finds the row the first one named.
  if (entry.action !== spec.action) throw anotherAction(entry.action);
  const outcome = (entry.detail as { outcome?: StoredOutcome } | null)?.outcome;
  if (outcome === undefined) throw new HttpError(409, "this action is still being done by another server (or was interrupted): reload to see where it stands", "requestKey");
  return outcome;
}
