import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidProgressError } from "../errors.js";
import { PROGRESS_MESSAGE_MAX, type TaskProgress } from "../task/progress.js";
import { PROGRESS_INTERVAL_MS, ProgressReporter } from "./progress-reporter.js";

function reporter() {
  const written: TaskProgress[] = [];
  return { written, progress: new ProgressReporter((p) => written.push(p)) };
}

describe("ProgressReporter: the throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("writes the first report at once, then at most one per interval, the latest value winning", () => {
    const { written, progress } = reporter();
    progress.report({ current: 0, total: 1_000_000 });
    expect(written).toEqual([{ current: 0, total: 1_000_000 }]);
    for (let i = 1; i <= 1_000_000; i++) progress.report({ current: i, total: 1_000_000, message: "counting" });
    expect(written).toHaveLength(1); // a tight loop: nothing more until the interval has passed
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS);
    expect(written).toEqual([{ current: 0, total: 1_000_000 }, { current: 1_000_000, total: 1_000_000, message: "counting" }]);
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    expect(written).toHaveLength(2); // nothing new reported: nothing written
  });

  it("spaces writes of a steady reporter an interval apart: about 4 a second", () => {
    const { written, progress } = reporter();
    for (let ms = 0; ms < 10_000; ms++) {
      progress.report({ current: ms, total: 10_000 });
      vi.advanceTimersByTime(1);
    }
    expect(written.length).toBeGreaterThanOrEqual(39);
    expect(written.length).toBeLessThanOrEqual(41);
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS);
    expect(written.at(-1)).toEqual({ current: 9_999, total: 10_000 });
  });

  it("end() drops a waiting write and ignores later reports (still validating them)", () => {
    const { written, progress } = reporter();
    progress.report({ current: 1, total: 3 });
    progress.report({ current: 2, total: 3 });
    progress.end();
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    progress.report({ current: 3, total: 3 });
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    expect(written).toEqual([{ current: 1, total: 3 }]);
    expect(() => progress.report({ current: -1, total: 3 })).toThrow(InvalidProgressError);
  });

  it("writes a copy of the three fields: the task may change or reuse its object", () => {
    const { written, progress } = reporter();
    const mine = { current: 1, total: 2, extra: "x" } as TaskProgress;
    progress.report(mine);
    mine.current = 2;
    expect(written).toEqual([{ current: 1, total: 2 }]);
  });
});

describe("ProgressReporter: what it accepts", () => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /pass an object: \{ current, total, message\? \}/],
    [[1, 2], /pass an object/],
    [{ total: 1 }, /current must be a finite number ≥ 0 \(got undefined\)/],
    [{ current: -1, total: 1 }, /current must be a finite number ≥ 0 \(got -1\)/],
    [{ current: Number.NaN, total: 1 }, /current .* \(got NaN\)/],
    [{ current: 1, total: Infinity }, /total must be a finite number ≥ 0 \(got Infinity\)/],
    [{ current: "1", total: 1 }, /current .* \(got string\)/],
    [{ current: 1, total: 1, message: 7 }, /message must be a string \(got 7\)/],
    [{ current: 1, total: 1, message: "x".repeat(PROGRESS_MESSAGE_MAX + 1) }, /message must be at most 200 characters \(got 201\)/],
  ];
  it.each(cases)("refuses %j with a clear InvalidProgressError, writing nothing", (input, message) => {
    const { written, progress } = reporter();
    let thrown: unknown;
    try {
      progress.report(input as TaskProgress);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidProgressError);
    expect((thrown as Error).message).toMatch(/^ctx\.progress\(\): /);
    expect((thrown as Error).message).toMatch(message);
    expect(written).toEqual([]);
  });

  it("takes zero, a current past its total, and a message of 200 characters", () => {
    const { written, progress } = reporter();
    progress.report({ current: 0, total: 0, message: "x".repeat(PROGRESS_MESSAGE_MAX) });
    expect(written).toHaveLength(1);
    expect(() => progress.report({ current: 12, total: 10 })).not.toThrow();
  });
});
