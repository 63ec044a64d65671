import { describe, expect, it } from "vitest";
import type { PeriodicTaskView } from "celeriac";
import { formatInZone, presentTask } from "./present";

const created = new Date("2026-05-01T10:00:00Z");

function view(over: Partial<PeriodicTaskView> = {}): PeriodicTaskView {
  return {
    id: 1,
    name: "add",
    task: "demo.add",
    args: [16, 16],
    queue: null,
    priority: null,
    expireSeconds: null,
    schedule: { kind: "interval", every: 30, period: "seconds" },
    enabled: true,
    oneOff: false,
    startTime: null,
    expires: null,
    catchUp: "one",
    description: "",
    lastRunAt: null,
    totalRunCount: 0,
    managed: false,
    detached: false,
    createdAt: created,
    updatedAt: created,
    ...over,
  };
}

describe("formatInZone / presentTask", () => {
  it("formats wall time in a zone", () => {
    expect(formatInZone(new Date("2026-05-01T22:30:05Z"), "Europe/Berlin")).toBe("2026-05-02 00:30:05 Europe/Berlin");
    expect(formatInZone(new Date("2026-05-01T22:30:05Z"), "UTC")).toBe("2026-05-01 22:30:05 UTC");
  });

  it("makes a JSON-safe row with the schedule text, times in the zone and UTC, and the badge", () => {
    const row = presentTask(view({ managed: true, lastRunAt: new Date("2026-05-01T10:00:30Z"), totalRunCount: 3 }), new Date("2026-05-01T10:00:45Z"), "Asia/Taipei");
    expect(row).toMatchObject({
      schedule: "every 30s",
      args: "[16,16]",
      source: "settings",
      lastRunAt: "2026-05-01T10:00:30.000Z",
      lastRunLocal: "2026-05-01 18:00:30 Asia/Taipei",
      nextRunAt: "2026-05-01T10:01:00.000Z",
      nextRunLocal: "2026-05-01 18:01:00 Asia/Taipei",
      totalRunCount: 3,
    });
  });
});
