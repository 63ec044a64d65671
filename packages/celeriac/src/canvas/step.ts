/**
 * A workflow as it travels with its messages: each message carries what follows it (the rest of its chain,
 * its link and linkError callbacks, the chord it completes), as steps whose ids were assigned when the
 * workflow was made, so every handle (AsyncResult, parent, GroupResult) is known before anything runs and
 * a continuation sent twice is recognised by its id.
 */

/** One task to send later: its arguments so far (the previous result goes first, unless immutable). */
export interface Step {
  id: string;
  task: string;
  args: unknown[];
  /** Celery's immutable signature (`si`): the previous step's result is not passed. */
  immutable?: true;
  queue: string;
  priority?: number;
  /** Wait this long after the step before it (Celery: countdown). */
  countdownMs?: number;
  /** Not started within this long of its send: REVOKED (Celery: expires, in seconds, relative). */
  expiresInMs?: number;
  owner?: string;
  /** Sent with this step's result when it succeeds (Celery: link). */
  link?: Step[];
  /** Sent with this step's id when it fails for good (Celery: link_error). */
  linkError?: Step[];
}

/** What follows a message when it ends: on the wire in the job's data, and in a durable dispatch's outbox row. */
export interface Continuation {
  /** The steps after this one, in order: the next is sent with this one's result. */
  chain?: Step[];
  /** Sent with this task's result when it succeeds (Celery: link). */
  link?: Step[];
  /** Sent with this task's id when it fails for good (Celery: link_error). */
  linkError?: Step[];
  /**
   * The chord this member may complete (its TaskGroup id, and how many members it has): its end counts
   * the group's finished members and, when that is all of them, sends the callback.
   */
  chord?: { id: string; size: number };
}
