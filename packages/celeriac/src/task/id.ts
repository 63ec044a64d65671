/**
 * The task-id rule, one definition: what `applyAsync({ taskId })` accepts and what an app may check an id
 * from a URL against before it looks the task up. A leaf module (imports nothing): the client-safe entry
 * (celeriac/states) re-exports it.
 */

/** The longest task id, in characters. */
export const TASK_ID_MAX_LENGTH = 200;

/** 1 to TASK_ID_MAX_LENGTH letters, digits, '_', '.' or '-' (a UUID fits). Not all digits: see taskIdProblem(). */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.-]{1,200}$/;

/** Why `id` cannot be a task id, or undefined when it can. */
export function taskIdProblem(id: string): string | undefined {
  if (!TASK_ID_PATTERN.test(id)) return `use 1 to ${TASK_ID_MAX_LENGTH} letters, digits, '_', '.' or '-'`;
  // BullMQ gives its own jobs numeric ids: a custom id of digits only is refused.
  if (/^\d+$/.test(id)) return "an id must not be all digits (BullMQ reserves those)";
  return undefined;
}

/** True when `id` follows the task-id rule. */
export function isTaskId(id: string): boolean {
  return taskIdProblem(id) === undefined;
}
