/**
 * The JSON-only rule for task arguments and results (Sidekiq's verify_json): anything a JSON round trip
 * would silently change (a Date, a class instance, undefined, NaN, a cycle) is refused, naming where it is.
 */
import { NotJsonError } from "./errors";
import { textProblem } from "./text";

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

/** Walks a value depth-first; returns where the first non-JSON part is and what it is. */
function findNonJson(value: unknown, path: string, ancestors: unknown[]): { path: string; problem: string } | undefined {
  const problem = describe(value);
  if (problem) return { path, problem };
  if (typeof value !== "object" || value === null) return undefined;
  if (ancestors.includes(value)) return { path, problem: "a reference back to itself (a cyclic structure)" };
  ancestors.push(value);
  const children: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, item])
    : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item]);
  for (const [childPath, child] of children) {
    const found = findNonJson(child, childPath, ancestors);
    if (found) return found;
  }
  ancestors.pop();
  return undefined;
}

/**
 * Checks that `args` survive a JSON round trip unchanged and fit in `maxBytes`. Throws NotJsonError naming
 * the first offending argument, e.g. "argument 0 (args[0].when) is a Date; pass date.toISOString() …".
 */
export function assertJsonArgs(args: readonly unknown[], maxBytes: number): void {
  for (const [i, arg] of args.entries()) {
    const found = findNonJson(arg, `args[${i}]`, []);
    if (found) throw new NotJsonError(`argument ${i} (${found.path}) is ${found.problem}`);
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
  const found = findNonJson(value, "the return value", []);
  return found && `${found.path} is ${found.problem}`;
}
