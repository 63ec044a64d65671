/**
 * The TaskGroup table: one row per group (and chord header), written before any member is sent. The
 * members' TaskResult rows point to it by groupId; its memberIds keep their order for GroupResult.get().
 */
import type { ResultRow } from "../results/row.js";
import type { NewOutboxRow } from "../transaction/outbox-row.js";
import type { Step } from "./step.js";

export interface GroupRow {
  id: string;
  memberIds: string[];
  /** A chord's callback, without the members' results (they go first in its arguments when it is sent). */
  callback: Step | null;
  callbackId: string | null;
  /** When the chord's callback was sent (or failed): set once. */
  firedAt: Date | null;
  parentId: string | null;
  rootId: string | null;
  owner: string | null;
  createdAt: Date;
}

export const GROUP_COLUMNS = ["id", "memberIds", "callback", "callbackId", "firedAt", "parentId", "rootId", "owner", "createdAt"] as const satisfies readonly (keyof GroupRow)[];
export const GROUP_JSON_COLUMNS: ReadonlySet<string> = new Set(["memberIds", "callback"]);

/** A member's state as a chord's completion check reads it. */
export interface MemberState {
  id: string;
  status: string;
  result: unknown;
  errorType: string | null;
  errorMessage: string | null;
}

/** What completing a chord writes, with its claim, in one transaction: the callback's outbox row, or its FAILURE row. */
export type ChordFiring = { send: NewOutboxRow } | { fail: ResultRow };
