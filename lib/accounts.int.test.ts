/**
 * requestUser(), the one reader of sessions (pages, the admin's gate, result access), on the run's database:
 * which Cookie headers are a user, and that a password reset logs out every session of that user opened
 * before it (the user's others keep working until then; other users' are untouched; a fresh login works).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("accounts");
const { authenticate, requestUser, resetPassword } = await import("@/lib/accounts");
const { celeriac } = await import("@/lib/celery");
const login = await import("@/app/api/login/route");
const { db } = await import("@/lib/db");
const { secretKey } = await import("@/lib/env");
const { hashPassword } = await import("@/lib/password");
const { makeResetToken } = await import("@/lib/reset-token");
const { makeSession, readSession, SESSION_COOKIE, SESSION_TTL_MS } = await import("@/lib/session");

const PASSWORD = "first-password-1";
let passwordHash: string;

async function newUser(isStaff = false) {
  const email = `accounts-${randomBytes(4).toString("hex")}@example.test`;
  return db.user.create({ data: { email, name: `User ${email}`, passwordHash, isStaff } });
}

/** The Cookie header a browser sends after logging in as `email` (the login route's session). */
async function logIn(email: string, password = PASSWORD): Promise<string> {
  const user = await authenticate(email, password);
  if (!user) throw new Error(`cannot log in as ${email}`);
  return `${SESSION_COOKIE}=${makeSession(secretKey(), user)}`;
}

async function reset(user: { id: number }, password: string) {
  const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
  const result = await resetPassword(makeResetToken(secretKey(), row), password);
  expect(result.ok).toBe(true);
}

beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});
afterAll(async () => {
  await celeriac.close();
  await deleteKeys(keyPrefix);
  await db.$disconnect();
});

describe("requestUser", () => {
  it("is the logged-in user, with the staff flag, from the one session cookie of the header", async () => {
    const [user, staff] = [await newUser(), await newUser(true)];
    expect(await requestUser(`theme=dark; ${await logIn(user.email)}; x=1`)).toEqual({ id: user.id, name: user.name, email: user.email, isStaff: false, dailyDigest: false });
    expect(await requestUser(await logIn(staff.email))).toMatchObject({ id: staff.id, isStaff: true });
  });

  it("is nobody for no cookie, two session cookies, a forged, expired or leading-zero one, or a deleted account", async () => {
    const user = await newUser();
    const cookie = await logIn(user.email);
    const value = cookie.slice(SESSION_COOKIE.length + 1);
    for (const [label, header] of [
      ["no header", null],
      ["no session cookie", "theme=dark"],
      ["two session cookies", `${cookie}; ${cookie}`],
      ["a forged signature", `${SESSION_COOKIE}=${value.replace(/\.[^.]+$/, ".forged")}`],
      ["the wrong key", `${SESSION_COOKIE}=${makeSession("not-the-key-0123456789abcdefghij", user.id)}`],
      ["an expired session", `${SESSION_COOKIE}=${makeSession(secretKey(), user, Date.now() - 2 * SESSION_TTL_MS)}`],
      ["a leading zero", `${SESSION_COOKIE}=0${value}`],
    ] as const) {
      expect(await requestUser(header), label).toBeNull();
    }
    await db.user.delete({ where: { id: user.id } });
    expect(await requestUser(cookie), "a deleted account").toBeNull();
  });

  it("is nobody once the user's password is reset: every session opened before it ends, other users' do not", async () => {
    const [user, other] = [await newUser(), await newUser()];
    const [laptop, phone, others] = [await logIn(user.email), await logIn(user.email), await logIn(other.email)];
    expect(await requestUser(laptop)).toMatchObject({ id: user.id });

    await reset(user, "second-password-2");
    expect(await requestUser(laptop)).toBeNull();
    expect(await requestUser(phone)).toBeNull();
    expect(await requestUser(others)).toMatchObject({ id: other.id });

    // The user who reset logs in afresh with the new password, as the demo's flow does.
    const fresh = await logIn(user.email, "second-password-2");
    expect(await requestUser(fresh)).toMatchObject({ id: user.id });
    await reset(user, "third-password-3");
    expect(await requestUser(fresh)).toBeNull();
  });

  it("is nobody for a login that checked the old password while the reset landed", async () => {
    const user = await newUser();
    const checked = await authenticate(user.email, PASSWORD); // the login has verified the old password…
    await reset(user, "second-password-2"); // …the reset commits while it goes on…
    const session = `${SESSION_COOKIE}=${makeSession(secretKey(), checked!)}`; // …and it issues its cookie after
    expect(await requestUser(session)).toBeNull();
  });

  it("is the user POST /api/login logged in, whose session is for the password it checked, not the clock's", async () => {
    const user = await newUser();
    await db.user.update({ where: { id: user.id }, data: { passwordChangedAt: new Date(Date.now() - 86_400_000) } });
    const { passwordChangedAt } = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    const response = await login.POST(
      new Request("http://test/api/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: user.email, password: PASSWORD }) }),
      {},
    );
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie")!.split(";")[0];
    expect(readSession(secretKey(), cookie.slice(SESSION_COOKIE.length + 1))?.passwordAsOf).toBe(passwordChangedAt.getTime());
    expect(await requestUser(cookie)).toMatchObject({ id: user.id });
  });
});
