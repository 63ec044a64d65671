/**
 * errorReply(): the framework's errors as answers, by class and the field they carry, never by message
 * text (ported from the demo's old periodic-task admin, whose save() mapped the same errors to its form).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BrokerUnavailableError, InvalidArgumentsError, InvalidCursorError, InvalidPeriodicTaskError, InvalidScheduleError, NotFoundError, NotJsonError } from "../errors.js";
import { createLogger } from "../log.js";
import { errorReply, HttpError, parseInput, readJsonBody } from "./http.js";

const deps = { log: createLogger("silent", "json"), schema: { explain: async () => undefined, report: () => false } };
const answer = async (thrown: unknown) => {
  const response = await errorReply(thrown, deps);
  return { status: response.status, body: await response.json() };
};

describe("errorReply: framework errors beside their field", () => {
  it("a refused schedule: 400 naming the schedule's field, or the schedule when no one field is to blame", async () => {
    const message = 'crontab minute "99" is invalid: 99 is out of range 0-59';
    expect(await answer(new InvalidScheduleError("minute", message))).toEqual({ status: 400, body: { error: message, field: "schedule.minute" } });
    expect(await answer(new InvalidScheduleError("timezone", "zone"))).toEqual({ status: 400, body: { error: "zone", field: "schedule.timezone" } });
    expect(await answer(new InvalidScheduleError(null, "never fires"))).toEqual({ status: 400, body: { error: "never fires", field: "schedule" } });
  });

  it("a definition the store refuses: 400 naming its first issue's field, none for an issue about the whole", async () => {
    const error = new InvalidPeriodicTaskError([
      { field: "args", message: "argument 0 is a Date" },
      { field: "schedule.every", message: "too small" },
    ]);
    expect(await answer(error)).toEqual({ status: 400, body: { error: error.message, field: "args" } });
    const whole = new InvalidPeriodicTaskError([{ field: "", message: "unknown key" }]);
    expect(await answer(whole)).toEqual({ status: 400, body: { error: whole.message } });
  });

  it("a missing record is a 404; an HttpError its own status and field; anything else a 500 that says nothing", async () => {
    expect(await answer(new NotFoundError("periodic task", 3))).toEqual({ status: 404, body: { error: "no periodic task with id 3" } });
    expect(await answer(new HttpError(409, 'a periodic task named "nightly" already exists', "name"))).toEqual({ status: 409, body: { error: 'a periodic task named "nightly" already exists', field: "name" } });
    expect(await answer(new Error("database password is hunter2"))).toEqual({ status: 500, body: { error: "internal error" } });
  });
});

describe("errorReply: what a dispatch refuses, a bad cursor, Redis away", () => {
  it("arguments .delay() refuses: 400 on args; a cursor that is no page's `next`: 400 on after; Redis away: 503", async () => {
    expect(await answer(new InvalidArgumentsError("argument 0: expected number"))).toMatchObject({ status: 400, body: { field: "args" } });
    expect(await answer(new NotJsonError("argument 0 is a BigInt"))).toMatchObject({ status: 400, body: { field: "args" } });
    expect(await answer(new InvalidCursorError())).toMatchObject({ status: 400, body: { field: "after" } });
    const away = await answer(new BrokerUnavailableError("redis://user:secret@host"));
    expect(away.status).toBe(503);
    expect(JSON.stringify(away.body)).not.toContain("secret");
  });
});

describe("readJsonBody / parseInput", () => {
  const post = (body: string | undefined, type: string | null = "application/json") =>
    new Request("http://x/", { method: "POST", body, headers: type === null ? {} : { "content-type": type } });
  const refusal = async (request: Request) => {
    try {
      await readJsonBody(request);
    } catch (error) {
      if (error instanceof HttpError) return { status: error.status, field: error.field };
      throw error;
    }
    throw new Error("accepted");
  };

  it("reads JSON (UTF-8), an empty body as {}", async () => {
    expect(await readJsonBody(post('{"a":1}'))).toEqual({ a: 1 });
    expect(await readJsonBody(post('{"a":1}', "application/json; charset=UTF-8"))).toEqual({ a: 1 });
    expect(await readJsonBody(post(undefined))).toEqual({});
  });

  it("refuses another type or none (415), too much (413), malformed or too deep JSON (400 on body)", async () => {
    expect(await refusal(post("{}", "text/plain"))).toEqual({ status: 415, field: undefined });
    expect(await refusal(post("{}", null))).toMatchObject({ status: 415 });
    expect(await refusal(post("{}", "application/json; charset=latin1"))).toMatchObject({ status: 415 });
    expect(await refusal(post(`"${"x".repeat(65 * 1024)}"`))).toMatchObject({ status: 413 });
    expect(await refusal(post("{"))).toEqual({ status: 400, field: "body" });
    expect(await refusal(post("[".repeat(101) + "]".repeat(101)))).toEqual({ status: 400, field: "body" });
  });

  it("names the first bad field by its path, or by its first segments (query parameters)", () => {
    const schema = z.object({ a: z.object({ b: z.array(z.number()) }) });
    const field = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as HttpError).field;
      }
    };
    expect(field(() => parseInput(schema, { a: { b: [1, "x"] } }))).toBe("a.b.1");
    expect(field(() => parseInput(schema, { a: { b: [1, "x"] } }, { depth: 1 }))).toBe("a");
    expect(field(() => parseInput(schema, "nope", { root: "query" }))).toBe("query");
  });
});
