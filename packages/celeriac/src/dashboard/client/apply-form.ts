/**
 * The "Send a task" form's values → the POST tasks/apply body, checked in the page first (arguments
 * must be a JSON array) so that the common mistakes are named before anything is sent; the server
 * checks them again against the task's schema. Pure: the unit tests call it.
 */
import type { ApplyBody } from "../api-types.js";

export interface ApplyValues {
  task: string;
  args: string;
  queue: string;
  countdown: string;
}

export type ApplyField = keyof ApplyValues;
export type ApplyErrors = Partial<Record<ApplyField, string>>;

export function parseApplyForm(values: ApplyValues): { body: Omit<ApplyBody, "requestKey"> } | { errors: ApplyErrors } {
  const errors: ApplyErrors = {};
  if (values.task.trim() === "") errors.task = "choose a task";
  let args: unknown;
  try {
    args = JSON.parse(values.args.trim() === "" ? "[]" : values.args);
    if (!Array.isArray(args)) errors.args = 'must be a JSON array of the positional arguments, e.g. [2, 3] or ["a@example.com"]';
  } catch (error) {
    errors.args = `not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const countdown = values.countdown.trim() === "" ? undefined : Number(values.countdown);
  if (countdown !== undefined && !(Number.isFinite(countdown) && countdown >= 0)) errors.countdown = "seconds, 0 or more";
  if (Object.keys(errors).length > 0) return { errors };
  const body: Omit<ApplyBody, "requestKey"> = { task: values.task.trim(), args: args as unknown[] };
  if (values.queue.trim() !== "") body.queue = values.queue.trim();
  if (countdown !== undefined) body.countdown = countdown;
  return { body };
}

/** The form field a server error names ("args", "args.0", "args[1].to" → "args"), if it is one of the form's. */
export function applyFieldOf(field: string | undefined): ApplyField | undefined {
  const head = field?.split(/[.[]/)[0];
  return head === "task" || head === "args" || head === "queue" || head === "countdown" ? head : undefined;
}
