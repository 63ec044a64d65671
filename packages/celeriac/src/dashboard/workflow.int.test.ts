/**
 * The task detail's workflow tree and the dashboard's progress, against a real app (Redis, the run's
 * database, a worker in this process): a chain, a chord and a failing chain run through the worker, then
 * GET tasks/:id answers each one's tree (steps under the step they follow, a group as one node with its
 * members in order, the chord's callback under it, never-run steps naming the failed one); a PROGRESS
 * task shows its progress in the detail, in the Tasks list and in the live feed.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDashboardHarness, eventually, readEvents, type DashboardHarness } from "../../test/dashboard.js";
import { chain, chord, group } from "../index.js";
import type { TaskDetail, TaskPage, WorkflowGroupNode, WorkflowNode, WorkflowTaskNode } from "./api-types.js";

const suffix = randomUUID().slice(0, 8);
const QUEUE = `dash-wf-${suffix}`;
const name = (task: string) => `wf.${suffix}.${task}`;
let h: DashboardHarness;
let t: ReturnType<typeof defineTasks>;
let release: () => void = () => {};

function defineTasks(app: DashboardHarness["app"]) {
  return {
    add: app.task({ name: name("add"), queue: QUEUE, args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y }),
    double: app.task({ name: name("double"), queue: QUEUE, args: z.tuple([z.number()]), run: (_ctx, x) => x * 2 }),
    sum: app.task({ name: name("sum"), queue: QUEUE, args: z.tuple([z.array(z.number())]), run: (_ctx, xs) => xs.reduce((a, b) => a + b, 0) }),
    boom: app.task({
      name: name("boom"),
      queue: QUEUE,
      args: z.tuple([z.number()]),
      run: (_ctx, x) => {
        throw new RangeError(`no good: ${x}`);
      },
    }),
    slow: app.task({
      name: name("slow"),
      queue: QUEUE,
      args: z.tuple([]),
      run: async (ctx) => {
        ctx.progress({ current: 3, total: 8, message: "rows" });
        await new Promise<void>((resolve) => (release = resolve));
        return "done";
      },
    }),
  };
}

beforeAll(async () => {
  h = createDashboardHarness("dashboard-workflow");
  t = defineTasks(h.app);
  await h.startWorker({ queues: [QUEUE], concurrency: 4 });
});
afterAll(async () => {
  release();
  await h?.close();
});

const detail = async (id: string) => {
  const answer = await h.call<TaskDetail>("GET", `tasks/${id}`);
  expect(answer.status).toBe(200);
  return answer.body;
};

/** "name:STATUS" per task, "[group|chord: members]" per group, children in parentheses; "*" marks a not-run step. */
function shape(nodes: readonly WorkflowNode[]): string[] {
  return nodes.map((n) => {
    const kids = n.children.length ? ` (${shape(n.children).join(", ")})` : "";
    if (n.kind === "group") return `[${n.callbackId ? "chord" : "group"}: ${shape(n.members).join(", ")}]${kids}`;
    return `${n.name!.split(".").at(-1)}:${n.status}${n.notRun ? "*" : ""}${kids}`;
  });
}

const tasksIn = (nodes: readonly WorkflowNode[]): WorkflowTaskNode[] =>
  nodes.flatMap((n) => (n.kind === "group" ? [...n.members, ...tasksIn(n.children)] : [n, ...tasksIn(n.children)]));

describe("the task detail's workflow", () => {
  it("a chain: each step under the one before, with its state and runtime, seen from any of its steps", async () => {
    const last = await chain(t.add.s(2, 3), t.double.s(), t.double.s()).delay();
    expect(await last.get({ timeout: 15_000 })).toBe(20);
    const first = last.parent!.parent!;
    const tree = (await detail(last.id)).workflow!;
    expect(tree).toMatchObject({ rootId: first.id, truncated: false, limit: 500 });
    expect(shape(tree.nodes)).toEqual(["add:SUCCESS (double:SUCCESS (double:SUCCESS))"]);
    const steps = tasksIn(tree.nodes);
    expect(steps.map((s) => s.id)).toEqual([first.id, last.parent!.id, last.id]);
    expect(steps.every((s) => s.recorded && typeof s.runtimeMs === "number" && s.notRun === null)).toBe(true);
    // The first step's page shows the same tree.
    expect((await detail(first.id)).workflow).toEqual(tree);
  });

  it("a chord: one group node with its members in order, the callback under the group", async () => {
    const callback = await chord(group(t.add.s(1, 1), t.add.s(2, 2), t.add.s(3, 3)), t.sum.s()).delay();
    expect(await callback.get({ timeout: 15_000 })).toBe(12);
    const tree = (await detail(callback.id)).workflow!;
    expect(shape(tree.nodes)).toEqual(["[chord: add:SUCCESS, add:SUCCESS, add:SUCCESS] (sum:SUCCESS)"]);
    const node = tree.nodes[0] as WorkflowGroupNode;
    expect(tree.rootId).toBe(node.id);
    expect(node).toMatchObject({ callbackId: callback.id, memberCount: 3 });
    const members = await Promise.all(node.members.map((m) => detail(m.id)));
    // In the group's order: the members' results are 2, 4, 6 (GroupResult.get()'s order).
    expect(members.map((m) => m.result)).toEqual([2, 4, 6]);
    expect((await detail(node.members[1]!.id)).workflow).toEqual(tree);
  });

  it("a failing chain: the failed step, then the steps that never ran, naming the step it stopped at", async () => {
    const last = await chain(t.add.s(1, 2), t.boom.s(), t.double.s(), t.double.s()).delay();
    await expect(last.get({ timeout: 15_000 })).rejects.toThrow("no good: 3");
    const failed = last.parent!.parent!;
    const tree = (await detail(last.id)).workflow!;
    expect(shape(tree.nodes)).toEqual(["add:SUCCESS (boom:FAILURE (double:FAILURE* (double:FAILURE*)))"]);
    const [, boom, ...never] = tasksIn(tree.nodes);
    expect(boom!.notRun).toBeNull();
    expect(never.map((s) => s.notRun)).toEqual([
      { stoppedBy: failed.id, stoppedByName: name("boom") },
      { stoppedBy: failed.id, stoppedByName: name("boom") },
    ]);
  });

  it("a task sent alone has none", async () => {
    const r = await t.add.delay(1, 1);
    await r.get({ timeout: 15_000 });
    expect((await detail(r.id)).workflow).toBeNull();
  });
});

describe("progress in the dashboard", () => {
  it("a PROGRESS task's progress in its detail, its Tasks list row and the live feed", async () => {
    const gone = new AbortController();
    const feed = (await h.dashboard.handle(h.request("GET", "events", { signal: gone.signal }))).body!;
    await readEvents(feed, (e) => e.event === "queues");
    const r = await t.slow.delay();
    const progress = { current: 3, total: 8, message: "rows" };
    const events = await readEvents(feed, (e) => e.event === "tasks" && e.data.some((row: { id: string; status: string }) => row.id === r.id && row.status === "PROGRESS"));
    const announced = events.flatMap((e) => (e.event === "tasks" ? e.data : [])).find((row: { id: string; status: string }) => row.id === r.id && row.status === "PROGRESS");
    expect(announced.progress).toEqual(progress);
    gone.abort();

    expect((await detail(r.id)).progress).toEqual(progress);
    const list = await eventually(() => h.call<TaskPage>("GET", `tasks?id=${r.id}`), (a) => a.body.rows[0]?.status === "PROGRESS");
    expect(list.body.rows[0]!.progress).toEqual(progress);
    release();
    expect(await r.get({ timeout: 15_000 })).toBe("done");
    expect((await detail(r.id)).progress).toBeNull();
  });
});
