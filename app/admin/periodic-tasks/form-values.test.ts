import { describe, expect, it } from "vitest";
import { fieldOfServerError, formValuesOf, inputFromForm } from "./form-values";

const base = { ...formValuesOf(), name: "add", task: "demo.add", args: "[1, 2]" };

describe("inputFromForm", () => {
  it("builds an interval definition with parsed arguments and blank options as null", () => {
    expect(inputFromForm({ ...base, every: "10", period: "minutes" })).toEqual({
      input: {
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

  it("builds crontab, cron and clocked schedules (blank crontab fields are *; blank zone is the app's)", () => {
    expect(inputFromForm({ ...base, kind: "crontab", minute: "30", hour: "3", dayOfWeek: "", timezone: "Europe/Berlin" }).input?.schedule).toEqual({
      kind: "crontab",
      minute: "30",
      hour: "3",
      dayOfWeek: "*",
      dayOfMonth: "*",
      monthOfYear: "*",
      timezone: "Europe/Berlin",
    });
    expect(inputFromForm({ ...base, kind: "cron", expression: " 0 7 * * 1 " }).input?.schedule).toEqual({ kind: "cron", expression: "0 7 * * 1", timezone: null });
    expect(inputFromForm({ ...base, kind: "clocked", at: "2030-01-01T09:00:00Z" }).input?.schedule).toEqual({ kind: "clocked", at: "2030-01-01T09:00:00Z" });
  });

  it("reports malformed JSON, a non-array, and non-integers by field", () => {
    expect(inputFromForm({ ...base, args: "[1," }).errors?.args).toMatch(/^Not valid JSON/);
    expect(inputFromForm({ ...base, args: '{"a":1}' }).errors?.args).toMatch(/JSON array/);
    expect(inputFromForm({ ...base, every: "1.5", priority: "high" }).errors).toEqual({ every: "Enter a whole number.", priority: "Enter a whole number." });
    expect(inputFromForm({ ...base, every: "" }).errors).toEqual({ every: "Required." });
    expect(inputFromForm({ ...base, args: "" }).input?.args).toEqual([]);
  });
});

describe("formValuesOf", () => {
  it("round-trips a view through the form", () => {
    const view = {
      name: "nightly",
      task: "articles.expandPending",
      args: ["x", 2],
      queue: "slow",
      priority: 3,
      expireSeconds: 60,
      enabled: false,
      oneOff: true,
      catchUp: "none" as const,
      description: "d",
      schedule: { kind: "crontab" as const, minute: "30", hour: "3", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: null },
      startTime: "2030-01-01T00:00:00.000Z",
      expires: new Date("2031-01-01T00:00:00Z"),
    };
    const values = formValuesOf(view);
    expect(values).toMatchObject({ args: '["x",2]', kind: "crontab", minute: "30", timezone: "", priority: "3", expires: "2031-01-01T00:00:00.000Z" });
    const { input } = inputFromForm(values);
    expect(input).toMatchObject({ ...view, expires: "2031-01-01T00:00:00.000Z" });
  });
});

describe("server errors to inputs", () => {
  it("maps zod paths and the framework's error fields to the input they are about", () => {
    expect(fieldOfServerError("schedule.minute")).toBe("minute");
    expect(fieldOfServerError("name")).toBe("name");
    expect(fieldOfServerError("schedule")).toBe("kind");
    expect(fieldOfServerError("bogus")).toBeNull();
    // InvalidScheduleError's `field`, as save.ts prefixes it, and InvalidPeriodicTaskError's issue fields.
    for (const field of ["every", "minute", "hour", "dayOfWeek", "dayOfMonth", "monthOfYear", "expression", "timezone", "at"] as const) {
      expect(fieldOfServerError(`schedule.${field}`)).toBe(field);
    }
    expect(fieldOfServerError("args")).toBe("args");
    expect(fieldOfServerError("")).toBeNull();
  });
});
