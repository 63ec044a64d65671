import { describe, expect, it } from "vitest";
import { SoftTimeLimitExceeded, TimeLimitExceeded } from "../errors.js";
import { runWithLimits } from "./limits.js";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)));
  });

describe("runWithLimits", () => {
  it("returns the value of a run within its limits", async () => {
    expect(await runWithLimits(async () => 42, { timeLimitMs: 1000 })).toEqual({ ok: true, value: 42 });
  });
  it("soft limit: aborts the signal with SoftTimeLimitExceeded, and the task may clean up and finish", async () => {
    const result = await runWithLimits(
      async (signal) => {
        await sleep(10_000, signal).catch(() => undefined);
        return signal.reason instanceof SoftTimeLimitExceeded ? "cleaned up" : "not aborted";
      },
      { softTimeLimitMs: 50, timeLimitMs: 5000 },
    );
    expect(result).toEqual({ ok: true, value: "cleaned up" });
  });
  it("hard limit: gives up on a run that never settles, with TimeLimitExceeded", async () => {
    const started = Date.now();
    const result = await runWithLimits(() => new Promise(() => undefined), { timeLimitMs: 100 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.thrown).toBeInstanceOf(TimeLimitExceeded);
    expect(Date.now() - started).toBeLessThan(2000);
  });
  it("passes the parent's abort on to the run", async () => {
    const parent = new AbortController();
    const run = runWithLimits((signal) => sleep(10_000, signal), { parent: parent.signal });
    parent.abort(new Error("shutdown"));
    expect(await run).toMatchObject({ ok: false, thrown: new Error("shutdown") });
  });
});
