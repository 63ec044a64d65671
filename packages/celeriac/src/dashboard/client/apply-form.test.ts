import { describe, expect, it } from "vitest";
import { applyFieldOf, parseApplyForm } from "./apply-form.js";

const values = { task: "demo.add", args: "[2, 3]", queue: "", countdown: "" };

describe("parseApplyForm", () => {
  it("makes the body from the form, leaving out the empty options", () => {
    expect(parseApplyForm(values)).toEqual({ body: { task: "demo.add", args: [2, 3] } });
    expect(parseApplyForm({ ...values, args: "  ", queue: " heavy ", countdown: "10" })).toEqual({ body: { task: "demo.add", args: [], queue: "heavy", countdown: 10 } });
  });

  it("names every field in the way, before anything is sent", () => {
    const parsed = parseApplyForm({ task: "", args: '{"x": 1}', queue: "", countdown: "-1" });
    expect(parsed).toEqual({ errors: { task: "choose a task", args: expect.stringContaining("JSON array"), countdown: "seconds, 0 or more" } });
    expect(parseApplyForm({ ...values, args: "[1," })).toEqual({ errors: { args: expect.stringMatching(/^not JSON: /) } });
    expect(parseApplyForm({ ...values, countdown: "soon" })).toEqual({ errors: { countdown: "seconds, 0 or more" } });
  });
});

describe("applyFieldOf", () => {
  it("maps a server error's field, or a path inside it, to the form's field", () => {
    expect(applyFieldOf("args")).toBe("args");
    expect(applyFieldOf("args.0")).toBe("args");
    expect(applyFieldOf("args[1].to")).toBe("args");
    expect(applyFieldOf("task")).toBe("task");
    expect(applyFieldOf("requestKey")).toBeUndefined();
    expect(applyFieldOf(undefined)).toBeUndefined();
  });
});
