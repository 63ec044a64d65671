import { describe, expect, it } from "vitest";
import { HttpError } from "./http.js";
import { parseTaskQuery, toTaskFilter } from "./task-query.js";

const query = (text: string) => parseTaskQuery(new URLSearchParams(text));

/** The 400 a query gets: its field and message. */
function refusal(text: string): { field?: string; message: string } {
  try {
    query(text);
  } catch (error) {
    if (error instanceof HttpError && error.status === 400) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe("parseTaskQuery: the Tasks filter from the query string", () => {
  it("reads every filter, several statuses (repeated or with commas), and the page", () => {
    expect(query("status=FAILURE&status=revoked,RETRY&name=emails.sendWelcome&queue=mail&worker=celeriac@w1&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00%2B01:00&id=abc&q=timeout&after=xyz&limit=20")).toEqual({
      status: ["FAILURE", "REVOKED", "RETRY"],
      name: "emails.sendWelcome",
      queue: "mail",
      worker: "celeriac@w1",
      from: "2026-12-01T00:00:00Z",
      to: "2026-12-02T00:00:00+01:00",
      id: "abc",
      q: "timeout",
      after: "xyz",
      limit: 20,
    });
  });

  it("has 50 rows a page and no filter by default; empty parameters count as absent", () => {
    expect(query("")).toEqual({ limit: 50 });
    expect(query("name=&status=&limit=")).toEqual({ limit: 50 });
  });

  it("refuses a bad value with a 400 naming its parameter", () => {
    expect(refusal("status=FAILURE&status=DONE")).toMatchObject({ field: "status" });
    expect(refusal("from=yesterday")).toMatchObject({ field: "from", message: expect.stringMatching(/ISO 8601/) });
    expect(refusal("limit=201").field).toBe("limit");
    expect(refusal("limit=0").field).toBe("limit");
    expect(refusal("limit=ten").field).toBe("limit");
    expect(refusal("limit=1.5").field).toBe("limit");
    expect(refusal(`name=${"x".repeat(201)}`).field).toBe("name");
    expect(refusal("q=%00").field).toBe("q");
  });
});

describe("toTaskFilter", () => {
  it("gives the store Dates, `text` for q, and statuses once each", () => {
    expect(toTaskFilter({ status: ["FAILURE", "FAILURE"], from: "2026-12-01T00:00:00Z", q: "boom" })).toEqual({
      statuses: ["FAILURE"],
      from: new Date("2026-12-01T00:00:00Z"),
      text: "boom",
    });
  });
});
