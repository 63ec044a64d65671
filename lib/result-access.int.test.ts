/**
 * The principals a request stands for (requestOwner: whose a dispatched task is; viewerOf: who reads), on
 * the run's database: both are requestUser()'s user, so a session it refuses (a stale one included) owns
 * nothing and reads nothing.
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";

pointAppAtTestRun("result-access");
const { db } = await import("@/lib/db");
const { secretKey } = await import("@/lib/env");
const { ANYONE, requestOwner, viewerOf } = await import("@/lib/result-access");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");

const request = (cookie?: string) => new Request("http://test/api/add", { headers: cookie ? { cookie } : {} });
const newUser = (isStaff = false) =>
  db.user.create({ data: { email: `result-access-${randomBytes(4).toString("hex")}@example.test`, name: "R", passwordHash: "x", isStaff } });

afterAll(async () => {
  await db.$disconnect();
});

describe("requestOwner and viewerOf", () => {
  it("are the session's user", async () => {
    const [user, staff] = [await newUser(), await newUser(true)];
    const cookie = `theme=dark; ${SESSION_COOKIE}=${makeSession(secretKey(), user.id)}; other=1`;
    expect(await requestOwner(request(cookie))).toBe(`user:${user.id}`);
    expect(await viewerOf(request(cookie))).toEqual({ userId: user.id, isStaff: false });
    expect(await viewerOf(request(`${SESSION_COOKIE}=${makeSession(secretKey(), staff.id)}`))).toEqual({ userId: staff.id, isStaff: true });
  });

  it("are ANYONE and nobody without a session requestUser accepts", async () => {
    const user = await newUser();
    const stale = `${SESSION_COOKIE}=${makeSession(secretKey(), user.id)}`;
    await db.user.update({ where: { id: user.id }, data: { passwordChangedAt: new Date(Date.now() + 1000) } }); // a reset since
    for (const [label, cookie] of [
      ["no cookie", undefined],
      ["no session cookie", "theme=dark"],
      ["a forged one", `${SESSION_COOKIE}=${user.id}.${Date.now() + 60_000}.${Date.now()}.forged`],
      ["an expired one", `${SESSION_COOKIE}=${makeSession(secretKey(), user.id, Date.now() - 8 * 24 * 3600_000)}`],
      ["one under a longer name", `x${SESSION_COOKIE}=${makeSession(secretKey(), user.id)}`],
      ["one opened before the password was reset", stale],
    ] as const) {
      expect(await requestOwner(request(cookie)), label).toBe(ANYONE);
      expect(await viewerOf(request(cookie)), label).toBeNull();
    }
  });
});
