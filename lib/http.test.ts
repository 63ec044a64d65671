/**
 * route()'s request rules, one by one, on Requests made here (no server): cross-site writes, the JSON-only
 * body, the body limit while reading, malformed and too-deep JSON, and the error → status mapping.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { countedStream } from "@/test/streams";

process.env.CELERIAC_LOG_LEVEL = "silent";
process.env.APP_URL = "https://demo.example.com";
process.env.ALLOWED_ORIGINS = "http://127.0.0.1:3100";
const { HttpError, parseBody, route, toErrorResponse } = await import("./http");
const { CorruptRowError, InvalidScheduleError, NotFoundError, SchemaNotReadyError, safeText } = await import("celeriac");
const { DEFAULT_MAX_BODY_BYTES } = await import("./request-limits");
const { NOT_MIGRATED_MESSAGE } = await import("./schema-gate");

const ORIGIN = "http://127.0.0.1:3100";
const URL = `${ORIGIN}/api/thing`;
const echo = route(async (request) => Response.json({ got: request.body === null ? null : await request.json() }));

function post(body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }, method = "POST", url = URL): Request {
  return new Request(url, { method, body, headers, duplex: "half" } as RequestInit);
}

async function answer(response: Response): Promise<{ status: number; body: { error?: string; got?: unknown; fields?: Record<string, string> } }> {
  return { status: response.status, body: await response.json() };
}

describe("cross-site writes", () => {
  it("are refused for every mutating method, by Origin or by Sec-Fetch-Site, before the body is read", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const evil = await answer(await echo(post("{}", { "content-type": "application/json", origin: "http://evil.example", host: "127.0.0.1:3100" }, method), {}));
      expect(evil, method).toEqual({ status: 403, body: { error: expect.stringMatching(/^cross-site request refused.*evil\.example/) } });
    }
    const { stream, counter } = countedStream(new Uint8Array(1024), 10);
    const refused = await echo(post(stream, { "content-type": "text/plain", "sec-fetch-site": "cross-site" }), {});
    expect(refused.status).toBe(403);
    expect(counter.pulled).toBeLessThanOrEqual(1); // a stream may be primed with one chunk; nothing was read for the handler
  });

  it("are allowed from APP_URL's origin, from ALLOWED_ORIGINS, and from clients that send neither header; naming the Host is no proof", async () => {
    const same = { "content-type": "application/json", origin: "http://127.0.0.1:3100", host: "127.0.0.1:3100", "sec-fetch-site": "same-origin" };
    expect((await echo(post('{"a":1}', same), {})).status).toBe(200);
    expect((await echo(post('{"a":1}', { "content-type": "application/json", origin: "https://demo.example.com", host: "10.0.0.5:3000" }), {})).status).toBe(200);
    expect((await echo(post('{"a":1}'), {})).status).toBe(200);
    const rebound = { ...same, origin: "http://evil.example:3100", host: "evil.example:3100" }; // a DNS-rebinding page
    expect(await answer(await echo(post('{"a":1}', rebound), {}))).toEqual({ status: 403, body: { error: expect.stringMatching(/^cross-site request refused.*evil\.example:3100 is not a trusted origin/) } });
  });

  it("do not concern reads", async () => {
    const read = new Request(URL, { headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" } });
    expect(await answer(await echo(read, {}))).toEqual({ status: 200, body: { got: null } });
  });
});

describe("the JSON-only body (415)", () => {
  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", 'application/json; charset="utf-8"'])("accepts %j", async (type) => {
    expect(await answer(await echo(post('{"a":1}', { "content-type": type }), {}))).toEqual({ status: 200, body: { got: { a: 1 } } });
  });

  it.each(["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json-seq", "application/vnd.api+json", "application/json; version=2"])(
    "refuses %j, naming it",
    async (type) => {
      const { status, body } = await answer(await echo(post('{"a":1}', { "content-type": type }), {}));
      expect(status).toBe(415);
      expect(body.error).toBe(`request body must be JSON, sent with content-type: application/json (not ${type})`);
    },
  );

  it("refuses a body without any content type", async () => {
    const { status, body } = await answer(await echo(post(new TextEncoder().encode('{"a":1}'), {}), {})); // bytes: no type is implied
    expect(status).toBe(415);
    expect(body.error).toMatch(/none was given/);
  });

  it("does not look at the type of a GET, HEAD or OPTIONS, which carry no body a handler reads", async () => {
    const read = route(async () => Response.json({ ok: true }));
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "text/html; charset=latin1"]) {
        expect((await read(new Request(URL, { method, headers: { "content-type": type } }), {})).status, `${method} ${type}`).toBe(200);
      }
    }
  });

  it("does not ask a request without a body for a type (POST /api/logout), but refuses a form's type even then", async () => {
    const logout = route(async () => new Response(null, { status: 204 }));
    expect((await logout(post(null, {}), {})).status).toBe(204);
    expect((await logout(post(new Uint8Array(0), {}), {})).status).toBe(204);
    expect((await logout(post(null, { "content-type": "application/json" }), {})).status).toBe(204);
    // An empty form post, as a browser too old to send Origin would make it cross-site: not accepted.
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      expect((await logout(post("", { "content-type": type, "content-length": "0" }), {})).status, type).toBe(415);
    }
  });
});

describe("the body limit (413)", () => {
  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const { stream, counter } = countedStream(new Uint8Array(1024), 1000);
    const { status, body } = await answer(await echo(post(stream, { "content-type": "application/json", "content-length": String(DEFAULT_MAX_BODY_BYTES + 1) }), {}));
    expect(status).toBe(413);
    expect(body.error).toBe("request body too large: at most 65536 bytes (64 KiB) here");
    expect(counter.pulled).toBeLessThanOrEqual(1);
  });

  it("counts a body without Content-Length while reading it, and stops at the limit", async () => {
    const { stream, counter } = countedStream(new Uint8Array(16 * 1024).fill(0x20), 1000); // 16 MB of spaces, if it were all read
    expect((await echo(post(stream), {})).status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES / (16 * 1024) + 2);
    expect(counter.cancelled).toBe(true);
  });

  it("is not fooled by a Content-Length smaller than the body", async () => {
    const { stream } = countedStream(new Uint8Array(16 * 1024).fill(0x20), 100);
    expect((await echo(post(stream, { "content-type": "application/json", "content-length": "2" }), {})).status).toBe(413);
  });

  it("accepts a body of exactly the limit, and applies a route's own limit (BODY_LIMITS) by the request's path and method", async () => {
    const exactly = `"${"x".repeat(DEFAULT_MAX_BODY_BYTES - 2)}"`;
    expect((await echo(post(exactly), {})).status).toBe(200);
    expect((await echo(post(` ${exactly}`), {})).status).toBe(413);
    const length = route(async (request) => Response.json({ length: ((await request.json()) as string).length }));
    const article = `"${"x".repeat(100_000)}"`;
    expect(await answer(await length(post(article, undefined, "POST", `${ORIGIN}/api/articles`), {}))).toEqual({ status: 200, body: { length: 100_000 } });
    expect(await answer(await length(post(article, undefined, "PATCH", `${ORIGIN}/api/articles/7`), {}))).toEqual({ status: 200, body: { length: 100_000 } });
    expect(await answer(await length(post(article, undefined, "POST", `${ORIGIN}/api/signup`), {}))).toEqual({ status: 413, body: { error: "request body too large: at most 65536 bytes (64 KiB) here" } });
  });
});

describe("JSON bodies (400)", () => {
  it("refuses malformed and empty JSON", async () => {
    for (const text of ["{", "nope", "{'a':1}", ""]) {
      expect(await answer(await echo(post(text), {})), text).toEqual({ status: 400, body: { error: "request body must be JSON" } });
    }
  });

  it("refuses JSON nested deeper than the framework's 100 levels (it would overflow the stack further on)", async () => {
    expect((await echo(post(`${"[".repeat(64)}${"]".repeat(64)}`), {})).status).toBe(200);
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    expect(await answer(await echo(post(deep), {}))).toEqual({ status: 400, body: { error: "request body is nested too deeply (at most 100 levels)" } });
    expect((await answer(await echo(post(`${"[".repeat(100)}${"]".repeat(100)}`), {}))).status).toBe(200);
    expect(await answer(await echo(post(`${"[".repeat(101)}${"]".repeat(101)}`), {}))).toEqual({ status: 400, body: { error: "request body is nested too deeply (at most 100 levels)" } });
  });

  it("refuses NUL and lone surrogates in text fields, naming the field, from the escape sequences in the raw body", async () => {
    const schema = z.object({ title: safeText().trim().min(1) });
    const create = route(async (request) => Response.json(await parseBody(request, schema)));
    for (const [raw, problem] of [
      ['{"title":"a\\u0000b"}', /^invalid request: title: contains a NUL character/],
      ['{"title":"\\ud800x"}', /^invalid request: title: contains an unpaired surrogate \(\\ud800\)/],
    ] as const) {
      const { status, body } = await answer(await create(post(raw), {}));
      expect(status, raw).toBe(400);
      expect(body.error).toMatch(problem);
      expect(Object.keys(body.fields!)).toEqual(["title"]);
    }
  });
});

describe("toErrorResponse", () => {
  it("answers 503 for a database that is not migrated, naming the fix but not the database (its message is for the log)", async () => {
    const message = "the database at postgresql://app:****@db.internal:5432/app is not migrated (missing: TaskResult, 5 migrations not applied): run npm run db:deploy";
    const { status, body } = await answer(toErrorResponse(new SchemaNotReadyError(message)));
    expect({ status, body }).toEqual({ status: 503, body: { error: NOT_MIGRATED_MESSAGE } });
    expect(body.error).toContain("run npm run db:deploy");
    for (const detail of ["db.internal", "5432", "app:****", "TaskResult", "migrations not applied"]) expect(body.error).not.toContain(detail);
  });

  it("answers an HttpError's status and a bug's 500 without its message", async () => {
    expect(await answer(toErrorResponse(new HttpError(409, "taken")))).toEqual({ status: 409, body: { error: "taken" } });
    expect(await answer(toErrorResponse(new Error("secret detail")))).toEqual({ status: 500, body: { error: "internal error" } });
  });

  it("answers framework errors by class: a refused schedule 400, an unknown record 404, a corrupt row 500", async () => {
    expect(await answer(toErrorResponse(new InvalidScheduleError("minute", "crontab minute 99 is invalid")))).toEqual({ status: 400, body: { error: "crontab minute 99 is invalid" } });
    expect(await answer(toErrorResponse(new NotFoundError("periodic task", 7)))).toEqual({ status: 404, body: { error: "no periodic task with id 7" } });
    expect(await answer(toErrorResponse(new CorruptRowError("PeriodicTask", 7, ["intervalId"], "periodic task 'x' has no schedule")))).toEqual({
      status: 500,
      body: { error: "internal error" },
    });
  });
});
