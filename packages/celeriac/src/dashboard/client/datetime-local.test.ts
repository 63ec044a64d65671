import { describe, expect, it } from "vitest";
import { browserTimeZone, instantOfLocalInput, localInputOf } from "./datetime-local.js";

const ZONE = "Europe/Berlin";

describe("datetime-local values in a time zone", () => {
  it("shows an instant as the zone's wall clock (seconds only when there are some)", () => {
    expect(localInputOf("2030-01-01T08:00:00.000Z", ZONE)).toBe("2030-01-01T09:00");
    expect(localInputOf("2031-07-01T10:15:30.000Z", ZONE)).toBe("2031-07-01T12:15:30");
    expect(localInputOf("2030-01-01T08:00:00.000Z", "America/New_York")).toBe("2030-01-01T03:00");
    expect(localInputOf(null, ZONE)).toBe("");
    expect(localInputOf(undefined, ZONE)).toBe("");
    expect(localInputOf("yesterday", ZONE)).toBe("");
  });

  it("goes from an instant to the browser's wall time and back, to the minute", () => {
    const iso = "2026-07-14T08:05:00.000Z";
    expect(localInputOf(iso, browserTimeZone())).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(instantOfLocalInput(localInputOf(iso, browserTimeZone()), browserTimeZone())).toBe(iso);
  });

  it("reads a wall time in the zone back to the instant, on both sides of a DST change", () => {
    expect(instantOfLocalInput("2030-01-01T09:00", ZONE)).toBe("2030-01-01T08:00:00.000Z");
    expect(instantOfLocalInput("2031-07-01T12:15:30", ZONE)).toBe("2031-07-01T10:15:30.000Z");
    expect(instantOfLocalInput("2030-01-01T09:00", "UTC")).toBe("2030-01-01T09:00:00.000Z");
    // Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
    expect(instantOfLocalInput("2026-03-29T01:30", ZONE)).toBe("2026-03-29T00:30:00.000Z");
    expect(instantOfLocalInput("2026-03-29T05:00", ZONE)).toBe("2026-03-29T03:00:00.000Z");
    expect(instantOfLocalInput("2026-10-25T05:00", ZONE)).toBe("2026-10-25T04:00:00.000Z");
    expect(instantOfLocalInput("2026-10-24T23:00", ZONE)).toBe("2026-10-24T21:00:00.000Z");
  });

  it("takes a skipped wall time as late as the jump, and a repeated one as its first occurrence", () => {
    expect(instantOfLocalInput("2026-03-29T02:30", ZONE)).toBe("2026-03-29T01:30:00.000Z"); // 03:30 CEST
    expect(instantOfLocalInput("2026-10-25T02:30", ZONE)).toBe("2026-10-25T00:30:00.000Z"); // 02:30 CEST
  });

  it("refuses what is not a date and a time", () => {
    for (const text of ["", "2030-01-01", "2030-02-30T09:00", "2030-01-01T24:00", "tomorrow", "2030-01-01T09:00Z", "2026-13-45T99:00"]) {
      expect(instantOfLocalInput(text, ZONE)).toBeNull();
    }
  });

  it("round-trips every instant of a year through the form's value, hour by hour", () => {
    for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3_600_000) {
      const iso = new Date(ms).toISOString();
      const local = localInputOf(iso, ZONE);
      const back = instantOfLocalInput(local, ZONE);
      // The repeated hour of the fall-back night reads as its first occurrence; everything else comes back.
      if (local.startsWith("2026-10-25T02:")) expect(back).toBe("2026-10-25T00:00:00.000Z");
      else expect(back).toBe(iso);
    }
  });
});
