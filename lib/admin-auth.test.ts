import { describe, expect, it } from "vitest";
import { accessStatus, adminAccess } from "./admin-auth";

describe("adminAccess", () => {
  it("lets staff in, sends the logged-out to log in, refuses the rest", () => {
    expect(adminAccess({ isStaff: true })).toBe("ok");
    expect(adminAccess(null)).toBe("login");
    expect(adminAccess(undefined)).toBe("login");
    expect(adminAccess({ isStaff: false })).toBe("forbidden");
    expect(accessStatus("login")).toBe(401);
    expect(accessStatus("forbidden")).toBe(403);
  });
});
