import { describe, expect, it } from "vitest";
import { bearerMatches } from "./metrics.js";

describe("bearerMatches", () => {
  it("accepts exactly `Bearer <token>` (the scheme in any case), nothing else", () => {
    expect(bearerMatches("Bearer s3cret-token", "s3cret-token")).toBe(true);
    expect(bearerMatches("bearer s3cret-token", "s3cret-token")).toBe(true);
    expect(bearerMatches("Bearer s3cret-tokenX", "s3cret-token")).toBe(false);
    expect(bearerMatches("Bearer s3cret", "s3cret-token")).toBe(false);
    expect(bearerMatches("Basic s3cret-token", "s3cret-token")).toBe(false);
    expect(bearerMatches("s3cret-token", "s3cret-token")).toBe(false);
    expect(bearerMatches("Bearer ", "s3cret-token")).toBe(false);
    expect(bearerMatches(null, "s3cret-token")).toBe(false);
  });
});
