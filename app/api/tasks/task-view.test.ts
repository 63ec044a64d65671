import { describe, expect, it } from "vitest";
import { States, type TaskRecord } from "celeriac";
import { taskView } from "./task-view";

const record = (fields: Partial<TaskRecord>): TaskRecord => ({
  id: "t-1",
  name: "demo.count",
  status: States.PENDING,
  args: [],
  result: null,
  error: null,
  queue: "default",
  worker: "celeriac@host",
  retries: 0,
  createdAt: new Date(0),
  startedAt: new Date(0),
  doneAt: null,
  runtimeMs: null,
  owner: null,
  parentId: null,
  rootId: null,
  groupId: null,
  meta: null,
  ...fields,
});

describe("taskView: GET /api/tasks/[id]'s body", () => {
  it("shows a PROGRESS task's progress (its three fields only)", () => {
    const meta = { current: 3, total: 10, message: "rows", internal: "not shown" };
    expect(taskView(record({ status: States.PROGRESS, meta }))).toEqual({ id: "t-1", name: "demo.count", status: "PROGRESS", progress: { current: 3, total: 10, message: "rows" } });
  });

  it("shows no progress in any other state, nor for a PROGRESS row whose meta is not one", () => {
    expect(taskView(record({ status: States.STARTED, meta: { current: 1, total: 2 } }))).toEqual({ id: "t-1", name: "demo.count", status: "STARTED" });
    expect(taskView(record({ status: States.PROGRESS, meta: { chainStoppedBy: "x" } }))).toEqual({ id: "t-1", name: "demo.count", status: "PROGRESS" });
    expect(taskView(record({ status: States.SUCCESS, result: 5, meta: null }))).toEqual({ id: "t-1", name: "demo.count", status: "SUCCESS", result: 5 });
  });

  it("names the step that stopped a chain on a step that never ran; an ordinary failure has none", () => {
    const error = { type: "PageFetchError", message: "GET http://x/ answered 404", stack: "at …" };
    expect(taskView(record({ status: States.FAILURE, error, meta: { chainStoppedBy: "t-0" } }))).toEqual({
      id: "t-1",
      name: "demo.count",
      status: "FAILURE",
      error: { type: "PageFetchError", message: "GET http://x/ answered 404" },
      chainStoppedBy: "t-0",
    });
    expect(taskView(record({ status: States.FAILURE, error, meta: null }))).not.toHaveProperty("chainStoppedBy");
  });
});
