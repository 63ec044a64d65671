/**
 * The TaskGroup table: one row per group (and chord header), written before any member is sent. The
 * members' TaskResult rows point to it by groupId; its memberIds keep their order for GroupResult.get().
 */
export const GROUP_COLUMNS = ["id", "memberIds", "callback", "callbackId", "firedAt", "parentId", "rootId", "owner", "createdAt"] as const;
