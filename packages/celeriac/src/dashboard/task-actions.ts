/**
 * Which of a task's actions its state allows: one rule for the API, which refuses the others (409,
 * api/tasks.ts), and for the page, which offers only these (TaskDetail.can, presenter.ts), so that the
 * two cannot drift apart when a state is added.
 */
import { RUNNING_STATES, type TaskState } from "../states.js";
import type { TaskDetail } from "./api-types.js";

export function allowedActions(status: TaskState): TaskDetail["can"] {
  return {
    retry: status === "FAILURE" || status === "REVOKED",
    revoke: status === "PENDING" || status === "RETRY" || RUNNING_STATES.has(status),
    terminate: RUNNING_STATES.has(status),
  };
}
