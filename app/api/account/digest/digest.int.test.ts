/**
 * POST /api/account/digest on the real route handler and this run's database: the logged-in user turns the
 * daily digest on and off; nobody logged in is a 401, a value other than a boolean a 400 naming the field,
 * and a cross-site request or a form's content type changes nothing (403, 415).
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("account-digest");
const { requestUser } = await import("@/lib/accounts");
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { env, secretKey } = await import("@/lib/env");
const { makeSession, SESSION_COOKIE } = await import("@/lib/session");
const digest = await import("./route");

const ORIGIN = new URL(env.APP_URL).origin;
const none = { params: Promise.resolve({}) };

afterAll(async () => {
  await celeriac.close();
  await deleteKeys(keyPrefix);
  await db.$disconnect();
});

async function loggedIn() {
  const email = `digest-${randomBytes(4).toString("hex")}@example.test`;
  const user = await db.user.create({ data: { email, name: email, passwordHash: "x" } });
  return { user, cookie: `${SESSION_COOKIE}=${makeSession(secretKey(), user)}` };
}

function post(body: string, headers: Record<string, string> = {}) {
  const request = new Request(`${ORIGIN}/api/account/digest`, {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "application/json", ...headers },
    body,
  });
  return digest.POST(request, none);
}

const flag = async (id: number) => (await db.user.findUniqueOrThrow({ where: { id } })).dailyDigest;

describe("POST /api/account/digest", () => {
  it("turns the logged-in user's digest on and off", async () => {
    const { user, cookie } = await loggedIn();
    expect(await flag(user.id)).toBe(false);
    const on = await post(JSON.stringify({ dailyDigest: true }), { cookie });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ ok: true, dailyDigest: true });
    expect(await flag(user.id)).toBe(true);
    expect(await requestUser(cookie)).toMatchObject({ id: user.id, dailyDigest: true });
    expect(await (await post(JSON.stringify({ dailyDigest: false }), { cookie })).json()).toEqual({ ok: true, dailyDigest: false });
    expect(await flag(user.id)).toBe(false);
  });

  it("is a 401 for nobody logged in, and for an account deleted since", async () => {
    const response = await post(JSON.stringify({ dailyDigest: true }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "Log in first." });
    const { user, cookie } = await loggedIn();
    await db.user.delete({ where: { id: user.id } });
    expect((await post(JSON.stringify({ dailyDigest: true }), { cookie })).status).toBe(401);
  });

  it("is a 400 naming the field for anything but a boolean, and changes nothing", async () => {
    const { user, cookie } = await loggedIn();
    for (const body of [JSON.stringify({ dailyDigest: "yes" }), JSON.stringify({ dailyDigest: 1 }), JSON.stringify({}), JSON.stringify([true]), "true"]) {
      const response = await post(body, { cookie });
      expect(response.status, body).toBe(400);
      const answer = (await response.json()) as { fields?: Record<string, string> };
      if (body.startsWith("{")) expect(answer.fields, body).toEqual({ dailyDigest: "Send true or false." });
    }
    expect((await post("{", { cookie })).status).toBe(400);
    expect(await flag(user.id)).toBe(false);
  });

  it("refuses a cross-site request (403) and a form's content type (415), and changes nothing", async () => {
    const { user, cookie } = await loggedIn();
    const on = JSON.stringify({ dailyDigest: true });
    expect((await post(on, { cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await post(on, { cookie, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post("dailyDigest=true", { cookie, "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect(await flag(user.id)).toBe(false);
  });
});
