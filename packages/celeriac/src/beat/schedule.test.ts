import { describe, expect, it } from "vitest";
import { ConfigError, InvalidScheduleError, type ScheduleField } from "../errors.js";
import { clocked, cron, crontab, describeSchedule, every, isDue, nextRun, toSchedule, type CrontabSchedule, type DueOptions, type IntervalSchedule, type Schedule } from "./schedule.js";

// A fake clock only: every "now" is a Date passed in; nothing sleeps.
const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The next `count` runs after `from`, as ISO strings. */
function runs(schedule: IntervalSchedule | CrontabSchedule, from: string, count: number, timezone?: string): string[] {
  const out: string[] = [];
  let cursor = at(from);
  for (let i = 0; i < count; i++) {
    cursor = nextRun(schedule, cursor, { timezone });
    out.push(cursor.toISOString());
  }
  return out;
}

/** Every run during [from, to), as ISO strings. */
function runsBetween(schedule: IntervalSchedule | CrontabSchedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (let cursor = nextRun(schedule, new Date(at(from).getTime() - 1)); cursor < at(to); cursor = nextRun(schedule, cursor)) {
    out.push(cursor.toISOString());
  }
  return out;
}

/** The UTC "HH:MM" times a schedule fires on one UTC day. */
const timesOn = (schedule: IntervalSchedule | CrontabSchedule, day: string) =>
  runsBetween(schedule, `${day}T00:00:00Z`, `${day}T23:59:59.999Z`).map((iso) => iso.slice(11, 16));

const hours = (list: number[]) => list.map((h) => `${String(h).padStart(2, "0")}:00`);

/**
 * A beat on the fake clock from `from` to `to` (both ticked): ticks every `tickMs` (or, with tickMs 0,
 * sleeps exactly nextInMs), runs what is due, records lastRunAt = slotAt. Returns the slots it ran.
 */
function simulateBeat(schedule: Schedule, from: string, to: string, tickMs: number, options: DueOptions = {}): string[] {
  const ran: string[] = [];
  let lastRunAt: Date | null = null;
  const end = at(to).getTime();
  for (let now = at(from).getTime(), last = false; !last; ) {
    last = now >= end;
    const result = isDue(schedule, lastRunAt, new Date(Math.min(now, end)), { startAt: at(from), ...options });
    expect(result.nextInMs).toBeGreaterThan(0);
    if (result.due) {
      ran.push(result.slotAt!.toISOString());
      lastRunAt = result.slotAt;
    }
    now += tickMs || result.nextInMs;
  }
  return ran;
}

describe("crontab: one test per row of Celery's crontab table (seed 002)", () => {
  it("crontab(): every minute", () => {
    const s = crontab();
    expect(s.expression).toBe("* * * * *");
    expect(runs(s, "2026-01-01T10:00:30Z", 3)).toEqual(["2026-01-01T10:01:00.000Z", "2026-01-01T10:02:00.000Z", "2026-01-01T10:03:00.000Z"]);
    expect(isDue(s, at("2026-01-01T10:00:00Z"), at("2026-01-01T10:01:00.200Z"))).toEqual({
      due: true,
      nextInMs: 59_800,
      slotAt: at("2026-01-01T10:01:00Z"),
    });
  });

  it("crontab(minute=0, hour=0): daily at midnight", () => {
    const s = crontab({ minute: 0, hour: 0 });
    expect(runs(s, "2026-01-01T12:00:00Z", 3)).toEqual(["2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z", "2026-01-04T00:00:00.000Z"]);
  });

  it("crontab(minute=0, hour='*/3'): hours divisible by 3", () => {
    expect(timesOn(crontab({ minute: 0, hour: "*/3" }), "2026-01-01")).toEqual(hours([0, 3, 6, 9, 12, 15, 18, 21]));
  });

  it("crontab(minute=0, hour='0,3,6,9,12,15,18,21'): the same, hours listed", () => {
    const listed = crontab({ minute: 0, hour: "0,3,6,9,12,15,18,21" });
    expect(listed.expression).toBe(crontab({ minute: 0, hour: "*/3" }).expression);
    expect(timesOn(listed, "2026-01-01")).toEqual(hours([0, 3, 6, 9, 12, 15, 18, 21]));
  });

  it("crontab(minute='*/15'): every 15 minutes", () => {
    expect(runs(crontab({ minute: "*/15" }), "2026-01-01T10:00:00Z", 5)).toEqual([
      "2026-01-01T10:15:00.000Z",
      "2026-01-01T10:30:00.000Z",
      "2026-01-01T10:45:00.000Z",
      "2026-01-01T11:00:00.000Z",
      "2026-01-01T11:15:00.000Z",
    ]);
  });

  it("crontab(day_of_week='sunday'): every minute on Sundays", () => {
    const s = crontab({ dayOfWeek: "sunday" });
    // 2026-01-04 is a Sunday.
    expect(runs(s, "2026-01-03T23:59:30Z", 2)).toEqual(["2026-01-04T00:00:00.000Z", "2026-01-04T00:01:00.000Z"]);
    expect(runs(s, "2026-01-04T23:59:00Z", 1)).toEqual(["2026-01-11T00:00:00.000Z"]);
    expect(timesOn(s, "2026-01-04")).toHaveLength(1440);
    expect(timesOn(s, "2026-01-05")).toEqual([]);
  });

  it("crontab(minute='*', hour='*', day_of_week='sun'): the same", () => {
    const s = crontab({ minute: "*", hour: "*", dayOfWeek: "sun" });
    expect(s.expression).toBe(crontab({ dayOfWeek: "sunday" }).expression);
    expect(runs(s, "2026-01-03T23:59:30Z", 2)).toEqual(["2026-01-04T00:00:00.000Z", "2026-01-04T00:01:00.000Z"]);
  });

  it("crontab(minute='*/10', hour='3,17,22', day_of_week='thu,fri'): every 10 minutes in three hours on Thursdays and Fridays", () => {
    const s = crontab({ minute: "*/10", hour: "3,17,22", dayOfWeek: "thu,fri" });
    const tenMinutes = (h: string) => ["00", "10", "20", "30", "40", "50"].map((m) => `${h}:${m}`);
    // 2026-01-01 is a Thursday, 01-02 a Friday, 01-03 a Saturday.
    expect(timesOn(s, "2026-01-01")).toEqual([...tenMinutes("03"), ...tenMinutes("17"), ...tenMinutes("22")]);
    expect(timesOn(s, "2026-01-02")).toHaveLength(18);
    expect(timesOn(s, "2026-01-03")).toEqual([]);
    expect(runs(s, "2026-01-02T22:50:00Z", 1)).toEqual(["2026-01-08T03:00:00.000Z"]);
  });

  it("crontab(minute=0, hour='*/2,*/3'): hours divisible by 2 or 3", () => {
    expect(timesOn(crontab({ minute: 0, hour: "*/2,*/3" }), "2026-01-01")).toEqual(
      hours([0, 2, 3, 4, 6, 8, 9, 10, 12, 14, 15, 16, 18, 20, 21, 22]),
    );
  });

  it("crontab(minute=0, hour='*/5'): hours divisible by 5", () => {
    expect(timesOn(crontab({ minute: 0, hour: "*/5" }), "2026-01-01")).toEqual(hours([0, 5, 10, 15, 20]));
  });

  it("crontab(minute=0, hour='*/3,8-17'): hours divisible by 3, and every office hour", () => {
    // Celery's docs: "every hour divisible by 3, and every hour during office hours (8am-5pm)": a union
    // (the seed's translation reads it as an intersection; Celery's parser unions list items).
    expect(timesOn(crontab({ minute: 0, hour: "*/3,8-17" }), "2026-01-01")).toEqual(
      hours([0, 3, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21]),
    );
  });

  it("crontab(0, 0, day_of_month='2'): the second day of every month", () => {
    expect(runs(crontab({ minute: 0, hour: 0, dayOfMonth: "2" }), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-02T00:00:00.000Z",
      "2026-02-02T00:00:00.000Z",
      "2026-03-02T00:00:00.000Z",
    ]);
  });

  it("crontab(0, 0, day_of_month='2-30/2'): even days of the month", () => {
    const s = crontab({ minute: 0, hour: 0, dayOfMonth: "2-30/2" });
    const february = runsBetween(s, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z").map((iso) => Number(iso.slice(8, 10)));
    expect(february).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    expect(runs(s, "2026-01-30T00:00:00Z", 1)).toEqual(["2026-02-02T00:00:00.000Z"]); // never the 31st
  });

  it("crontab(0, 0, day_of_month='1-7,15-21'): the first and third weeks of the month", () => {
    const s = crontab({ minute: 0, hour: 0, dayOfMonth: "1-7,15-21" });
    const january = runsBetween(s, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z").map((iso) => Number(iso.slice(8, 10)));
    expect(january).toEqual([1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 18, 19, 20, 21]);
  });

  it("crontab(0, 0, day_of_month='11', month_of_year='5'): every 11 May", () => {
    expect(runs(crontab({ minute: 0, hour: 0, dayOfMonth: "11", monthOfYear: "5" }), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-05-11T00:00:00.000Z",
      "2027-05-11T00:00:00.000Z",
    ]);
  });

  it("crontab(0, 0, month_of_year='*/3'): every day of the first month of each quarter", () => {
    const s = crontab({ minute: 0, hour: 0, monthOfYear: "*/3" });
    const year = runsBetween(s, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    expect(year).toHaveLength(31 + 30 + 31 + 31);
    expect([...new Set(year.map((iso) => iso.slice(5, 7)))]).toEqual(["01", "04", "07", "10"]);
    expect(runs(s, "2026-01-31T00:00:00Z", 1)).toEqual(["2026-04-01T00:00:00.000Z"]);
  });
});

describe("crontab fields", () => {
  it("takes numbers, lists of numbers, month names and Celery's wrap-around ranges", () => {
    expect(crontab({ minute: [0, 30], hour: 12 }).expression).toBe("0,30 12 * * *");
    expect(crontab({ monthOfYear: "jan,jul" }).expression).toBe("* * * 1,7 *");
    expect(crontab({ dayOfWeek: "fri-mon" }).expression).toBe("* * * * 0,1,5,6");
    expect(crontab({ dayOfWeek: "Mon-Fri" }).expression).toBe("* * * * 1,2,3,4,5");
    expect(crontab({ dayOfWeek: "0-6" }).expression).toBe("* * * * *");
  });

  it("runs on a day matching both dayOfMonth and dayOfWeek, as Celery does; cron() runs on either, as cron does", () => {
    // Friday the 13th: 2026-02-13, 2026-03-13, 2026-11-13.
    expect(runs(crontab({ minute: 0, hour: 0, dayOfMonth: 13, dayOfWeek: "fri" }), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-02-13T00:00:00.000Z",
      "2026-03-13T00:00:00.000Z",
      "2026-11-13T00:00:00.000Z",
    ]);
    expect(runs(cron("0 0 13 * 5"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-02T00:00:00.000Z",
      "2026-01-09T00:00:00.000Z",
      "2026-01-13T00:00:00.000Z",
    ]);
  });

  it("is plain data: a schedule read back from JSON gives the same runs", () => {
    const s = crontab({ minute: 30, hour: 7, dayOfWeek: 1, timezone: "Asia/Taipei" });
    const copy = JSON.parse(JSON.stringify(s)) as CrontabSchedule;
    expect(runs(copy, "2026-01-01T00:00:00Z", 3)).toEqual(runs(s, "2026-01-01T00:00:00Z", 3));
    expect(Object.isFrozen(s)).toBe(true);
  });

  it("describes itself", () => {
    expect(describeSchedule(crontab({ minute: 30, hour: 7, dayOfWeek: 1, timezone: "Asia/Taipei" }))).toBe(
      "crontab(minute=30 hour=7 dayOfWeek=1) in Asia/Taipei",
    );
    expect(describeSchedule(crontab())).toBe("crontab()");
    expect(describeSchedule(cron("0 7 * * 1"))).toBe('cron "0 7 * * 1"');
    expect(describeSchedule(every("1h30m"))).toBe("every 1h30m");
    expect(describeSchedule(every(0.5))).toBe("every 500ms");
  });
});

describe("time zones", () => {
  it("Asia/Taipei (seed 000): crontab(hour=7, minute=30, day_of_week=1) is Monday 07:30 Taipei, Sunday 23:30 UTC", () => {
    const s = crontab({ hour: 7, minute: 30, dayOfWeek: 1, timezone: "Asia/Taipei" });
    expect(runs(s, "2026-01-01T00:00:00Z", 2)).toEqual(["2026-01-04T23:30:00.000Z", "2026-01-11T23:30:00.000Z"]);
  });

  it("uses the caller's default zone (the app's `timezone` setting) for a crontab without one, else UTC", () => {
    const s = crontab({ hour: 7, minute: 30, dayOfWeek: 1 });
    expect(runs(s, "2026-01-01T00:00:00Z", 1, "Asia/Taipei")).toEqual(["2026-01-04T23:30:00.000Z"]);
    expect(runs(s, "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-05T07:30:00.000Z"]);
    const own = crontab({ hour: 7, minute: 30, timezone: "Europe/Berlin" });
    expect(runs(own, "2026-01-01T00:00:00Z", 1, "Asia/Taipei")).toEqual(["2026-01-01T06:30:00.000Z"]);
  });

  it("a raw cron string takes a zone too", () => {
    expect(runs(cron("30 7 * * 1", { timezone: "Asia/Taipei" }), "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-04T23:30:00.000Z"]);
    expect(runs(cron("@daily", { timezone: "Asia/Taipei" }), "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-01T16:00:00.000Z"]);
    expect(runs(cron("*/20 * * * * *"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:40.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
  });

  it("changing the zone needs no reset of lastRunAt: the next run is the new zone's next slot, once", () => {
    const lastRunAt = at("2026-01-04T23:30:00Z"); // Monday 07:30 in Taipei
    const moved = crontab({ hour: 7, minute: 30, timezone: "Europe/Berlin" }); // daily 07:30 in Berlin = 06:30 UTC
    expect(isDue(moved, lastRunAt, at("2026-01-05T06:00:00Z"))).toMatchObject({ due: false, nextInMs: 30 * MINUTE });
    expect(isDue(moved, lastRunAt, at("2026-01-05T06:30:01Z"))).toMatchObject({ due: true, slotAt: at("2026-01-05T06:30:00Z") });
    expect(simulateBeat(moved, "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z", 60_000)).toEqual([
      "2026-01-05T06:30:00.000Z",
      "2026-01-06T06:30:00.000Z",
    ]);
  });
});

describe("DST policy (Europe/Berlin, 2026)", () => {
  const zone = "Europe/Berlin";
  const daily0230 = cron("30 2 * * *", { timezone: zone });

  it("spring forward: the 02:30 slot, which does not exist on 29 March, runs once at 03:00 CEST", () => {
    // cron-parser's own tz mode says 03:30 CEST (01:30Z) from the day before, and skips the day when asked at 03:10.
    expect(runs(daily0230, "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, the instant the clocks jump
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
    expect(runs(daily0230, "2026-03-29T01:10:00Z", 1)).toEqual(["2026-03-30T00:30:00.000Z"]);
    const beatAt0310 = isDue(daily0230, at("2026-03-28T01:30:00Z"), at("2026-03-29T01:10:00Z"));
    expect(beatAt0310).toMatchObject({ due: true, slotAt: at("2026-03-29T01:00:00Z") });
  });

  it("fall back: the 02:30 slot, which happens twice on 25 October, runs once, at 02:30 CEST", () => {
    expect(runs(daily0230, "2026-10-24T12:00:00Z", 3)).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST
      "2026-10-26T01:30:00.000Z", // 02:30 CET, the next day
      "2026-10-27T01:30:00.000Z",
    ]);
    // cron-parser's prev() finds 02:30 CET (01:30Z) here, which would run the slot a second time.
    const secondPass = isDue(daily0230, at("2026-10-25T00:30:00Z"), at("2026-10-25T01:40:00Z"));
    expect(secondPass).toEqual({ due: false, nextInMs: at("2026-10-26T01:30:00Z").getTime() - at("2026-10-25T01:40:00Z").getTime(), slotAt: null });
  });

  it("a beat ticking every 13 s, or sleeping nextInMs, runs each slot exactly once across both changes", () => {
    for (const tick of [13_000, 0]) {
      expect(simulateBeat(daily0230, "2026-03-28T22:00:00Z", "2026-03-29T04:00:00Z", tick)).toEqual(["2026-03-29T01:00:00.000Z"]);
      expect(simulateBeat(daily0230, "2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z", tick)).toEqual(["2026-10-25T00:30:00.000Z"]);
    }
  });

  it("a crontab every 15 minutes: the gap's slots collapse into 03:00; the repeated hour's second pass is skipped", () => {
    const quarterly = cron("*/15 * * * *", { timezone: zone });
    expect(runs(quarterly, "2026-03-29T00:30:00Z", 3)).toEqual([
      "2026-03-29T00:45:00.000Z", // 01:45 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST (and 02:00-02:45, which never were)
      "2026-03-29T01:15:00.000Z",
    ]);
    expect(runs(quarterly, "2026-10-25T00:30:00Z", 3)).toEqual([
      "2026-10-25T00:45:00.000Z", // 02:45 CEST
      "2026-10-25T02:00:00.000Z", // 03:00 CET: 02:00-02:45 CET already ran as CEST
      "2026-10-25T02:15:00.000Z",
    ]);
    expect(simulateBeat(quarterly, "2026-10-24T23:50:00Z", "2026-10-25T02:10:00Z", 0)).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:15:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T00:45:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
  });

  it("an interval counts real time and ignores DST", () => {
    expect(runs(every("15m"), "2026-10-25T00:30:00Z", 4)).toEqual([
      "2026-10-25T00:45:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:15:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ]);
  });

  it("next and previous slots agree everywhere around both changes (cron-parser's tz mode does not)", () => {
    const schedules = [daily0230, cron("0 * * * *", { timezone: zone }), cron("*/15 * * * *", { timezone: zone }), crontab({ minute: 0, hour: "2,3", timezone: zone })];
    for (const s of schedules) {
      for (const day of ["2026-03-28T21:00:00Z", "2026-10-24T21:00:00Z"]) {
        for (let t = at(day).getTime(); t < at(day).getTime() + 8 * HOUR; t += 7 * MINUTE + 13_000) {
          const next = nextRun(s, new Date(t));
          expect(isDue(s, new Date(t), next)).toMatchObject({ due: true, slotAt: next });
          expect(isDue(s, new Date(t), new Date(next.getTime() - 1))).toEqual({ due: false, nextInMs: 1, slotAt: null });
        }
      }
    }
  });

  it("a zone that skips midnight (America/Santiago, 6 September 2026): the midnight slot runs at 01:00 -03", () => {
    expect(runs(crontab({ minute: 0, hour: 0, timezone: "America/Santiago" }), "2026-09-05T12:00:00Z", 2)).toEqual([
      "2026-09-06T04:00:00.000Z",
      "2026-09-07T03:00:00.000Z",
    ]);
  });
});

describe("intervals", () => {
  it("every() reads seconds and durations", () => {
    expect(every(30).everyMs).toBe(30_000);
    expect(every("30s").everyMs).toBe(30_000);
    expect(every("15m").everyMs).toBe(15 * MINUTE);
    expect(every("1h").everyMs).toBe(HOUR);
    expect(every("2d").everyMs).toBe(48 * HOUR);
    expect(every("1h30m").everyMs).toBe(90 * MINUTE);
    expect(every("500ms").everyMs).toBe(500);
    expect(toSchedule(3600)).toEqual(every("1h"));
  });

  it('every("30s"): due 30 s after the last run; nextInMs says how long until then', () => {
    const s = every("30s");
    const last = at("2026-01-01T10:00:00Z");
    expect(isDue(s, last, at("2026-01-01T10:00:20Z"))).toEqual({ due: false, nextInMs: 10_000, slotAt: null });
    expect(isDue(s, last, at("2026-01-01T10:00:30Z"))).toEqual({ due: true, nextInMs: 30_000, slotAt: at("2026-01-01T10:00:30Z") });
    expect(isDue(s, last, at("2026-01-01T10:00:45Z"))).toEqual({ due: true, nextInMs: 15_000, slotAt: at("2026-01-01T10:00:30Z") });
    expect(nextRun(s, last)).toEqual(at("2026-01-01T10:00:30Z"));
  });

  it("stays on its grid when lastRunAt = slotAt: a 1 s interval over 20 s runs 20 times, whatever the tick", () => {
    for (const tick of [0, 130, 370, 999]) {
      const ran = simulateBeat(every(1), "2026-01-01T00:00:00Z", "2026-01-01T00:00:20Z", tick);
      expect(ran).toEqual(Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i + 1)).toISOString()));
    }
  });
});

describe("first run (lastRunAt null)", () => {
  it("a crontab first runs at its first slot at or after startAt, not at once", () => {
    const s = crontab({ minute: 30, hour: 7 });
    const startAt = at("2026-01-01T08:00:00Z");
    expect(isDue(s, null, startAt, { startAt })).toEqual({ due: false, nextInMs: 23.5 * HOUR, slotAt: null });
    expect(isDue(s, null, at("2026-01-02T07:30:01Z"), { startAt })).toMatchObject({ due: true, slotAt: at("2026-01-02T07:30:00Z") });
    const onTheSlot = at("2026-01-01T07:30:00Z");
    expect(isDue(s, null, at("2026-01-01T07:30:00.500Z"), { startAt: onTheSlot })).toMatchObject({ due: true, slotAt: onTheSlot });
  });

  it("an interval first runs one interval after startAt", () => {
    const startAt = at("2026-01-01T10:00:00Z");
    expect(isDue(every("30s"), null, startAt, { startAt })).toEqual({ due: false, nextInMs: 30_000, slotAt: null });
    expect(isDue(every("30s"), null, at("2026-01-01T10:00:30Z"), { startAt })).toMatchObject({ due: true });
  });

  it("a startAt in the future holds the first run back until then", () => {
    const startAt = at("2026-01-10T00:00:00Z");
    const now = at("2026-01-01T00:00:00Z");
    expect(isDue(crontab({ minute: 0, hour: 0 }), null, now, { startAt })).toEqual({ due: false, nextInMs: 9 * 24 * HOUR, slotAt: null });
    expect(isDue(every("1h"), null, now, { startAt })).toEqual({ due: false, nextInMs: 9 * 24 * HOUR + HOUR, slotAt: null });
  });

  it("throws without startAt, rather than pushing the first run away on every call", () => {
    expect(() => isDue(every("30s"), null, at("2026-01-01T00:00:00Z"))).toThrow(/startAt/);
  });
});

describe("missed slots (catchUp)", () => {
  const daily = crontab({ minute: 30, hour: 7 });
  const lastRunAt = at("2026-01-01T07:30:00Z");
  const afterDowntime = at("2026-01-05T09:00:00Z"); // four slots missed
  const untilTomorrow = at("2026-01-06T07:30:00Z").getTime() - afterDowntime.getTime();

  it('"one" (the default): one run for all the missed slots, never a burst', () => {
    expect(isDue(daily, lastRunAt, afterDowntime)).toEqual({ due: true, nextInMs: untilTomorrow, slotAt: at("2026-01-05T07:30:00Z") });
    expect(isDue(daily, at("2026-01-05T07:30:00Z"), afterDowntime)).toMatchObject({ due: false, nextInMs: untilTomorrow });
    expect(simulateBeat(every("1h"), "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", 1, { startAt: at("2025-12-01T00:00:00Z") })).toEqual([
      "2026-01-01T00:00:00.000Z",
    ]);
  });

  it('"none": skips slots more than graceMs late; the next run is the next slot on the grid', () => {
    expect(isDue(daily, lastRunAt, afterDowntime, { catchUp: "none" })).toEqual({ due: false, nextInMs: untilTomorrow, slotAt: null });
    expect(isDue(daily, lastRunAt, at("2026-01-05T07:30:20Z"), { catchUp: "none" })).toMatchObject({ due: true });
    expect(isDue(daily, lastRunAt, at("2026-01-05T07:30:20Z"), { catchUp: "none", graceMs: 10_000 })).toMatchObject({ due: false });
    expect(isDue(daily, null, afterDowntime, { catchUp: "none", startAt: lastRunAt })).toMatchObject({ due: false });
    const hourly = every("1h");
    const start = at("2026-01-01T00:00:00Z");
    expect(isDue(hourly, start, at("2026-01-01T05:30:00Z"), { catchUp: "none" })).toEqual({ due: false, nextInMs: 30 * MINUTE, slotAt: null });
    expect(isDue(hourly, start, at("2026-01-01T06:00:05Z"), { catchUp: "none" })).toMatchObject({ due: true, slotAt: at("2026-01-01T06:00:00Z") });
  });

  it("a lastRunAt ahead of now (another beat's clock) runs nothing until the slot after it", () => {
    expect(isDue(daily, at("2026-01-05T07:30:00Z"), at("2026-01-05T07:29:59Z"))).toEqual({ due: false, nextInMs: 24 * HOUR + 1000, slotAt: null });
  });
});

describe("bad input: errors name the field", () => {
  const fails = (make: () => unknown, message: RegExp) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  };

  it("crontab fields", () => {
    fails(() => crontab({ minute: "61" }), /crontab minute "61" is invalid: 61 is out of range 0-59/);
    fails(() => crontab({ hour: 24 }), /crontab hour 24 is invalid: 24 is out of range 0-23/);
    fails(() => crontab({ dayOfWeek: "funday" }), /crontab dayOfWeek "funday" is invalid: "funday" is not a day/);
    fails(() => crontab({ dayOfWeek: 7 }), /dayOfWeek 7 is invalid: 7 is out of range 0-6.*0 = Sunday/);
    fails(() => crontab({ dayOfMonth: "0" }), /dayOfMonth "0" is invalid: 0 is out of range 1-31/);
    fails(() => crontab({ monthOfYear: "13" }), /monthOfYear "13" is invalid/);
    fails(() => crontab({ minute: "*/0" }), /minute "\*\/0" is invalid: a step of 0/);
    fails(() => crontab({ minute: "1-2-3" }), /minute "1-2-3" is invalid: cannot read "1-2-3"/);
    fails(() => crontab({ hour: "8,,17" }), /hour "8,,17" is invalid: an empty entry/);
    fails(() => crontab({ minute: [] }), /minute \[\] is invalid: an empty list/);
    fails(() => crontab({ minute: 1.5 }), /minute 1.5 is invalid: 1.5 is not a whole number/);
    fails(() => crontab({ minute: [0, -5] }), /minute \[0,-5\] is invalid: -5 is out of range 0-59/);
    fails(() => crontab({ day_of_week: 1 } as never), /unknown field "day_of_week" \(celeriac spells it dayOfWeek\)/);
    fails(() => crontab({ dayOfMonth: 31, monthOfYear: 2 }), /crontab\(dayOfMonth=31 monthOfYear=2\) never fires/);
    fails(() => crontab({ timezone: "Mars/Olympus" }), /"Mars\/Olympus" is not an IANA time zone/);
  });

  it("cron strings, intervals and zones", () => {
    fails(() => cron("61 * * * *"), /cron "61 \* \* \* \*" is invalid: .*61/);
    fails(() => cron("every day"), /cron "every day" is invalid/);
    fails(() => cron("0 0 31 2 *"), /cron "0 0 31 2 \*" is invalid/);
    fails(() => every("10"), /every\("10"\): write an interval/);
    fails(() => every("1 hour"), /every\("1 hour"\)/);
    fails(() => every(0), /at least 1 ms/);
    fails(() => every(-5), /at least 1 ms/);
    fails(() => every(Number.NaN), /at least 1 ms/);
    fails(() => nextRun(crontab(), at("2026-01-01T00:00:00Z"), { timezone: "Nowhere" }), /default timezone: "Nowhere"/);
    expect(() => isDue(every(1), at("garbage"), at("2026-01-01T00:00:00Z"))).toThrow(/lastRunAt must be a valid Date/);
  });

  it("InvalidScheduleError.field names the part at fault (a key of the schedule's spec), null when no one field is", () => {
    const fieldOf = (make: () => unknown): ScheduleField | null => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidScheduleError);
        return (error as InvalidScheduleError).field;
      }
      throw new Error("no error");
    };
    expect(fieldOf(() => crontab({ minute: "61" }))).toBe("minute");
    expect(fieldOf(() => crontab({ hour: 24 }))).toBe("hour");
    expect(fieldOf(() => crontab({ dayOfWeek: [7] }))).toBe("dayOfWeek");
    expect(fieldOf(() => crontab({ dayOfMonth: "1-x" }))).toBe("dayOfMonth");
    expect(fieldOf(() => crontab({ monthOfYear: "*/0" }))).toBe("monthOfYear");
    expect(fieldOf(() => crontab({ timezone: "Mars/Olympus" }))).toBe("timezone");
    expect(fieldOf(() => crontab({ dayOfMonth: 31, monthOfYear: 2 }))).toBeNull();
    expect(fieldOf(() => crontab({ day_of_week: 1 } as never))).toBeNull();
    expect(fieldOf(() => cron("every day"))).toBe("expression");
    expect(fieldOf(() => cron("0 7 * * 1", { timezone: "Nowhere" }))).toBe("timezone");
    expect(fieldOf(() => every("10"))).toBe("every");
    expect(fieldOf(() => every(0))).toBe("every");
    expect(fieldOf(() => clocked("next tuesday"))).toBe("at");
    // The app's default zone is a setting, not a part of the schedule: a plain ConfigError.
    const defaultZone = () => nextRun(crontab(), at("2026-01-01T00:00:00Z"), { timezone: "Nowhere" });
    expect(defaultZone).toThrow(ConfigError);
    expect(defaultZone).not.toThrow(InvalidScheduleError);
  });
});

describe("clocked: one run at one instant", () => {
  const once = clocked("2026-12-24T18:00:00Z");

  it("is due from its instant on, once, and never again after it ran", () => {
    expect(isDue(once, null, at("2026-12-24T17:59:59Z"))).toEqual({ due: false, nextInMs: 1000, slotAt: null });
    const due = isDue(once, null, at("2026-12-24T18:00:00.250Z"));
    expect(due).toMatchObject({ due: true, slotAt: at("2026-12-24T18:00:00Z") });
    expect(isDue(once, due.slotAt, at("2026-12-24T18:00:01Z")).due).toBe(false);
    expect(isDue(once, due.slotAt, at("2027-12-24T18:00:01Z")).due).toBe(false);
    expect(nextRun(once, at("2026-12-24T17:00:00Z"))).toEqual(at("2026-12-24T18:00:00Z"));
    expect(nextRun(once, at("2026-12-24T18:00:00Z"))).toBeNull();
  });

  it("needs no startAt: an instant already past when the entry is made still runs (catchUp one) or is skipped (none, beyond the grace)", () => {
    expect(isDue(once, null, at("2026-12-25T09:00:00Z")).due).toBe(true);
    expect(isDue(once, null, at("2026-12-25T09:00:00Z"), { catchUp: "none" }).due).toBe(false);
    expect(isDue(once, null, at("2026-12-24T18:00:30Z"), { catchUp: "none" }).due).toBe(true);
  });

  it("refuses an invalid instant and describes itself", () => {
    expect(() => clocked("next tuesday")).toThrow(ConfigError);
    expect(describeSchedule(once)).toBe("once at 2026-12-24T18:00:00.000Z");
  });
});
