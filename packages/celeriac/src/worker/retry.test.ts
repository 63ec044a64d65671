import { describe, expect, it } from "vitest";
import { Retry } from "../errors.js";
import type { EffectiveOptions } from "../task/options.js";
import { retryDelayMs, settleError } from "./retry.js";

const base: EffectiveOptions = {
  ignoreResult: false,
  trackStarted: true,
  maxRetries: 3,
  autoretryFor: [],
  retryBackoff: false,
  retryBackoffMaxMs: 600_000,
  retryJitter: true,
  defaultRetryDelayMs: 180_000,
  softTimeLimitMs: undefined,
  timeLimitMs: undefined,
  rateLimit: undefined,
};

class Flaky extends Error {
  override name = "Flaky";
}

describe("retryDelayMs", () => {
  it("uses an explicit countdown first", () => {
    expect(retryDelayMs({ ...base, retryBackoff: true }, 5, 1234)).toBe(1234);
  });
  it("waits defaultRetryDelay without backoff", () => {
    expect(retryDelayMs(base, 0)).toBe(180_000);
  });
  it("doubles with backoff, capped by retryBackoffMax (no jitter)", () => {
    const o = { ...base, retryBackoff: true, retryJitter: false, retryBackoffMaxMs: 10_000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(o, n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(retryDelayMs({ ...o, retryBackoff: 3 }, 2)).toBe(10_000); // 3 s × 2² = 12 s, capped
    expect(retryDelayMs({ ...o, retryBackoff: 0.5 }, 2)).toBe(2000);
  });
  it("applies full jitter: anywhere from 0 to the backoff", () => {
    const o = { ...base, retryBackoff: true };
    expect(retryDelayMs(o, 3, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(o, 3, undefined, () => 0.999999)).toBe(8000);
    expect(retryDelayMs(o, 3, undefined, () => 0.5)).toBe(4000);
  });
});

describe("settleError", () => {
  it("fails on an ordinary error", () => {
    expect(settleError(new Error("x"), base, 0)).toMatchObject({ status: "FAILURE", error: { type: "Error", message: "x" } });
  });
  it("retries on ctx.retry() while retries are left, storing the cause", () => {
    const outcome = settleError(new Retry(5000, new Flaky("timeout")), base, 2);
    expect(outcome).toMatchObject({ status: "RETRY", countdownMs: 5000, error: { type: "Flaky", message: "timeout" } });
  });
  it("fails with the cause once maxRetries is reached", () => {
    expect(settleError(new Retry(5000, new Flaky("timeout")), base, 3)).toMatchObject({ status: "FAILURE", error: { type: "Flaky" } });
  });
  it("fails with MaxRetriesExceededError for a bare retry with none left", () => {
    expect(settleError(new Retry(undefined, undefined), { ...base, maxRetries: 0 }, 0)).toMatchObject({
      status: "FAILURE",
      error: { type: "MaxRetriesExceededError", message: expect.stringContaining("maxRetries 0") },
    });
  });
  it("autoretries errors listed by class or by name", () => {
    expect(settleError(new Flaky("a"), { ...base, autoretryFor: [Flaky] }, 0).status).toBe("RETRY");
    expect(settleError(new Flaky("a"), { ...base, autoretryFor: ["Flaky"] }, 0).status).toBe("RETRY");
    expect(settleError(new TypeError("a"), { ...base, autoretryFor: [Flaky] }, 0).status).toBe("FAILURE");
  });
  it("recognises a Retry by name (its prototype is lost across processes)", () => {
    const crossed = Object.assign(new Error("retry"), { name: "Retry", countdownMs: 10, error: undefined });
    expect(settleError(crossed, base, 0)).toMatchObject({ status: "RETRY", countdownMs: 10 });
  });
});
