/**
 * The one rule for text that crosses a boundary (a request field, a periodic task's name, a task argument):
 * no NUL character and no unpaired UTF-16 surrogate.
 *
 *   NUL ("\u0000")        JSON and SQLite take it, PostgreSQL's text and jsonb cannot store it: a value
 *                         that works in development would fail in production, so it is refused everywhere.
 *   a lone surrogate      "\ud800x" is valid JSON (the escape sequence) but not Unicode: it cannot be encoded
 *                         as UTF-8 (PostgreSQL refuses it; Node writes U+FFFD instead, silently changing it).
 *
 * `textProblem()` says what is wrong with a string, `escapeText()` makes any string storable; safe-text.ts
 * has the zod string that refuses both. No imports: errors.ts (and so `celeriac/errors`) depends on this.
 */

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** What escapeText() writes as escapes: NUL, or a lone surrogate. */
const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, "g");

/** What makes `text` unstorable ("a NUL character (\\u0000)", "an unpaired surrogate (\\ud800)"), or undefined. */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "a NUL character (\\u0000), which PostgreSQL cannot store";
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return `an unpaired surrogate (\\u${lone[0].charCodeAt(0).toString(16)}), which is not Unicode text`;
  return undefined;
}

/**
 * `text` with each NUL and unpaired surrogate written as its escape ("\\u0000", "\\ud800"): storable anywhere,
 * and still showing what was there. For text celeriac must store whatever it holds (an error's message).
 */
export function escapeText(text: string): string {
  return text.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
