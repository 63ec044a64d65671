import { describe, expect, it } from "vitest";
import { nextRunOf, nextRunsOf, scheduleSummary, sourceOf, type EntryView } from "./entry.js";

const created = new Date("2026-05-01T10:00:00Z");

function view(over: Partial<EntryView> = {}): EntryView {
  return {
    schedule: { kind: "interval", every: 30, period: "seconds" },
    enabled: true,
    oneOff: false,
    startTime: null,
    expires: null,
    catchUp: "one",
    lastRunAt: null,
    totalRunCount: 0,
    createdAt: created,
    ...over,
  };
}

describe("nextRunOf: when beat sends a row next (the admin shows it)", () => {
  const now = new Date("2026-05-01T10:00:45Z");

  it("an interval: the next slot on its grid from the last run (or from creation)", () => {
    expect(nextRunOf(view(), new Date("2026-05-01T10:00:20Z"), "UTC")?.toISOString()).toBe("2026-05-01T10:00:30.000Z");
    expect(nextRunOf(view({ lastRunAt: new Date("2026-05-01T10:00:30Z") }), now, "UTC")?.toISOString()).toBe("2026-05-01T10:01:00.000Z");
  });

  it("due now when a slot was missed (catch up one)", () => {
    const late = new Date("2026-05-01T10:05:00Z");
    expect(nextRunOf(view({ lastRunAt: new Date("2026-05-01T10:00:30Z") }), late, "UTC")?.toISOString()).toBe(late.toISOString());
  });

  it("a crontab, in the app's zone unless it has its own", () => {
    const spec = { kind: "crontab", minute: "30", hour: "3", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: null } as const;
    expect(nextRunOf(view({ schedule: spec }), now, "UTC")?.toISOString()).toBe("2026-05-02T03:30:00.000Z");
    expect(nextRunOf(view({ schedule: spec }), now, "Europe/Berlin")?.toISOString()).toBe("2026-05-02T01:30:00.000Z");
    expect(nextRunOf(view({ schedule: { ...spec, timezone: "Asia/Taipei" } }), now, "Europe/Berlin")?.toISOString()).toBe("2026-05-01T19:30:00.000Z");
  });

  it("none when disabled, expired, a one-off that ran, or a clocked time that ran", () => {
    expect(nextRunOf(view({ enabled: false }), now, "UTC")).toBeNull();
    expect(nextRunOf(view({ expires: new Date("2026-05-01T10:00:00Z") }), now, "UTC")).toBeNull();
    const lastRunAt = new Date("2026-05-01T10:00:30Z");
    expect(nextRunOf(view({ lastRunAt, expires: new Date("2026-05-01T10:00:50Z") }), now, "UTC")).toBeNull(); // next slot 10:01 is after it
    expect(nextRunOf(view({ oneOff: true, totalRunCount: 1 }), now, "UTC")).toBeNull();
    const at = new Date("2026-05-01T12:00:00Z");
    expect(nextRunOf(view({ schedule: { kind: "clocked", at } }), now, "UTC")?.toISOString()).toBe(at.toISOString());
    expect(nextRunOf(view({ schedule: { kind: "clocked", at }, lastRunAt: at }), now, "UTC")).toBeNull();
  });

  it("waits for startTime", () => {
    const startTime = new Date("2026-06-01T00:00:00Z");
    expect(nextRunOf(view({ startTime }), now, "UTC")?.toISOString()).toBe(startTime.toISOString());
  });
});


describe("sourceOf", () => {
  it("settings for managed rows, edited-in-admin for detached ones, admin otherwise", () => {
    expect(sourceOf({ managed: true, detached: false })).toBe("settings");
    expect(sourceOf({ managed: false, detached: true })).toBe("settings, edited in admin");
    expect(sourceOf({ managed: false, detached: false })).toBe("admin");
  });
});

describe("scheduleSummary", () => {
  it("describes the schedule and gives the next run", () => {
    expect(scheduleSummary(view({ lastRunAt: new Date("2026-05-01T10:00:30Z") }), new Date("2026-05-01T10:00:45Z"), "UTC")).toEqual({
      schedule: "every 30s",
      nextRunAt: new Date("2026-05-01T10:01:00Z"),
    });
  });

  it("says a schedule is invalid instead of throwing", () => {
    const bad = view({ schedule: { kind: "cron", expression: "not a cron", timezone: null } });
    expect(scheduleSummary(bad, created, "UTC")).toMatchObject({ schedule: expect.stringMatching(/^invalid schedule: /), nextRunAt: null });
  });
});

describe("nextRunsOf: the next sends, as beat will make them", () => {
  const now = new Date("2026-05-01T10:00:45Z");
  const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

  it("an interval: five slots on its grid", () => {
    expect(iso(nextRunsOf(view({ lastRunAt: new Date("2026-05-01T10:00:30Z") }), now, "UTC", 5))).toEqual([
      "2026-05-01T10:01:00.000Z",
      "2026-05-01T10:01:30.000Z",
      "2026-05-01T10:02:00.000Z",
      "2026-05-01T10:02:30.000Z",
      "2026-05-01T10:03:00.000Z",
    ]);
  });

  it("an overdue interval: now, then on from the missed slot's grid (not from now)", () => {
    const late = new Date("2026-05-01T10:05:10Z");
    expect(iso(nextRunsOf(view({ lastRunAt: new Date("2026-05-01T10:00:30Z") }), late, "UTC", 3))).toEqual([
      late.toISOString(),
      "2026-05-01T10:05:30.000Z",
      "2026-05-01T10:06:00.000Z",
    ]);
  });

  it("a crontab in its own zone, across days", () => {
    const spec = { kind: "crontab", minute: "30", hour: "3", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: "Europe/Berlin" } as const;
    expect(iso(nextRunsOf(view({ schedule: spec }), now, "UTC", 2))).toEqual(["2026-05-02T01:30:00.000Z", "2026-05-03T01:30:00.000Z"]);
  });

  it("stops at expires; a oneOff or clocked row runs once; a disabled row never", () => {
    expect(nextRunsOf(view({ lastRunAt: new Date("2026-05-01T10:00:30Z"), expires: new Date("2026-05-01T10:01:45Z") }), now, "UTC", 5)).toHaveLength(2);
    expect(nextRunsOf(view({ oneOff: true }), now, "UTC", 5)).toHaveLength(1);
    expect(nextRunsOf(view({ schedule: { kind: "clocked", at: new Date("2026-06-01T00:00:00Z") } }), now, "UTC", 5)).toHaveLength(1);
    expect(nextRunsOf(view({ enabled: false }), now, "UTC", 5)).toEqual([]);
  });
});
