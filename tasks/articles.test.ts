import { describe, expect, it } from "vitest";

// The task module binds to the app (lib/celery), which reads the environment on import; `expand` is pure.
const { expand } = await import("./articles");

describe("expand", () => {
  it("rewrites known abbreviations, whatever their case", () => {
    expect(expand("Bring fruit, e.g. apples, etc. FYI: btw, ASAP.")).toBe(
      "Bring fruit, for example apples, and so on for your information: by the way, as soon as possible.",
    );
  });
  it("leaves words that merely contain an abbreviation alone", () => {
    expect(expand("fyis asapx btwn tie.g. etc.x")).toBe("fyis asapx btwn tie.g. etc.x");
  });
  it("is idempotent", () => {
    const once = expand("i.e. this, e.g. that");
    expect(expand(once)).toBe(once);
  });
});
