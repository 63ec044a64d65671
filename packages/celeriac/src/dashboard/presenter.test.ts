import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { TaskState } from "../states.js";
import { defineTask } from "../task/define.js";
import { Registry } from "../task/registry.js";
import { KnownTasks } from "./known-tasks.js";
import { Presenter, REDACTED, redact } from "./presenter.js";

const secret = defineTask({ name: "auth.reset", args: z.tuple([z.number()]), redactArgs: true, run: () => null });
const partly = defineTask({ name: "mail.send", args: z.tuple([z.string(), z.string(), z.number()]), redactArgs: [1], run: () => null });
const open = defineTask({ name: "demo.add", args: z.tuple([z.number(), z.number()]), run: () => 0 });
const registry = new Registry();
registry.register(open);
const presenter = new Presenter(new KnownTasks([secret, { partly, notATask: 3 }], registry));

const item = {
  id: "t1",
  name: "auth.reset",
  status: "FAILURE" as const,
  args: [42],
  queue: "default",
  worker: "celeriac@w1",
  retries: 1,
  createdAt: new Date("2026-12-01T10:00:00Z"),
  startedAt: new Date("2026-12-01T10:00:01Z"),
  doneAt: new Date("2026-12-01T10:00:03Z"),
  runtimeMs: 2000,
  errorType: "Error",
  errorMessage: "boom",
  retriedFrom: null,
  rootId: null,
  meta: null,
};

describe("redact", () => {
  it("hides every argument (true), the listed positions, or nothing", () => {
    expect(redact([1, 2], true)).toBe(REDACTED);
    expect(redact(["a", "b", "c"], [0, 2])).toEqual([REDACTED, "b", REDACTED]);
    expect(redact([1, 2], undefined)).toEqual([1, 2]);
    // Arguments not stored as a list (a row the database refused) are hidden whole when any position is secret.
    expect(redact(null, [1])).toBe(REDACTED);
  });
});

describe("Presenter: one place for redaction", () => {
  it("redacts by the task's own rule: given tasks, module namespaces and the registry alike", () => {
    expect(presenter.args("auth.reset", [42])).toBe(REDACTED);
    expect(presenter.args("mail.send", ["to", "token", 3])).toEqual(["to", REDACTED, 3]);
    expect(presenter.args("demo.add", [1, 2])).toEqual([1, 2]);
    expect(presenter.args("unknown.task", [1])).toEqual([1]);
  });

  it("a list row: ISO times, redacted args, a PROGRESS row's progress", () => {
    const { meta: _, ...shown } = item;
    expect(presenter.taskRow(item)).toEqual({
      ...shown,
      progress: null,
      args: REDACTED,
      createdAt: "2026-12-01T10:00:00.000Z",
      startedAt: "2026-12-01T10:00:01.000Z",
      doneAt: "2026-12-01T10:00:03.000Z",
    });
    expect(presenter.taskRow({ ...item, status: "PROGRESS", meta: { current: 1, total: 4 } }).progress).toEqual({ current: 1, total: 4 });
  });

  it("a detail: what the page may offer follows the status", () => {
    const detail = (status: TaskState) =>
      presenter.taskDetail({ ...item, status, result: null, errorStack: "Error: boom\n    at run", owner: null, retriedTo: ["t2"], outbox: null, workflow: null }).can;
    expect(detail("FAILURE")).toEqual({ retry: true, revoke: false, terminate: false });
    expect(detail("REVOKED")).toEqual({ retry: true, revoke: false, terminate: false });
    expect(detail("SUCCESS")).toEqual({ retry: false, revoke: false, terminate: false });
    expect(detail("PENDING")).toEqual({ retry: false, revoke: true, terminate: false });
    expect(detail("RETRY")).toEqual({ retry: false, revoke: true, terminate: false });
    expect(detail("STARTED")).toEqual({ retry: false, revoke: true, terminate: true });
    expect(detail("PROGRESS")).toEqual({ retry: false, revoke: true, terminate: true });
  });

  it("a detail shows a PROGRESS task's progress, and none in other states (a stopped chain step's meta is not one)", () => {
    const detail = (status: TaskState, meta: unknown) =>
      presenter.taskDetail({ ...item, status, result: null, errorStack: null, owner: null, meta, retriedTo: [], outbox: null, workflow: null }).progress;
    expect(detail("PROGRESS", { current: 3, total: 8, message: "rows" })).toEqual({ current: 3, total: 8, message: "rows" });
    expect(detail("SUCCESS", null)).toBeNull();
    expect(detail("FAILURE", { chainStoppedBy: "t1" })).toBeNull();
  });

  it("an announced record: its error in the row's two columns, args redacted", () => {
    const { errorType: _t, errorMessage: _m, retriedFrom: _r, ...rest } = item;
    const row = presenter.taskRowOfRecord({ ...rest, result: null, error: { type: "Error", message: "boom" }, owner: null, parentId: null, rootId: null, groupId: null, meta: null }, "t0");
    expect(row).toMatchObject({ args: REDACTED, errorType: "Error", errorMessage: "boom", retriedFrom: "t0" });
  });

  it("a periodic row: JSON-safe (ISO times), its source, the facts worked out about it, args redacted", () => {
    const at = new Date("2026-05-01T10:00:00Z");
    const view = {
      id: 1,
      name: "reset-nightly",
      task: "auth.reset",
      args: [16],
      queue: null,
      priority: null,
      expireSeconds: null,
      schedule: { kind: "clocked" as const, at: new Date("2026-05-02T03:00:00Z") },
      enabled: true,
      oneOff: true,
      startTime: null,
      expires: new Date("2026-06-01T00:00:00Z"),
      catchUp: "one" as const,
      description: "",
      lastRunAt: new Date("2026-05-01T10:00:30Z"),
      lastTaskId: "t9",
      totalRunCount: 3,
      managed: false,
      detached: true,
      createdAt: at,
      updatedAt: at,
    };
    const facts = { scheduleText: "clocked 2026-05-02 03:00", timezone: "Asia/Taipei", lastRun: { taskId: "t9", status: "SUCCESS" as const }, nextRuns: [new Date("2026-05-02T03:00:00Z")], problem: null };
    expect(presenter.periodicRow(view, facts)).toMatchObject({
      args: REDACTED,
      schedule: { kind: "clocked", at: "2026-05-02T03:00:00.000Z" },
      scheduleText: "clocked 2026-05-02 03:00",
      timezone: "Asia/Taipei",
      source: "settings, edited in admin",
      expires: "2026-06-01T00:00:00.000Z",
      lastRunAt: "2026-05-01T10:00:30.000Z",
      lastRun: { taskId: "t9", status: "SUCCESS" },
      nextRuns: ["2026-05-02T03:00:00.000Z"],
      totalRunCount: 3,
      problem: null,
    });
    expect(JSON.parse(JSON.stringify(presenter.periodicRow(view, facts)))).toEqual(presenter.periodicRow(view, facts));
  });

  it("an audit entry: its outcome in words, the stored answer left out", () => {
    const entry = (detail: unknown) => presenter.auditEntry({ id: 1, at: new Date("2026-12-01T10:00:00Z"), actor: "ada", action: "task.retry", target: "t1", detail }).detail;
    expect(entry({ taskId: "t2", outcome: { status: 200, body: { ok: true, message: "retried" } } })).toEqual({ taskId: "t2", outcome: "ok" });
    expect(entry({ outcome: { status: 409, body: { error: "task t1 is SUCCESS" } } })).toEqual({ outcome: "refused: task t1 is SUCCESS" });
    expect(entry({ terminate: true })).toEqual({ terminate: true, outcome: "pending" });
    expect(entry(null)).toEqual({ outcome: "pending" });
  });
});
