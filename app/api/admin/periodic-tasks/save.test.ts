/**
 * save()'s mapping of the framework's errors to the form's fields: by class and `field`/`issues`, never by
 * message text (the write is a stub; no database).
 */
import { describe, expect, it } from "vitest";

process.env.CELERIAC_LOG_LEVEL = "silent";
const { save } = await import("./save");
const { InvalidPeriodicTaskError, InvalidScheduleError, NotFoundError } = await import("celeriac");

const body = { name: "nightly", task: "demo.add", schedule: { kind: "crontab", minute: "99" } };
const request = () => new Request("http://localhost/api/admin/periodic-tasks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const answer = async (thrown: unknown) => {
  const result = await save(request(), async () => {
    throw thrown;
  });
  if (!(result instanceof Response)) throw new Error("expected a Response");
  return { status: result.status, body: await result.json() };
};

describe("save(): framework errors beside their field", () => {
  it("a refused schedule: 400, the message beside the input its `field` names", async () => {
    const message = 'crontab minute "99" is invalid: 99 is out of range 0-59';
    expect(await answer(new InvalidScheduleError("minute", message))).toEqual({ status: 400, body: { error: message, fields: { minute: message } } });
    expect(await answer(new InvalidScheduleError("timezone", "zone"))).toEqual({ status: 400, body: { error: "zone", fields: { timezone: "zone" } } });
    expect(await answer(new InvalidScheduleError("expression", "cron"))).toEqual({ status: 400, body: { error: "cron", fields: { expression: "cron" } } });
  });

  it("a schedule no one field is to blame for: 400 with the message only (the form shows it above)", async () => {
    expect(await answer(new InvalidScheduleError(null, "never fires"))).toEqual({ status: 400, body: { error: "never fires" } });
  });

  it("a definition the store refuses: each issue beside its input, one the form has no input for under its path", async () => {
    const error = new InvalidPeriodicTaskError([
      { field: "args", message: "argument 0 is a Date" },
      { field: "schedule.every", message: "too small" },
      { field: "", message: "unknown key" },
      { field: "bogus", message: "what" },
    ]);
    expect(await answer(error)).toEqual({
      status: 400,
      body: { error: error.message, fields: { args: "argument 0 is a Date", every: "too small", body: "unknown key", bogus: "what" } },
    });
  });

  it("a taken name: 409 beside the name; anything else is thrown on (route() answers it)", async () => {
    expect(await answer({ code: "P2002" })).toEqual({ status: 409, body: { error: 'a periodic task named "nightly" already exists', fields: { name: 'a periodic task named "nightly" already exists' } } });
    await expect(answer(new NotFoundError("periodic task", 3))).rejects.toBeInstanceOf(NotFoundError);
  });
});
