import { describe, expect, it } from "vitest";
import type { WorkflowGroupItem, WorkflowItem, WorkflowRowItem } from "../results/task-list.js";
import type { WorkflowNode } from "./api-types.js";
import { workflowTree } from "./workflow-tree.js";

let clock = 0;
function row(id: string, over: Partial<WorkflowRowItem> = {}): WorkflowRowItem {
  return { id, name: `t.${id}`, status: "SUCCESS", parentId: null, groupId: null, createdAt: new Date(Date.UTC(2026, 11, 1) + ++clock * 1000), runtimeMs: 5, meta: null, ...over };
}
function group(id: string, memberIds: string[], over: Partial<WorkflowGroupItem> = {}): WorkflowGroupItem {
  return { id, memberIds, parentId: null, callbackId: null, callbackName: null, createdAt: new Date(Date.UTC(2026, 11, 1)), ...over };
}
const item = (rootId: string, rows: WorkflowRowItem[], groups: WorkflowGroupItem[] = [], over: Partial<WorkflowItem> = {}): WorkflowItem => ({ rootId, rows, groups, truncated: false, limit: 500, ...over });

/** The tree in brief: "id:STATUS" per task, "[group: members] → children", children in parentheses. */
function shape(nodes: readonly WorkflowNode[]): string[] {
  return nodes.map((n) => {
    const kids = n.children.length ? ` (${shape(n.children).join(", ")})` : "";
    if (n.kind === "group") return `[${n.id}: ${shape(n.members).join(", ")}]${kids}`;
    return `${n.id}:${n.recorded ? n.status : "queued"}${kids}`;
  });
}

describe("workflowTree", () => {
  it("a chain: each step under the one before, whatever order the rows came in", () => {
    const a = row("a");
    const b = row("b", { parentId: "a" });
    const c = row("c", { parentId: "b", status: "STARTED", runtimeMs: null });
    const tree = workflowTree(item("a", [c, a, b]));
    expect(shape(tree.nodes)).toEqual(["a:SUCCESS (b:SUCCESS (c:STARTED))"]);
    const first = tree.nodes[0]!;
    expect(first).toMatchObject({ kind: "task", id: "a", name: "t.a", recorded: true, runtimeMs: 5, notRun: null, progress: null });
  });

  it("a failed chain: the steps after the failure are shown as never run, naming the step it stopped at", () => {
    const tree = workflowTree(
      item("a", [
        row("a"),
        row("b", { parentId: "a", status: "FAILURE" }),
        row("c", { parentId: "b", status: "FAILURE", runtimeMs: 0, meta: { chainStoppedBy: "b" } }),
        row("d", { parentId: "c", status: "FAILURE", runtimeMs: 0, meta: { chainStoppedBy: "b" } }),
      ]),
    );
    const b = tree.nodes[0]!.children[0]!;
    const c = b.children[0]!;
    expect(b.kind === "task" && b.notRun).toBeNull();
    expect(c).toMatchObject({ id: "c", notRun: { stoppedBy: "b", stoppedByName: "t.b" } });
    expect(c.children[0]).toMatchObject({ id: "d", notRun: { stoppedBy: "b", stoppedByName: "t.b" } });
  });

  it("a chord: one group node, its members in the group's order, the callback under the group", () => {
    const rows = [
      row("m2", { groupId: "g", status: "PROGRESS", runtimeMs: null, meta: { current: 3, total: 4, message: "rows" } }),
      row("m1", { groupId: "g" }),
      row("cb", { parentId: "g", status: "PENDING", runtimeMs: null }),
    ];
    const tree = workflowTree(item("g", rows, [group("g", ["m1", "m2"], { callbackId: "cb", callbackName: "t.cb" })]));
    expect(shape(tree.nodes)).toEqual(["[g: m1:SUCCESS, m2:PROGRESS] (cb:PENDING)"]);
    expect(tree.nodes[0]).toMatchObject({ kind: "group", callbackId: "cb", memberCount: 2 });
    expect((tree.nodes[0] as { members: WorkflowNode[] }).members[1]).toMatchObject({ progress: { current: 3, total: 4, message: "rows" } });
  });

  it("members and a chord callback with no row yet are shown as queued (the callback with its task's name)", () => {
    const tree = workflowTree(item("g", [row("m1", { groupId: "g", status: "STARTED" })], [group("g", ["m1", "m2", "m3"], { callbackId: "cb", callbackName: "t.sum" })]));
    expect(shape(tree.nodes)).toEqual(["[g: m1:STARTED, m2:queued, m3:queued] (cb:queued)"]);
    const g = tree.nodes[0]!;
    expect(g.kind === "group" && g.members[1]).toMatchObject({ name: null, recorded: false, status: "PENDING" });
    expect(g.children[0]).toMatchObject({ name: "t.sum", recorded: false });
  });

  it("cut at the limit: says so, queues nothing it may just not have read, a step without its parent sits at the top after the root", () => {
    const rows = [row("a"), row("x", { parentId: "unread" }), row("m1", { groupId: "g", parentId: null })];
    const tree = workflowTree(item("a", rows, [group("g", ["m0", "m1", "m2"], { callbackId: "cb", parentId: "a" })], { truncated: true, limit: 3 }));
    expect(tree).toMatchObject({ truncated: true, limit: 3 });
    expect(shape(tree.nodes)).toEqual(["a:SUCCESS ([g: m1:SUCCESS])", "x:SUCCESS"]);
    expect(tree.nodes[0]!.children[0]).toMatchObject({ memberCount: 3 });
  });

  it("queued placeholders fill only what the rows leave of the limit", () => {
    const tree = workflowTree(item("g", [row("m1", { groupId: "g" })], [group("g", ["m1", "m2", "m3", "m4"])], { limit: 3 }));
    expect(shape(tree.nodes)).toEqual(["[g: m1:SUCCESS, m2:queued, m3:queued]"]);
    expect(tree.nodes[0]).toMatchObject({ memberCount: 4 });
  });

  it("members whose group row is gone still show as a group; link callbacks are children beside the next step, oldest first", () => {
    const rows = [row("a"), row("b", { parentId: "a" }), row("onFail", { parentId: "a", status: "PENDING" }), row("m1", { groupId: "lost" })];
    const tree = workflowTree(item("a", rows));
    expect(shape(tree.nodes)).toEqual(["a:SUCCESS (b:SUCCESS, onFail:PENDING)", "[lost: m1:SUCCESS]"]);
  });

  it("a parentId loop (no workflow makes one) shows every row once and ends", () => {
    const tree = workflowTree(item("r", [row("r"), row("p", { parentId: "q" }), row("q", { parentId: "p" }), row("s", { parentId: "s" })]));
    const ids = JSON.stringify(tree.nodes).match(/"id":"\w+"/g)!;
    expect(ids.sort()).toEqual(['"id":"p"', '"id":"q"', '"id":"r"', '"id":"s"']);
  });
});
