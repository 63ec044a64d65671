import { describe, expect, it } from "vitest";
import type { PeriodicTaskRow } from "../../api-types.js";
import { bodyFromForm, fieldOfServerError, formValuesOf } from "./periodic-form-values.js";

const ZONE = "Europe/Berlin";
const base = { ...formValuesOf(undefined, ZONE), name: "add", task: "demo.add", args: "[1, 2]" };

function row(over: Partial<PeriodicTaskRow> = {}): PeriodicTaskRow {
  return {
    id: 1,
    name: "nightly",
    task: "articles.expandPending",
    args: ["x", 2],
    queue: "slow",
    priority: 3,
    expireSeconds: 60,
    schedule: { kind: "crontab", minute: "30", hour: "3", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: null },
    scheduleText: "at 03:30",
    timezone: ZONE,
    enabled: false,
    oneOff: true,
    startTime: "2030-01-01T08:00:00.000Z",
    expires: "2031-07-01T10:15:30.000Z",
    catchUp: "none",
    description: "d",
    source: "admin",
    totalRunCount: 0,
    lastRunAt: null,
    lastRun: null,
    nextRuns: [],
    problem: null,
    ...over,
  };
}

describe("bodyFromForm", () => {
  it("builds an interval body with parsed arguments and blank options as null", () => {
    expect(bodyFromForm({ ...base, every: "10", period: "minutes" }, ZONE)).toEqual({
      body: {
        name: "add",
        task: "demo.add",
        args: [1, 2],
        queue: null,
        priority: null,
        expireSeconds: null,
        schedule: { kind: "interval", every: 10, period: "minutes" },
        enabled: true,
        oneOff: false,
        startTime: null,
        expires: null,
        catchUp: "one",
        description: "",
      },
    });
  });

  it("builds crontab, cron and clocked schedules (blank crontab fields are *; blank zone is the app's; at is read in the zone)", () => {
    expect(bodyFromForm({ ...base, kind: "crontab", minute: "30", hour: "3", dayOfWeek: "", timezone: "Asia/Tokyo" }, ZONE).body?.schedule).toEqual({
      kind: "crontab",
      minute: "30",
      hour: "3",
      dayOfWeek: "*",
      dayOfMonth: "*",
      monthOfYear: "*",
      timezone: "Asia/Tokyo",
    });
    expect(bodyFromForm({ ...base, kind: "cron", expression: " 0 7 * * 1 " }, ZONE).body?.schedule).toEqual({ kind: "cron", expression: "0 7 * * 1", timezone: null });
    expect(bodyFromForm({ ...base, kind: "clocked", at: "2030-01-01T10:00" }, ZONE).body?.schedule).toEqual({ kind: "clocked", at: "2030-01-01T09:00:00.000Z" });
    expect(bodyFromForm({ ...base, startTime: "2030-06-01T09:00", expires: "2030-12-01T09:00" }, ZONE).body).toMatchObject({
      startTime: "2030-06-01T07:00:00.000Z",
      expires: "2030-12-01T08:00:00.000Z",
    });
  });

  it("reports malformed JSON, a non-array, non-integers, missing fields and bad dates by input", () => {
    expect(bodyFromForm({ ...base, args: "[1," }, ZONE).errors?.args).toMatch(/^Not valid JSON/);
    expect(bodyFromForm({ ...base, args: '{"a":1}' }, ZONE).errors?.args).toMatch(/JSON array/);
    expect(bodyFromForm({ ...base, every: "1.5", priority: "high" }, ZONE).errors).toEqual({ every: "Enter a whole number.", priority: "Enter a whole number." });
    expect(bodyFromForm({ ...base, every: "", name: " ", task: "" }, ZONE).errors).toEqual({ every: "Required.", name: "Required.", task: "Choose a task." });
    expect(bodyFromForm({ ...base, kind: "clocked", at: "" }, ZONE).errors).toEqual({ at: "Required." });
    expect(bodyFromForm({ ...base, expires: "2030-13-01T09:00" }, ZONE).errors).toEqual({ expires: "Enter a date and a time." });
    expect(bodyFromForm({ ...base, args: "" }, ZONE).body?.args).toEqual([]);
  });
});

describe("formValuesOf", () => {
  it("round-trips a row through the form, its instants shown in the zone", () => {
    const values = formValuesOf(row(), ZONE);
    expect(values).toMatchObject({ args: '["x",2]', kind: "crontab", minute: "30", timezone: "", priority: "3", startTime: "2030-01-01T09:00", expires: "2031-07-01T12:15:30" });
    const { body } = bodyFromForm(values, ZONE);
    const { name, task, args, queue, priority, expireSeconds, schedule, enabled, oneOff, startTime, expires, catchUp, description } = row();
    expect(body).toEqual({ name, task, args, queue, priority, expireSeconds, schedule, enabled, oneOff, startTime, expires, catchUp, description });
  });

  it("keeps interval, cron and clocked schedules", () => {
    expect(formValuesOf(row({ schedule: { kind: "interval", every: 2, period: "hours" } }), ZONE)).toMatchObject({ kind: "interval", every: "2", period: "hours" });
    expect(formValuesOf(row({ schedule: { kind: "cron", expression: "*/5 * * * *", timezone: "UTC" } }), ZONE)).toMatchObject({ expression: "*/5 * * * *", timezone: "UTC" });
    expect(formValuesOf(row({ schedule: { kind: "clocked", at: "2030-01-01T08:00:00.000Z" } }), ZONE)).toMatchObject({ kind: "clocked", at: "2030-01-01T09:00" });
  });

  it("asks for redacted arguments again instead of saving them as an empty list", () => {
    const values = formValuesOf(row({ args: "••••" }), ZONE);
    expect(values).toMatchObject({ args: "", argsHidden: true });
    expect(bodyFromForm(values, ZONE).errors?.args).toMatch(/redacts its arguments/);
    expect(bodyFromForm({ ...values, args: '["secret"]' }, ZONE).body?.args).toEqual(["secret"]);
  });
});

describe("fieldOfServerError", () => {
  it("maps the 400 answer's field to the input it is about", () => {
    expect(fieldOfServerError("schedule.minute")).toBe("minute");
    expect(fieldOfServerError("task")).toBe("task");
    expect(fieldOfServerError("args")).toBe("args");
    expect(fieldOfServerError("schedule")).toBe("kind");
    expect(fieldOfServerError("schedule.kind")).toBe("kind");
    for (const field of ["every", "period", "minute", "hour", "dayOfWeek", "dayOfMonth", "monthOfYear", "expression", "timezone", "at"] as const) {
      expect(fieldOfServerError(`schedule.${field}`)).toBe(field);
    }
    expect(fieldOfServerError("bogus")).toBeNull();
    expect(fieldOfServerError("argsHidden")).toBeNull();
    expect(fieldOfServerError(undefined)).toBeNull();
    expect(fieldOfServerError("")).toBeNull();
  });
});
