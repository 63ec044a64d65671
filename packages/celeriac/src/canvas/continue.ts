/**
 * What a worker does when a workflow's message ends, after its row is durable and before its job is
 * acknowledged (so a crash in between runs the task again, and this again):
 *
 * - SUCCESS: the chain's next step is sent with the result first, and the link callbacks.
 * - FAILURE or REVOKED (for good; a RETRY is not an end): the chain's remaining steps are recorded with the
 *   same outcome and `meta.chainStoppedBy` (they never run: Celery 5 marks them the same way), and the
 *   linkError callbacks are sent with the failed task's id first.
 * - A chord's member: when it was the last to finish, the callback is sent with every result in member
 *   order, or recorded FAILURE with a ChordError when a member failed. Exactly once: the members' states
 *   are read, the group claimed (firedAt, a conditional UPDATE) and the callback's outbox row written in
 *   one database transaction, so of two members finishing together on two workers one claims and the
 *   other finds it claimed; a worker killed after its member's row was written runs the member again and
 *   finds the chord claimed, or claims it now.
 *
 * Every message sent here goes through the outbox first, on the store's connection: an id already there
 * (the continuation of a task that ran twice) is not sent again, and a send that fails is the relay's.
 */
import { ChordError, toErrorInfo } from "../errors.js";
import type { Logger } from "../log.js";
import type { Outcome, TaskMessage } from "../message.js";
import type { Prepared } from "../dispatch/dispatcher.js";
import type { FinishedRun } from "../results/backend.js";
import { finishedRow } from "../results/row.js";
import { States } from "../states.js";
import type { GroupRows } from "../store/store.js";
import { toOutboxRow } from "../transaction/outbox-row.js";
import { messageOf } from "./step-message.js";
import type { Step } from "./step.js";

/** Tries of a continuation before its error reaches BullMQ (200 ms, doubling: about 6 s in all). */
const CONTINUE_ATTEMPTS = 6;

export interface ContinueDeps {
  groups: GroupRows;
  publish(prepared: Prepared): Promise<unknown>;
  /** Marks sent outbox rows (group-committed by the caller). */
  markSent(id: string): void;
  /** Writes a row through the result writer (the chain's steps that never run). */
  finished(run: FinishedRun): Promise<void>;
  hostname: string;
  log: Logger;
}

export type ContinueWorkflow = (message: TaskMessage, outcome: Outcome) => Promise<void>;

export function workflowContinuation(deps: ContinueDeps): ContinueWorkflow {
  /** Writes each message's outbox row, then sends those that were not there already. */
  async function send(prepared: readonly Prepared[]): Promise<void> {
    if (!prepared.length) return;
    const inserted = new Set(await deps.groups.insertOutbox(prepared.map(toOutboxRow)));
    for (const p of prepared) {
      if (inserted.has(p.message.id)) await publish(p);
    }
  }

  async function publish(p: Prepared): Promise<void> {
    try {
      await deps.publish(p);
      deps.markSent(p.message.id);
    } catch (error) {
      deps.log.warn({ err: error, taskId: p.message.id, task: p.message.task }, "could not send a workflow's next task; the outbox relay will");
    }
  }

  /** The chain's remaining steps, recorded with the outcome that stopped it. */
  async function stop(message: TaskMessage, outcome: Outcome, steps: readonly Step[], at: Date): Promise<void> {
    // Handed to the writer together, so they go in one group commit rather than one flush each.
    const rootId = message.rootId ?? message.id;
    await Promise.all(
      steps.map((step, i) => {
        const { message: never } = messageOf(step, undefined, { parentId: i ? steps[i - 1]!.id : message.id, rootId }, undefined, at.getTime());
        return deps.finished({ message: never, worker: deps.hostname, startedAt: at, doneAt: at, outcome, meta: { chainStoppedBy: message.id } });
      }),
    );
  }

  async function completeChord({ id: groupId, size }: { id: string; size: number }, at: Date): Promise<void> {
    // Most members are not the last: one count on the (groupId, status) index says so, without reading
    // the group or taking the transaction, whose write lock (SQLite) every member would take in turn.
    const { finished, failed } = await deps.groups.groupFinished(groupId);
    if (!failed && finished < size) return;
    const group = await deps.groups.findGroup(groupId);
    if (!group?.callback || group.firedAt) return;
    const callback = group.callback;
    const place = { parentId: groupId, rootId: group.rootId ?? groupId };
    let sent: Prepared | undefined;
    const firing = await deps.groups.fireChord(groupId, at, (members) => {
      const byId = new Map(members.map((m) => [m.id, m]));
      const failed = group.memberIds.map((id) => byId.get(id)).find((m) => m && (m.status === States.FAILURE || m.status === States.REVOKED));
      if (failed) {
        const { message } = messageOf(callback, undefined, place, undefined, at.getTime());
        const error = new ChordError(failed.id, failed.errorType ?? failed.status, failed.errorMessage ?? "");
        return { fail: finishedRow({ message, worker: deps.hostname, startedAt: at, doneAt: at, outcome: { status: States.FAILURE, error: toErrorInfo(error) } }) };
      }
      if (!group.memberIds.every((id) => byId.get(id)?.status === States.SUCCESS)) return undefined;
      sent = messageOf(callback, { value: group.memberIds.map((id) => byId.get(id)!.result) }, place, undefined, at.getTime());
      return { send: toOutboxRow(sent) };
    });
    if (firing && "send" in firing && sent) await publish(sent);
  }

  async function continueOnce(message: TaskMessage, outcome: Outcome): Promise<void> {
    const workflow = message.workflow;
    if (!workflow || outcome.status === States.RETRY) return;
    const at = new Date();
    const place = { parentId: message.id, rootId: message.rootId ?? message.id };
    if (outcome.status === States.SUCCESS) {
      const [next, ...rest] = workflow.chain ?? [];
      const value = { value: outcome.result };
      await send([
        ...(next ? [messageOf(next, value, place, rest.length ? { chain: rest } : undefined, at.getTime())] : []),
        ...(workflow.link ?? []).map((link) => messageOf(link, value, place, undefined, at.getTime())),
      ]);
    } else {
      if (workflow.chain?.length) await stop(message, outcome, workflow.chain, at);
      await send((workflow.linkError ?? []).map((link) => messageOf(link, { value: message.id }, place, undefined, at.getTime())));
    }
    if (workflow.chord) await completeChord(workflow.chord, at);
  }

  // Every step is idempotent (outbox ids, the chord's claim), so a database that fails for a moment is
  // tried again here; past that the error reaches BullMQ, which delivers the job again later.
  return async (message, outcome) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await continueOnce(message, outcome);
      } catch (error) {
        if (attempt >= CONTINUE_ATTEMPTS - 1) throw error;
        deps.log.warn({ err: error, taskId: message.id }, `could not continue the workflow after ${message.task}; trying again`);
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  };
}
