import { describe, expect, it } from "vitest";
import type { TaskRow } from "../api-types.js";
import { mergeTaskRows } from "./task-rows.js";

function row(id: string, over: Partial<TaskRow> = {}): TaskRow {
  return {
    id, name: "demo.add", status: "PENDING", args: [1, 2], queue: "default", worker: null, retries: 0,
    createdAt: "2026-12-01T10:00:00.000Z", startedAt: null, doneAt: null, runtimeMs: null, errorType: null,
    errorMessage: null, retriedFrom: null, rootId: null, progress: null, ...over,
  };
}

const shown = [row("c", { createdAt: "2026-12-01T10:00:03.000Z" }), row("b", { createdAt: "2026-12-01T10:00:02.000Z" }), row("a", { createdAt: "2026-12-01T10:00:01.000Z" })];

describe("mergeTaskRows", () => {
  it("updates a shown row where it is, even when it no longer matches the filter", () => {
    const merged = mergeTaskRows(shown, [row("b", { status: "SUCCESS", createdAt: "2026-12-01T10:00:02.000Z" })], { status: ["PENDING"] }, true);
    expect(merged.rows.map((each) => [each.id, each.status])).toEqual([["c", "PENDING"], ["b", "SUCCESS"], ["a", "PENDING"]]);
    expect(merged.added).toEqual([]);
  });

  it("puts new matching rows on top of the first page, newest first, and leaves out the others", () => {
    const merged = mergeTaskRows(
      shown,
      [
        row("d", { createdAt: "2026-12-01T10:00:04.000Z" }),
        row("x", { name: "mail.send", createdAt: "2026-12-01T10:00:06.000Z" }),
        row("e", { createdAt: "2026-12-01T10:00:05.000Z" }),
      ],
      { name: "demo.add" },
      true,
    );
    expect(merged.rows.map((each) => each.id)).toEqual(["e", "d", "c", "b", "a"]);
    expect(merged.added).toEqual(["e", "d"]);
  });

  it("keeps the retry link a shown row has when a live update (a worker's, without it) arrives", () => {
    const linked = [row("r", { retriedFrom: "orig" })];
    const merged = mergeTaskRows(linked, [row("r", { status: "SUCCESS" })], {}, true);
    expect(merged.rows[0]).toMatchObject({ status: "SUCCESS", retriedFrom: "orig" });
  });

  it("adds nothing to an older page, but still updates its rows", () => {
    const merged = mergeTaskRows(shown, [row("d"), row("a", { status: "STARTED" })], {}, false);
    expect(merged.rows.map((each) => [each.id, each.status])).toEqual([["c", "PENDING"], ["b", "PENDING"], ["a", "STARTED"]]);
    expect(merged.added).toEqual([]);
  });

  it("takes the last of several changes to one row in a batch", () => {
    const merged = mergeTaskRows(shown, [row("d", { status: "STARTED" }), row("d", { status: "SUCCESS" })], {}, true);
    expect(merged.rows.filter((each) => each.id === "d").map((each) => each.status)).toEqual(["SUCCESS"]);
  });
});
