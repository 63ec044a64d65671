/**
 * JSON bodies as the fuzz suite writes them: a value tree whose leaves may be `RawJson`, text put into the
 * body verbatim (numbers JSON.stringify cannot write such as 1e400 or NaN, 100,000 levels of nesting).
 * Strings go through JSON.stringify, so NUL and lone surrogates arrive as the escapes `\u0000` and `\ud800`.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class RawJson {
  constructor(readonly text: string) {}
}

export type BodyValue = Json | RawJson | BodyValue[] | { [key: string]: BodyValue };
export type BodyObject = { [key: string]: BodyValue };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof RawJson);
}

/** The JSON text of `value`; a non-finite number is written as its name (NaN, Infinity), which is not JSON. */
export function toJsonText(value: BodyValue): string {
  if (value instanceof RawJson) return value.text;
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.entries(value as BodyObject)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The paths of an object's leaves (anything but a non-empty plain object), depth first: [["schedule","every"], …]. */
export function leafPaths(value: BodyObject, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, item]) =>
    isObject(item) && Object.keys(item).length > 0 ? leafPaths(item as BodyObject, [...prefix, key]) : [[...prefix, key]],
  );
}

/** A copy of `value` with the leaf at `path` replaced (`replacement` undefined: removed). */
export function withLeaf(value: BodyObject, path: string[], replacement: BodyValue | undefined): BodyObject {
  const [key, ...rest] = path;
  const copy: BodyObject = { ...value };
  if (rest.length === 0) {
    if (replacement === undefined) delete copy[key];
    else copy[key] = replacement;
  } else {
    copy[key] = withLeaf((isObject(copy[key]) ? copy[key] : {}) as BodyObject, rest, replacement);
  }
  return copy;
}

/** The leaf at `path`, or undefined. */
export function leafAt(value: BodyValue, path: string[]): BodyValue | undefined {
  let at: BodyValue | undefined = value;
  for (const key of path) at = isObject(at) ? (at as BodyObject)[key] : undefined;
  return at;
}
