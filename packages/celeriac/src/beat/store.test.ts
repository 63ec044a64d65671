import { describe, expect, it } from "vitest";
import { resolveConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { clocked, cron, crontab, every, nextRun } from "./schedule.js";
import { definitionFromEntry, parseDefinition, scheduleFromSpec, specFromSchedule, type ScheduleSpec } from "./store.js";
import { BACKEND_CLEANUP, settingsDefinitions } from "./scheduler.js";

const at = (iso: string) => new Date(iso);

describe("schedules to rows and back", () => {
  it("stores every kind made in code so that the row fires at the same times", () => {
    const schedules = [
      every(30),
      every("1h30m"),
      every("1500ms"),
      crontab({ minute: "*/15", hour: "*/3,8-17", dayOfWeek: "thu,fri", timezone: "Asia/Taipei" }),
      crontab({ minute: 0, hour: 4 }),
      cron("30 7 * * 1", { timezone: "Europe/Berlin" }),
    ];
    for (const schedule of schedules) {
      const back = scheduleFromSpec(specFromSchedule(schedule));
      let a = at("2026-03-28T00:00:00Z");
      let b = a;
      for (let i = 0; i < 20; i++) {
        a = nextRun(schedule as Exclude<typeof schedule, { kind: "clocked" }>, a);
        b = nextRun(back as typeof schedule, b)!;
        expect(b).toEqual(a);
      }
    }
  });

  it("picks the largest whole period for an interval", () => {
    expect(specFromSchedule(every("2d"))).toEqual({ kind: "interval", every: 2, period: "days" });
    expect(specFromSchedule(every(90))).toEqual({ kind: "interval", every: 90, period: "seconds" });
    expect(specFromSchedule(every("1500ms"))).toEqual({ kind: "interval", every: 1500, period: "milliseconds" });
  });

  it("keeps a raw cron string as cron and a clocked instant as clocked", () => {
    expect(specFromSchedule(cron("@daily"))).toEqual({ kind: "cron", expression: "@daily", timezone: null });
    expect(specFromSchedule(clocked("2026-12-24T18:00:00Z"))).toEqual({ kind: "clocked", at: at("2026-12-24T18:00:00Z") });
  });

  it("refuses a row whose schedule cannot fire, naming the field", () => {
    const bad: ScheduleSpec[] = [
      { kind: "crontab", minute: "61", hour: "*", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: null },
      { kind: "crontab", minute: "0", hour: "0", dayOfWeek: "*", dayOfMonth: "31", monthOfYear: "2", timezone: null },
      { kind: "cron", expression: "not a cron", timezone: null },
      { kind: "crontab", minute: "0", hour: "*", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: "Mars/Olympus" },
    ];
    for (const spec of bad) expect(() => scheduleFromSpec(spec)).toThrow(ConfigError);
  });
});

describe("periodic task definitions", () => {
  const base = { name: "nightly", task: "reports.nightly", schedule: { kind: "interval", every: 1, period: "days" } } as const;

  it("fills in Celery's defaults", () => {
    expect(parseDefinition(base)).toMatchObject({ args: [], queue: null, enabled: true, oneOff: false, catchUp: "one", startTime: null });
  });

  it("refuses bad input with the field named, and non-JSON arguments", () => {
    expect(() => parseDefinition({ ...base, name: "" })).toThrow(/name/);
    expect(() => parseDefinition({ ...base, catchUp: "all" as never })).toThrow(/catchUp/);
    expect(() => parseDefinition({ ...base, schedule: { kind: "interval", every: 0, period: "days" } })).toThrow(/schedule\.every/);
    expect(() => parseDefinition({ ...base, schedule: { kind: "hourly" } as never })).toThrow(/schedule/);
    expect(() => parseDefinition({ ...base, queue: "no spaces allowed" })).toThrow(/queue/);
    expect(() => parseDefinition({ ...base, args: [new Date()] })).toThrow(/Date/);
    expect(() => parseDefinition({ ...base, startTime: "yesterday" as never })).toThrow(/startTime/);
  });

  it("refuses text PostgreSQL cannot store in every text field and argument, naming it", () => {
    expect(() => parseDefinition({ ...base, name: "a\u0000b" })).toThrow(/name: contains a NUL character/);
    expect(() => parseDefinition({ ...base, task: "\ud800x" })).toThrow(/task: contains an unpaired surrogate/);
    expect(() => parseDefinition({ ...base, description: "x\udc00" })).toThrow(/description: contains an unpaired surrogate/);
    expect(() => parseDefinition({ ...base, schedule: { kind: "cron", expression: "* * * * *\u0000" } })).toThrow(/schedule\.expression: contains a NUL/);
    expect(() => parseDefinition({ ...base, schedule: { kind: "crontab", minute: "\ud800" } as never })).toThrow(/schedule\.minute: contains an unpaired/);
    expect(() => parseDefinition({ ...base, args: [{ note: "\ud800x" }] })).toThrow(/args\[0\]\.note\) is a string containing an unpaired surrogate/);
    expect(() => parseDefinition({ ...base, args: [{ "a\u0000": 1 }] })).toThrow(/args\[0\]\["a\\u0000"\]\) is a key containing a NUL character/);
  });

  it("reads ISO strings as instants (what the admin form sends)", () => {
    const definition = parseDefinition({ ...base, startTime: "2026-12-01T08:00:00Z", schedule: { kind: "clocked", at: "2026-12-24T18:00:00+08:00" } });
    expect(definition.startTime).toEqual(at("2026-12-01T08:00:00Z"));
    expect(definition.schedule).toEqual({ kind: "clocked", at: at("2026-12-24T10:00:00Z") });
  });
});

describe("settings.beatSchedule", () => {
  it("accepts seed 002's entries and becomes one definition each, plus the built-in cleanup", () => {
    const config = resolveConfig({
      timezone: "Asia/Taipei",
      beatSchedule: {
        "add-every-30-seconds": { task: "tasks.add", schedule: 30, args: [16, 16] },
        "add-every-monday-morning": { task: "tasks.add", schedule: crontab({ hour: 7, minute: 30, dayOfWeek: 1 }), args: [16, 16], options: { queue: "reports" } },
      },
    });
    const definitions = settingsDefinitions(config);
    expect(definitions.map((d) => d.name)).toEqual(["add-every-30-seconds", "add-every-monday-morning", BACKEND_CLEANUP]);
    expect(definitions[0]).toMatchObject({ task: "tasks.add", args: [16, 16], schedule: { kind: "interval", every: 30, period: "seconds" } });
    expect(definitions[1]).toMatchObject({ queue: "reports", schedule: { kind: "crontab", minute: "30", hour: "7", dayOfWeek: "1" } });
    expect(definitions[2]).toMatchObject({ task: BACKEND_CLEANUP, schedule: { kind: "crontab", minute: "0", hour: "4" } });
  });

  it("leaves the cleanup out when results never expire, and lets an entry of its name replace it", () => {
    expect(settingsDefinitions(resolveConfig({ resultExpires: 0 })).map((d) => d.name)).toEqual([]);
    const own = resolveConfig({ beatSchedule: { [BACKEND_CLEANUP]: { task: BACKEND_CLEANUP, schedule: every("6h") } } });
    expect(settingsDefinitions(own)).toMatchObject([{ name: BACKEND_CLEANUP, schedule: { kind: "interval", every: 6, period: "hours" } }]);
  });

  it("refuses malformed entries when the app is created, naming them", () => {
    expect(() => resolveConfig({ beatSchedule: { x: { task: "t", schedule: "every minute" as never } } })).toThrow(/beatSchedule\.x\.schedule/);
    expect(() => resolveConfig({ beatSchedule: { x: { task: "t", schedule: -5 } } })).toThrow(/beatSchedule\.x\.schedule/);
    expect(() => resolveConfig({ beatSchedule: { x: { task: "t", schedule: 5, kwargs: {} } as never } })).toThrow(/kwargs/);
    expect(() => resolveConfig({ timezone: "Asia/Taipeh" })).toThrow(/timezone/);
    expect(() => definitionFromEntry("x", resolveConfig({ beatSchedule: { x: { task: "t", schedule: 5, args: [1n] } } }).beatSchedule.x)).toThrow(/BigInt/i);
  });
});
