/**
 * The request layer on the app's real route handlers, called in-process with Requests, against this run's
 * database (SQLite or PostgreSQL) and Redis: text PostgreSQL cannot store is a 400 naming the field on
 * both databases (it used to be a 500 on PostgreSQL, a 201 on SQLite), cross-site writes are refused
 * (login included), the JSON-only rule and the per-route body limit hold. (The dashboard's API under
 * /api/admin is the package's, tested there: packages/celeriac/src/dashboard/*.int.test.ts.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("request-layer");
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { env } = await import("@/lib/env");
const articles = await import("@/app/api/articles/route");
const article = await import("@/app/api/articles/[id]/route");
const signup = await import("@/app/api/signup/route");
const login = await import("@/app/api/login/route");
const reset = await import("@/app/api/password/reset/route");

afterAll(async () => {
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

const ORIGIN = new URL(env.APP_URL).origin;

/** A JSON request as a browser on this app's own page sends it; `raw` is the body's text, escapes and all. */
function json(path: string, raw: string, { method = "POST", headers = {} }: { method?: string; headers?: Record<string, string> } = {}): Request {
  return new Request(`${ORIGIN}${path}`, {
    method,
    body: raw,
    headers: { "content-type": "application/json", origin: ORIGIN, host: new URL(ORIGIN).host, "sec-fetch-site": "same-origin", ...headers },
  });
}

const none = { params: Promise.resolve({}) };
const withId = (id: number | string) => ({ params: Promise.resolve({ id: String(id) }) });

async function answer(response: Response) {
  return { status: response.status, body: (await response.json()) as { error?: string; fields?: Record<string, string>; article?: { id: number; title: string; body: string } } };
}

describe("text a database cannot store, as the escape sequences a client sends", () => {
  // Each raw body holds the JSON escape (\u0000, \ud800), as curl would send it.
  it("POST /api/articles: NUL or a lone surrogate in title or body is a 400 naming the field, and no row is written", async () => {
    const before = await db.article.count();
    for (const [raw, field, problem] of [
      ['{"title":"a\\u0000b","body":"text"}', "title", /NUL character/],
      ['{"title":"t","body":"\\ud800x"}', "body", /unpaired surrogate \(\\ud800\)/],
      ['{"title":"x\\udc00","body":"text"}', "title", /unpaired surrogate \(\\udc00\)/],
    ] as const) {
      const { status, body } = await answer(await articles.POST(json("/api/articles", raw), none));
      expect(status, raw).toBe(400);
      expect(body.error).toMatch(new RegExp(`^invalid request: ${field}: contains `));
      expect(body.fields?.[field]).toMatch(problem);
    }
    expect(await db.article.count()).toBe(before);
  });

  it("PATCH /api/articles/[id]: the same for the edited body; a real emoji (a surrogate pair) is stored", async () => {
    const created = await answer(await articles.POST(json("/api/articles", '{"title":"t","body":"first"}'), none));
    expect(created.status).toBe(201);
    const id = created.body.article!.id;
    for (const raw of ['{"body":"a\\u0000"}', '{"body":"\\udbffz"}']) {
      const { status, body } = await answer(await article.PATCH(json(`/api/articles/${id}`, raw, { method: "PATCH" }), withId(id)));
      expect(status, raw).toBe(400);
      expect(Object.keys(body.fields!)).toEqual(["body"]);
    }
    const edited = await answer(await article.PATCH(json(`/api/articles/${id}`, '{"body":"ok \\ud83d\\ude00"}', { method: "PATCH" }), withId(id)));
    expect(edited.status).toBe(200);
    expect((await db.article.findUniqueOrThrow({ where: { id } })).body).toBe("ok 😀");
  });

  it("POST /api/signup: name, email and password", async () => {
    for (const [raw, field] of [
      ['{"name":"a\\u0000","email":"nul@example.com","password":"password-1"}', "name"],
      ['{"name":"Ann","email":"\\ud800@example.com","password":"password-1"}', "email"],
      ['{"name":"Ann","email":"pw@example.com","password":"password-\\ud800"}', "password"],
    ] as const) {
      const { status, body } = await answer(await signup.POST(json("/api/signup", raw), none));
      expect(status, raw).toBe(400);
      expect(body.fields?.[field], raw).toMatch(/^contains /);
    }
    expect(await db.user.count({ where: { email: { in: ["nul@example.com", "pw@example.com"] } } })).toBe(0);
  });

  it("POST /api/login and /api/password/reset", async () => {
    expect((await login.POST(json("/api/login", '{"email":"a@example.com","password":"\\u0000"}'), none)).status).toBe(400);
    const token = await answer(await reset.POST(json("/api/password/reset", '{"token":"1.2.\\ud800","password":"password-9"}'), none));
    expect(token.status).toBe(400);
    expect(token.body.fields?.token).toMatch(/unpaired surrogate/);
  });
});

describe("cross-site writes", () => {
  it("login CSRF: a cross-site text/plain POST is refused before any password is checked, and sets no cookie", async () => {
    const email = `csrf-${Date.now()}@example.com`;
    expect((await signup.POST(json("/api/signup", JSON.stringify({ name: "Mallory", email, password: "password-1" })), none)).status).toBe(201);
    const body = JSON.stringify({ email, password: "password-1" });
    const forged = await login.POST(json("/api/login", body, { headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site", "content-type": "text/plain" } }), none);
    expect(forged.status).toBe(403);
    expect(forged.headers.get("set-cookie")).toBeNull();
    expect((await answer(forged)).body.error).toBe("cross-site request refused: changes are accepted from this site's own pages only (Sec-Fetch-Site: cross-site)");

    const sameOriginButText = await login.POST(json("/api/login", body, { headers: { "content-type": "text/plain" } }), none);
    expect(sameOriginButText.status).toBe(415);
    const real = await login.POST(json("/api/login", body), none);
    expect(real.status).toBe(200);
    expect(real.headers.get("set-cookie")).toMatch(/^celeriac_session=/);
  });
});

describe("body limits", () => {
  it("an article may be a full 20,000 characters (128 KiB route limit), more than the 64 KiB default", async () => {
    const longBody = "é".repeat(20_000); // 40,000 bytes in UTF-8
    const escaped = JSON.stringify({ title: "long", body: longBody }).replace(/é/g, "\\u00e9"); // 120 kB, as a client may escape it
    expect(new TextEncoder().encode(escaped).byteLength).toBeGreaterThan(64 * 1024);
    expect((await articles.POST(json("/api/articles", escaped), none)).status).toBe(201);
    const over = JSON.stringify({ title: "long", body: "x".repeat(140 * 1024) });
    expect(await answer(await articles.POST(json("/api/articles", over), none))).toEqual({ status: 413, body: { error: "request body too large: at most 131072 bytes (128 KiB) here" } });
    expect((await signup.POST(json("/api/signup", JSON.stringify({ name: "x".repeat(70 * 1024) })), none)).status).toBe(413);
  });
});
