/** The per-queue and one-slot hash tags: a pure function, no Redis. */
import { describe, expect, it } from "vitest";
import { queueKeyPrefix } from "./key-layout.js";

describe("queueKeyPrefix", () => {
  it("puts each queue under a tag of its own by default, every queue under the app's tag in the one-slot layout", () => {
    expect(queueKeyPrefix("app", "default")).toBe("{app:default}");
    expect(queueKeyPrefix("app", "default", "per-queue")).toBe("{app:default}");
    expect(queueKeyPrefix("app", "default", "one-slot")).toBe("{app}");
  });
});
