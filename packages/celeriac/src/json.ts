/**
 * The JSON-only rule for task arguments and results (Sidekiq's verify_json): anything a JSON round trip
 * would silently change (a Date, a class instance, undefined, NaN, a cycle) or cannot make (nesting past
 * MAX_JSON_NESTING) is refused, naming where it is.
 */
import { NotJsonError } from "./errors.js";
import { textProblem } from "./text.js";

function describe(value: unknown): string | undefined {
  switch (typeof value) {
    case "string": {
      // JSON allows NUL and lone surrogates, but PostgreSQL cannot store them: refused everywhere (text.ts),
      // so a task that works on SQLite in development does not wedge on PostgreSQL in production.
      const problem = textProblem(value);
      return problem && `a string containing ${problem}`;
    }
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `the number ${value} (JSON has no NaN or Infinity)`;
    case "bigint":
      return "a BigInt; pass it as a string";
    case "function":
      return "a function; tasks receive data, not code";
    case "symbol":
      return "a Symbol";
    case "undefined":
      return "undefined; use null, or leave the argument out";
    case "object": {
      if (value === null || Array.isArray(value)) return undefined;
      if (value instanceof Date) return "a Date; pass date.toISOString() or a timestamp";
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return undefined;
      const kind = proto?.constructor?.name ?? "an object with a custom prototype";
      return `an instance of ${kind}; pass its id (the task loads fresh rows) or a plain object`;
    }
  }
}

/**
 * How deeply JSON may nest (Ruby's JSON max_nesting): task arguments and results here, request bodies in
 * the app (nestedDeeperThan). Past it, JSON.stringify, which recurses, overflows the stack (at a few
 * thousand levels, fewer the deeper it is called from) on the way to Redis and the database; bounding the
 * walk keeps it, and every serializer after it, far from that.
 */
export const MAX_JSON_NESTING = 100;

/**
 * Whether a parsed JSON value has objects or arrays nested more than `max` levels deep: for what is JSON
 * already (a request body from JSON.parse, which nests as deep as its text). Walked without recursion.
 */
export function nestedDeeperThan(value: unknown, max = MAX_JSON_NESTING): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== "object" || item === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

interface NonJson {
  /** The steps from the root to the offending part, innermost first ("[2]", ".when"): joined once found. */
  steps: string[];
  problem: string;
}

/**
 * Walks a value depth-first, at most MAX_JSON_NESTING levels down; returns where the first non-JSON part
 * is and what it is. Paths are built on the way back, so a clean value costs no strings.
 */
function findNonJson(value: unknown, depth: number, ancestors: unknown[]): NonJson | undefined {
  const problem = describe(value);
  if (problem) return { steps: [], problem };
  if (typeof value !== "object" || value === null) return undefined;
  if (ancestors.includes(value)) return { steps: [], problem: "a reference back to itself (a cyclic structure)" };
  if (depth === MAX_JSON_NESTING) return { steps: [], problem: `nested more than ${MAX_JSON_NESTING} levels deep; flatten it, or store it and pass its id` };
  ancestors.push(value);
  // By index, not by iteration: a hole in a sparse array is undefined here, as JSON.stringify writes it (null).
  const keys = Array.isArray(value) ? Array.from(value.keys()) : Object.keys(value);
  for (const key of keys) {
    // A key is text too: PostgreSQL's jsonb refuses a NUL or a lone surrogate in it as in a value. It is
    // named escaped (["a\u0000"]): the message may be stored, as a FAILURE's error, where the raw key cannot.
    const keyProblem = typeof key === "string" ? textProblem(key) : undefined;
    if (keyProblem) return { steps: [`[${JSON.stringify(key)}]`], problem: `a key containing ${keyProblem}` };
    const found = findNonJson((value as Record<string | number, unknown>)[key], depth + 1, ancestors);
    if (found) {
      found.steps.push(typeof key === "number" ? `[${key}]` : `.${key}`);
      return found;
    }
  }
  ancestors.pop();
  return undefined;
}

function pathOf(root: string, found: NonJson): string {
  return root + found.steps.reverse().join("");
}

/**
 * Checks that `args` survive a JSON round trip unchanged and fit in `maxBytes`. Throws NotJsonError naming
 * the first offending argument, e.g. "argument 0 (args[0].when) is a Date; pass date.toISOString() …".
 */
export function assertJsonArgs(args: readonly unknown[], maxBytes: number): void {
  for (const [i, arg] of args.entries()) {
    const found = findNonJson(arg, 0, []);
    if (found) throw new NotJsonError(`argument ${i} (${pathOf(`args[${i}]`, found)}) is ${found.problem}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(args));
  if (bytes > maxBytes) {
    throw new NotJsonError(
      `the arguments are ${bytes} bytes, over the ${maxBytes}-byte limit (maxPayloadBytes); ` +
        "store large data in the database or a file and pass its id",
    );
  }
}

/** Why a task's return value cannot be stored as JSON, or undefined when it can (no value is stored as null). */
export function jsonProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const found = findNonJson(value, 0, []);
  return found && `${pathOf("the return value", found)} is ${found.problem}`;
}
