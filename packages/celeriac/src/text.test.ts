import { describe, expect, it } from "vitest";
import { z } from "zod";
import { safeText } from "./safe-text.js";
import { escapeText, textProblem } from "./text.js";

describe("textProblem", () => {
  it.each([
    ["plain text", "hello"],
    ["the empty string", ""],
    ["a pair of surrogates (an emoji)", "ok 😀 ok"],
    ["text at the edges of the BMP", "\uD7FF\uE000\uFFFD"],
  ])("accepts %s", (_label, text) => {
    expect(textProblem(text)).toBeUndefined();
  });

  it.each([
    ["a NUL character", "a\u0000b", "a NUL character (\\u0000)"],
    ["a lone high surrogate", "\ud800x", "an unpaired surrogate (\\ud800)"],
    ["a high surrogate at the end", "x\udbff", "an unpaired surrogate (\\udbff)"],
    ["a lone low surrogate", "x\udc00", "an unpaired surrogate (\\udc00)"],
    ["two high surrogates", "\ud83d\ud83d\ude00", "an unpaired surrogate (\\ud83d)"],
    ["a low surrogate before a high one", "\ude00\ud83d", "an unpaired surrogate (\\ude00)"],
  ])("refuses %s", (_label, text, problem) => {
    expect(textProblem(text)).toContain(problem);
  });

  it("refuses what JSON.parse makes of the escape sequences a client can send", () => {
    expect(textProblem(JSON.parse('"\\ud800x"') as string)).toContain("unpaired surrogate");
    expect(textProblem(JSON.parse('"a\\u0000b"') as string)).toContain("NUL");
  });
});

describe("safeText", () => {
  const schema = z.object({ title: safeText().trim().min(1, "a title is required").max(5) });

  it("passes good text through the checks chained after it", () => {
    expect(schema.parse({ title: "  abc " })).toEqual({ title: "abc" });
    expect(schema.safeParse({ title: "   " }).error?.issues[0]).toMatchObject({ path: ["title"], message: "a title is required" });
  });

  it("refuses NUL and lone surrogates with an issue on the field", () => {
    expect(schema.safeParse({ title: "a\u0000" }).error?.issues[0]).toMatchObject({ path: ["title"], message: expect.stringMatching(/^contains a NUL character/) });
    expect(schema.safeParse({ title: "\ud800x" }).error?.issues[0]).toMatchObject({ path: ["title"], message: expect.stringMatching(/^contains an unpaired surrogate \(\\ud800\)/) });
  });
});

describe("escapeText", () => {
  it("writes NUL and lone surrogates as their escapes, and leaves everything else, pairs included", () => {
    expect(escapeText("a\u0000b \ud800x \udc00 \ud83d\ude00 ü")).toBe("a\\u0000b \\ud800x \\udc00 😀 ü");
    expect(textProblem(escapeText("\u0000\udfff\ud800"))).toBeUndefined();
  });
});
