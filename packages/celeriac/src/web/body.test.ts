import { describe, expect, it } from "vitest";
import { countedStream } from "../../test/streams.js";
import { isJsonContentType, notJsonMessage, readBodyAtMost } from "./body.js";

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://x/", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("isJsonContentType / notJsonMessage", () => {
  it("takes application/json with a UTF-8 charset only", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("application/json;")).toBe(true);
    expect(isJsonContentType('Application/JSON; charset="UTF-8"')).toBe(true);
    expect(isJsonContentType("application/jsonx")).toBe(false);
    expect(isJsonContentType("application/json; charset=utf-16")).toBe(false);
    expect(isJsonContentType("application/json; version=2")).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });

  it("names the type refused, or that none was given", () => {
    expect(notJsonMessage("text/plain")).toBe("request body must be JSON, sent with content-type: application/json (not text/plain)");
    expect(notJsonMessage(null)).toBe("request body must be JSON, sent with content-type: application/json (none was given)");
  });
});

describe("readBodyAtMost", () => {
  it("reads a body up to and including the limit; no body is no bytes", async () => {
    expect(new TextDecoder().decode((await readBodyAtMost(post("x".repeat(100)), 100))!)).toBe("x".repeat(100));
    expect(await readBodyAtMost(post("x".repeat(101)), 100)).toBeNull();
    expect(await readBodyAtMost(post(null), 100)).toEqual(new Uint8Array());
  });

  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const { stream, counter } = countedStream(new Uint8Array(1024), 1000);
    expect(await readBodyAtMost(post(stream, { "content-length": "1025" }), 1024)).toBeNull();
    expect(counter.pulled).toBeLessThanOrEqual(1); // a stream may be primed with one chunk
  });

  it("counts a body without Content-Length while reading it, stops at the limit and cancels the rest", async () => {
    const { stream, counter } = countedStream(new Uint8Array(16 * 1024), 1000); // 16 MB, if it were all read
    expect(await readBodyAtMost(post(stream), 64 * 1024)).toBeNull();
    expect(counter.pulled).toBeLessThanOrEqual(64 / 16 + 2);
    expect(counter.cancelled).toBe(true);
  });

  it("is not fooled by a Content-Length smaller than the body, and joins the chunks it reads", async () => {
    expect(await readBodyAtMost(post(countedStream(new Uint8Array(16 * 1024), 100).stream, { "content-length": "2" }), 64 * 1024)).toBeNull();
    const bytes = await readBodyAtMost(post(countedStream(new Uint8Array([1, 2, 3]), 3).stream), 9);
    expect(bytes).toEqual(new Uint8Array([1, 2, 3, 1, 2, 3, 1, 2, 3]));
  });
});
