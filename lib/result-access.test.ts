import { describe, expect, it } from "vitest";
import { ANYONE, canRead, userOwner, type Viewer } from "./result-access";

const user = (userId: number, isStaff = false): Viewer => ({ userId, isStaff });

describe("canRead", () => {
  it.each([
    ["its owner reads a user's result", user(7), userOwner(7), true],
    ["another user does not", user(8), userOwner(7), false],
    ["nobody logged in does not", null, userOwner(7), false],
    ["staff do", user(9, true), userOwner(7), true],
    ["anyone reads an ANYONE result", null, ANYONE, true],
    ["so do users", user(8), ANYONE, true],
    ["nobody but staff reads a result without an owner", user(7), null, false],
    ["nobody logged in neither", null, null, false],
    ["staff do", user(9, true), null, true],
    ["an owner that only looks alike is someone else's", user(7), "user:07", false],
    ["a principal this app never makes is nobody's", user(7), "team:7", false],
  ])("%s", (_, viewer, owner, expected) => {
    expect(canRead(viewer, { owner })).toBe(expected);
  });
});
