import { describe, expect, it } from "vitest";
import { formatCompactLocal, formatDuration, formatLocal, formatProgress, formatRate, formatRelative, formatShortJson } from "./format.js";

describe("formatDuration", () => {
  it("picks the unit a person reads", () => {
    expect([0, 850, 2_345, 42_000, 245_000, 3_600_000, 12_000_000, 93_600_000].map(formatDuration)).toEqual([
      "0 ms", "850 ms", "2.3 s", "42 s", "4 min 5 s", "1 h", "3 h 20 min", "1 d 2 h",
    ]);
  });
});

describe("formatRelative", () => {
  it("says how long ago or how soon", () => {
    expect([-400, -12_000, -300_000, -7_200_000, -172_800_000, 5_000].map(formatRelative)).toEqual([
      "just now", "12 s ago", "5 min ago", "2 h ago", "2 d ago", "in 5 s",
    ]);
  });
});

describe("formatLocal", () => {
  it("writes a wall time in the zone asked", () => {
    const at = new Date("2026-07-14T08:05:09.000Z");
    expect(formatLocal(at, "UTC")).toBe("2026-07-14 08:05:09");
    expect(formatLocal(at, "Europe/Paris")).toBe("2026-07-14 10:05:09");
    expect(formatLocal(at, "America/New_York")).toBe("2026-07-14 04:05:09");
  });
});

describe("formatCompactLocal", () => {
  it("leaves out the date on the same day, the year and the seconds in the same year, the time in another year", () => {
    const now = new Date("2026-07-14T23:30:00.000Z");
    expect(formatCompactLocal(new Date("2026-07-14T08:05:09.000Z"), now, "UTC")).toBe("08:05:09");
    expect(formatCompactLocal(new Date("2026-07-13T08:05:09.000Z"), now, "UTC")).toBe("07-13 08:05");
    expect(formatCompactLocal(new Date("2025-12-31T08:05:09.000Z"), now, "UTC")).toBe("2025-12-31");
    // The day is the zone's: 23:30 UTC is already the 15th in Paris.
    expect(formatCompactLocal(new Date("2026-07-14T08:05:09.000Z"), now, "Europe/Paris")).toBe("07-14 10:05");
  });
});

describe("formatRate and formatShortJson", () => {
  it("writes rates as percentages, and cuts long JSON, redacted values as they are", () => {
    expect([null, 0, 0.0312, 0.25].map(formatRate)).toEqual(["—", "0.0 %", "3.1 %", "25 %"]);
    expect(formatShortJson([1, "a"])).toBe('[1,"a"]');
    expect(formatShortJson("••••")).toBe("••••");
    expect(formatShortJson({ text: "x".repeat(100) }, 20)).toBe('{"text":"xxxxxxxxxx…');
  });
});

describe("formatProgress", () => {
  it("a percentage of the total, floored and at most 100; a count when the total is unknown", () => {
    expect([{ current: 0, total: 8 }, { current: 3, total: 8 }, { current: 7.99, total: 8 }, { current: 12, total: 8 }].map(formatProgress)).toEqual(["0 %", "37 %", "99 %", "100 %"]);
    expect(formatProgress({ current: 17, total: 0 })).toBe("17 done");
  });
});
