/**
 * A workflow's rows and groups (TaskQueries.detail) as the tree the task detail shows: each step under
 * the one it follows (parentId), a group as one node holding its members in the group's order, a chord's
 * callback under its group. Pure: the unit tests call it.
 *
 * Rows arrive in no order and may be cut (WORKFLOW_ROWS): siblings are ordered by when they were made, a
 * step whose parent was not read sits at the top beside the root, and members and a chord callback with
 * no row yet are shown as queued (only when nothing was cut: otherwise their rows may just be unread).
 */
import type { WorkflowGroupItem, WorkflowItem, WorkflowRowItem } from "../results/task-list.js";
import { progressOf, States } from "../states.js";
import type { Workflow, WorkflowGroupNode, WorkflowNode, WorkflowTaskNode } from "./api-types.js";

/** A node before it is placed: what it is, and when it was made (the sibling order). */
type Entry = { kind: "task"; row: WorkflowRowItem } | { kind: "group"; group: WorkflowGroupItem };

const createdAt = (entry: Entry) => (entry.kind === "task" ? entry.row.createdAt : entry.group.createdAt).getTime();
const idOf = (entry: Entry) => (entry.kind === "task" ? entry.row.id : entry.group.id);
const byCreation = (a: Entry, b: Entry) => createdAt(a) - createdAt(b) || (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0);

/** Why a step never ran: the failed step a chain stopped at (canvas/continue.ts writes it in meta). */
function stoppedBy(meta: unknown): string | null {
  const by = typeof meta === "object" && meta !== null ? (meta as { chainStoppedBy?: unknown }).chainStoppedBy : undefined;
  return typeof by === "string" ? by : null;
}

const queued = (id: string, name: string | null): WorkflowTaskNode => ({
  kind: "task",
  id,
  name,
  recorded: false,
  status: "PENDING",
  runtimeMs: null,
  progress: null,
  notRun: null,
  children: [],
});

export function workflowTree(item: WorkflowItem): Workflow {
  const rows = new Map(item.rows.map((row) => [row.id, row]));
  const groups = new Map(item.groups.map((group) => [group.id, group]));
  // A member whose group row is gone (expired before its members) still shows as a group.
  for (const row of item.rows) {
    if (row.groupId !== null && !groups.has(row.groupId)) {
      groups.set(row.groupId, { id: row.groupId, memberIds: [], parentId: null, callbackId: null, callbackName: null, createdAt: row.createdAt });
    }
  }
  const entries = new Map<string, Entry>([
    ...[...rows.values()].map((row): [string, Entry] => [row.id, { kind: "task", row }]),
    ...[...groups.values()].map((group): [string, Entry] => [group.id, { kind: "group", group }]),
  ]);
  const membersOf = new Map<string, WorkflowRowItem[]>();
  const childrenOf = new Map<string, Entry[]>();
  const tops: Entry[] = [];
  for (const entry of entries.values()) {
    if (entry.kind === "task" && entry.row.groupId !== null) {
      membersOf.set(entry.row.groupId, [...(membersOf.get(entry.row.groupId) ?? []), entry.row]);
      continue;
    }
    const parentId = entry.kind === "task" ? entry.row.parentId : entry.group.parentId;
    if (parentId !== null && parentId !== idOf(entry) && entries.has(parentId)) childrenOf.set(parentId, [...(childrenOf.get(parentId) ?? []), entry]);
    else tops.push(entry);
  }

  // Queued members and callbacks fill what the rows left of the limit, no more.
  let room = item.truncated ? 0 : Math.max(0, item.limit - item.rows.length);
  const placed = new Set<string>();

  const children = (id: string): WorkflowNode[] => (childrenOf.get(id) ?? []).sort(byCreation).flatMap((entry) => node(entry) ?? []);

  const taskNode = (row: WorkflowRowItem): WorkflowTaskNode => {
    placed.add(row.id);
    const by = stoppedBy(row.meta);
    return {
      kind: "task",
      id: row.id,
      name: row.name,
      recorded: true,
      status: row.status,
      runtimeMs: row.runtimeMs,
      progress: row.status === States.PROGRESS ? progressOf(row.meta) : null,
      notRun: by === null ? null : { stoppedBy: by, stoppedByName: rows.get(by)?.name ?? null },
      children: children(row.id),
    };
  };

  const groupNode = (group: WorkflowGroupItem): WorkflowGroupNode => {
    placed.add(group.id);
    const recorded = new Map((membersOf.get(group.id) ?? []).map((row) => [row.id, row]));
    const members: WorkflowTaskNode[] = [];
    for (const id of group.memberIds) {
      const row = recorded.get(id);
      recorded.delete(id);
      if (row) members.push(taskNode(row));
      else if (room > 0) {
        room--;
        members.push(queued(id, null));
      }
    }
    // Rows that name the group but not in its list (none, unless the group row was lost): after the others.
    members.push(...[...recorded.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(taskNode));
    const after = children(group.id);
    const { callbackId } = group;
    if (callbackId !== null && !entries.has(callbackId) && room > 0) {
      room--;
      after.push(queued(callbackId, group.callbackName));
    }
    return { kind: "group", id: group.id, callbackId, memberCount: Math.max(group.memberIds.length, members.length), members, children: after };
  };

  // A node is placed once: a parentId loop (which no workflow makes) cannot recurse forever.
  const node = (entry: Entry): WorkflowNode | undefined => {
    if (placed.has(idOf(entry))) return undefined;
    return entry.kind === "task" ? taskNode(entry.row) : groupNode(entry.group);
  };

  const root = entries.get(item.rootId);
  const ordered = tops.sort((a, b) => (a === root ? -1 : b === root ? 1 : byCreation(a, b)));
  const nodes = ordered.flatMap((entry) => node(entry) ?? []);
  // What only a loop reached: at the top, so every row read is shown (members go with their group).
  for (const entry of [...entries.values()].sort(byCreation)) {
    const loose = entry.kind === "group" || entry.row.groupId === null ? node(entry) : undefined;
    if (loose) nodes.push(loose);
  }
  return { rootId: item.rootId, nodes, truncated: item.truncated, limit: item.limit };
}
