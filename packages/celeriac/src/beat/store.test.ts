import { describe, expect, it } from "vitest";
import { resolveConfig } from "../config.js";
import { ConfigError, CorruptRowError, InvalidPeriodicTaskError, InvalidScheduleError, NotFoundError, type ScheduleField } from "../errors.js";
import { clocked, cron, crontab, every, nextRun } from "./schedule.js";
import { definitionFromEntry, parseDefinition, PeriodicTaskStore, scheduleFromSpec, specFromSchedule, type PeriodicTaskClient, type ScheduleSpec } from "./store.js";
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

  it("says which field by InvalidScheduleError.field (the spec's key), null when the fields together never fire", () => {
    const fieldOf = (spec: ScheduleSpec): ScheduleField | null => {
      try {
        scheduleFromSpec(spec);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidScheduleError);
        return (error as InvalidScheduleError).field;
      }
      throw new Error("no error");
    };
    const crontab = { kind: "crontab", minute: "0", hour: "*", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: null } as const;
    expect(fieldOf({ ...crontab, minute: "61" })).toBe("minute");
    expect(fieldOf({ ...crontab, hour: "24" })).toBe("hour");
    expect(fieldOf({ ...crontab, dayOfWeek: "funday" })).toBe("dayOfWeek");
    expect(fieldOf({ ...crontab, dayOfMonth: "0" })).toBe("dayOfMonth");
    expect(fieldOf({ ...crontab, monthOfYear: "13" })).toBe("monthOfYear");
    expect(fieldOf({ ...crontab, timezone: "Mars/Olympus" })).toBe("timezone");
    expect(fieldOf({ ...crontab, dayOfMonth: "31", monthOfYear: "2" })).toBeNull();
    expect(fieldOf({ kind: "cron", expression: "not a cron", timezone: null })).toBe("expression");
    expect(fieldOf({ kind: "cron", expression: "0 7 * * 1", timezone: "Mars/Olympus" })).toBe("timezone");
    expect(fieldOf({ kind: "clocked", at: new Date(Number.NaN) })).toBe("at");
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

  it("lists each problem by field in an InvalidPeriodicTaskError (a ConfigError: a bad settings entry stops beat at start-up)", () => {
    const issuesOf = (input: Parameters<typeof parseDefinition>[0]) => {
      try {
        parseDefinition(input);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidPeriodicTaskError);
        expect(error).toBeInstanceOf(ConfigError);
        return (error as InvalidPeriodicTaskError).issues;
      }
      throw new Error("no error");
    };
    expect(issuesOf({ ...base, name: "", schedule: { kind: "interval", every: 0, period: "days" } }).map((i) => i.field)).toEqual(["name", "schedule.every"]);
    expect(issuesOf({ ...base, args: [{ note: "\ud800x" }] })).toEqual([{ field: "args", message: expect.stringMatching(/^argument 0 \(args\[0\]\.note\) is a string/) }]);
    expect(() => parseDefinition({ ...base, schedule: { kind: "cron", expression: "61 * * * *" } })).toThrow(InvalidScheduleError);
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

describe("the store's errors", () => {
  const definition = { name: "nightly", task: "reports.nightly", schedule: { kind: "interval", every: 1, period: "days" } } as const;
  const row = {
    id: 7, name: "hand-written", task: "t", args: [], queue: null, priority: null, expireSeconds: null, intervalId: null, crontabId: null, clockedId: null,
    enabled: true, oneOff: false, startTime: null, expires: null, catchUp: "one", lastRunAt: null, totalRunCount: 0, description: "", managed: false,
    settingsDigest: null, createdAt: new Date(0), updatedAt: new Date(0), interval: null, crontab: null, clocked: null,
  };
  const storeWith = (rows: (typeof row)[]) =>
    new PeriodicTaskStore({
      periodicTask: { findUnique: async ({ where }: { where: { id?: number } }) => rows.find((r) => r.id === where.id) ?? null, findMany: async () => rows },
    } as unknown as PeriodicTaskClient);

  it("a periodic task that does not exist: NotFoundError with kind and id (not a ConfigError: no exit 78)", async () => {
    const store = storeWith([]);
    for (const write of [() => store.update(41, definition), () => store.setEnabled(41, false), () => store.remove(41), () => store.returnToSettings(41)]) {
      const error = await write().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).not.toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ kind: "periodic task", id: 41, message: "no periodic task with id 41" });
    }
  });

  it("a row with no schedule: CorruptRowError naming the table, the row and the columns (not a ConfigError)", async () => {
    const error = await storeWith([row]).list().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptRowError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ table: "PeriodicTask", id: 7, columns: ["intervalId", "crontabId", "clockedId"], message: expect.stringMatching(/'hand-written' has no schedule/) });
  });
});
