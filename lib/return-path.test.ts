import { describe, expect, it } from "vitest";
import { returnPath } from "./return-path";

describe("returnPath", () => {
  it("keeps a path of this site, query and all", () => {
    expect(returnPath("/admin/tasks?status=FAILURE&name=emails.send")).toBe("/admin/tasks?status=FAILURE&name=emails.send");
    expect(returnPath("/admin")).toBe("/admin");
  });

  it.each([
    ["another origin", "https://evil.example/admin"],
    ["a scheme-relative URL", "//evil.example/admin"],
    ["a backslash browsers read as a slash", "/\\evil.example"],
    ["a tab browsers drop", "/\t/evil.example"],
    ["a newline", "/admin\n"],
    ["a relative path", "admin"],
    ["a javascript: URL", "javascript:alert(1)"],
    ["nothing", ""],
  ])("drops %s", (_why, next) => {
    expect(returnPath(next)).toBeNull();
  });

  it("drops null and a path longer than a URL should be", () => {
    expect(returnPath(null)).toBeNull();
    expect(returnPath(`/${"a".repeat(2001)}`)).toBeNull();
  });
});
