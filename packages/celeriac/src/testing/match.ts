/**
 * Which recorded sends a test's expectation matches, and the failure message when the expectation does not
 * hold: the expectation, then every send recorded, one line each, those of the expected task marked, so a
 * failing assertEnqueued reads like a diff in vitest or jest.
 */
import { isDeepStrictEqual } from "node:util";
import type { SentTask } from "./recording-broker.js";

/** The arguments expected: the exact list (compared deeply), or a test of the recorded list. */
export type ArgsExpectation<A extends readonly unknown[]> = A | ((args: A) => boolean);

/** What else a send must have, when given; `times`: exactly this many matching sends (default: at least one). */
export interface SendExpectation {
  queue?: string;
  owner?: string;
  priority?: number;
  /** The countdown or eta as a delay, ms (`countdown: 5` is 5000). */
  delayMs?: number;
  times?: number;
}

export interface Expectation {
  name: string;
  args?: ArgsExpectation<readonly unknown[]>;
  options?: SendExpectation;
}

const OPTION_KEYS = ["queue", "owner", "priority", "delayMs"] as const;

export function matches(sent: SentTask, { name, args, options = {} }: Expectation): boolean {
  if (sent.name !== name) return false;
  if (typeof args === "function" ? !args(sent.args) : args !== undefined && !isDeepStrictEqual(sent.args, args)) return false;
  return OPTION_KEYS.every((key) => options[key] === undefined || sent[key] === options[key]);
}

const MAX_ARGS_CHARS = 300;

function showArgs(args: ArgsExpectation<readonly unknown[]> | undefined): string {
  if (args === undefined) return "(any args)";
  if (typeof args === "function") return `(args where ${args.name || "a test"} holds)`;
  const text = JSON.stringify(args);
  return text.length > MAX_ARGS_CHARS ? `${text.slice(0, MAX_ARGS_CHARS)}…` : text;
}

function showOptions(options: Partial<Record<(typeof OPTION_KEYS)[number], unknown>>): string {
  const shown = OPTION_KEYS.filter((key) => options[key] !== undefined);
  return shown.length === 0 ? "" : ` { ${shown.map((key) => `${key}: ${JSON.stringify(options[key])}`).join(", ")} }`;
}

/** One send, as a line: `name [args] { queue: …, owner: … }`. */
export function describeSent(sent: SentTask): string {
  return `${sent.name} ${showArgs(sent.args)}${showOptions({ ...sent, delayMs: sent.delayMs || undefined })}`;
}

export function describeExpectation({ name, args, options = {} }: Expectation): string {
  return `${name} ${showArgs(args)}${showOptions(options)}`;
}

/** The recorded sends as the message's list: `+` before a send of the expected task, `·` before the others. */
export function listSent(sent: readonly SentTask[], name: string): string {
  if (sent.length === 0) return "  enqueued: nothing";
  return [`  enqueued (${sent.length}):`, ...sent.map((s) => `  ${s.name === name ? "+" : "·"} ${describeSent(s)}`)].join("\n");
}

const times = (n: number) => `${n} time${n === 1 ? "" : "s"}`;

/**
 * The error of a failed expectation. Besides the message, `expected` and `actual` (the expected send, and
 * the recorded sends of that task) let a test runner print its own diff of the two.
 */
export class EnqueuedAssertionError extends Error {
  override readonly name = "AssertionError";

  constructor(
    message: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(message);
  }
}

/** The options of a send or an expectation that are set, as an object (what the runner's diff compares). */
const setOptions = (from: Partial<Record<(typeof OPTION_KEYS)[number], unknown>>) =>
  Object.fromEntries(OPTION_KEYS.filter((key) => from[key] !== undefined).map((key) => [key, from[key]]));

const shape = (sent: SentTask) => ({ name: sent.name, args: sent.args, ...setOptions(sent) });

export function notEnqueuedError(expectation: Expectation, sent: readonly SentTask[], found: number): EnqueuedAssertionError {
  const { name, args, options = {} } = expectation;
  const head =
    options.times === undefined
      ? `expected ${describeExpectation(expectation)} to be enqueued, but it was not`
      : `expected ${describeExpectation(expectation)} to be enqueued ${times(options.times)}, but it was enqueued ${times(found)}`;
  const expected = { name, args: typeof args === "function" ? showArgs(args) : args, ...setOptions(options) };
  return new EnqueuedAssertionError(`${head}\n${listSent(sent, name)}`, [expected], sent.filter((s) => s.name === name).map(shape));
}

export function enqueuedError(expectation: Expectation, sent: readonly SentTask[], found: readonly SentTask[]): EnqueuedAssertionError {
  const head = `expected ${describeExpectation(expectation)} not to be enqueued, but it was ${times(found.length)}`;
  return new EnqueuedAssertionError(`${head}\n${listSent(sent, expectation.name)}`, [], found.map(shape));
}
