import { describe, expect, it } from "vitest";
import type { TaskRow } from "../api-types.js";
import { toSearch } from "./api.js";
import { apiQuery, isFiltered, matchesFilter, queryFromView, viewFromQuery } from "./task-filter.js";

function row(over: Partial<TaskRow> = {}): TaskRow {
  return {
    id: "t1", name: "mail.send", status: "FAILURE", args: ["a@example.com", 3], queue: "default", worker: "w1:1:ab",
    retries: 0, createdAt: "2026-12-01T10:00:00.000Z", startedAt: null, doneAt: null, runtimeMs: null,
    errorType: "SMTPError", errorMessage: "Connection refused", retriedFrom: null, rootId: null, progress: null, ...over,
  };
}

describe("viewFromQuery / queryFromView", () => {
  it("reads every filter field and the cursor, and writes them back in one canonical order", () => {
    const query = new URLSearchParams("q=refused&status=REVOKED&status=FAILURE&status=FAILURE&name=mail.send&queue=default&worker=w1&from=2026-12-01T00:00:00.000Z&to=2026-12-02T00:00:00.000Z&id=t1&after=cursor9");
    const view = viewFromQuery(query);
    expect(view).toEqual({
      filter: {
        status: ["FAILURE", "REVOKED"], name: "mail.send", queue: "default", worker: "w1",
        from: "2026-12-01T00:00:00.000Z", to: "2026-12-02T00:00:00.000Z", id: "t1", q: "refused",
      },
      after: "cursor9",
    });
    expect(viewFromQuery(new URLSearchParams(queryFromView(view)))).toEqual(view);
    expect(queryFromView(view)).toBe(
      "?status=FAILURE&status=REVOKED&name=mail.send&queue=default&worker=w1&from=2026-12-01T00%3A00%3A00.000Z&to=2026-12-02T00%3A00%3A00.000Z&id=t1&q=refused&after=cursor9",
    );
  });

  it("drops unknown statuses and blank fields", () => {
    const view = viewFromQuery(new URLSearchParams("status=NOPE&status=SUCCESS&name=&q=%20%20&limit=5"));
    expect(view).toEqual({ filter: { status: ["SUCCESS"] } });
    expect(queryFromView({ filter: {} })).toBe("");
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ status: ["SUCCESS"] })).toBe(true);
  });

  it("sends the filter and the cursor to the API as query parameters, several statuses repeated", () => {
    const view = viewFromQuery(new URLSearchParams("status=FAILURE&status=REVOKED&name=mail.send&after=c2"));
    expect(toSearch(apiQuery(view))).toBe("?status=FAILURE&status=REVOKED&name=mail.send&after=c2");
  });
});

describe("matchesFilter", () => {
  it("takes a row that meets every condition", () => {
    expect(matchesFilter(row(), { status: ["FAILURE"], name: "mail.send", queue: "default", worker: "w1:1:ab", id: "t1" })).toBe(true);
    expect(matchesFilter(row(), {})).toBe(true);
  });

  it("refuses a row that misses any one", () => {
    expect(matchesFilter(row(), { status: ["SUCCESS", "PENDING"] })).toBe(false);
    expect(matchesFilter(row(), { name: "mail.other" })).toBe(false);
    expect(matchesFilter(row(), { queue: "heavy" })).toBe(false);
    expect(matchesFilter(row({ worker: null }), { worker: "w1:1:ab" })).toBe(false);
    expect(matchesFilter(row(), { id: "t2" })).toBe(false);
  });

  it("keeps the time range half-open: from ≤ createdAt < to", () => {
    expect(matchesFilter(row(), { from: "2026-12-01T10:00:00.000Z" })).toBe(true);
    expect(matchesFilter(row(), { from: "2026-12-01T10:00:00.001Z" })).toBe(false);
    expect(matchesFilter(row(), { to: "2026-12-01T10:00:00.000Z" })).toBe(false);
    expect(matchesFilter(row(), { to: "2026-12-01T10:00:00.001Z" })).toBe(true);
  });

  it("finds the search text in the arguments or the error, whatever its case", () => {
    expect(matchesFilter(row(), { q: "A@EXAMPLE" })).toBe(true);
    expect(matchesFilter(row(), { q: "connection REFUSED" })).toBe(true);
    expect(matchesFilter(row(), { q: "timeout" })).toBe(false);
  });
});
