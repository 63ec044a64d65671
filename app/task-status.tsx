"use client";
/**
 * Following a background task from the browser: `useTaskPoll()` polls GET /api/tasks/[id] every 300 ms
 * and keeps each state seen (PENDING → STARTED → SUCCESS) until the task finishes; `<TaskStatus>` shows it.
 */
import { useEffect, useRef, useState } from "react";

const POLL_MS = 300;
// The finished states (celeriac's READY_STATES); kept here so no server module reaches the browser bundle.
const FINISHED = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

export interface TaskView {
  id: string;
  name: string | null;
  status: string;
  result?: unknown;
  error?: { type: string; message: string };
}

/** The `{ error }` message of a failed API call, or a generic one. */
async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: fall through
  }
  return `request failed: HTTP ${response.status}`;
}

/** POSTs JSON and resolves the answer's body when it has `okStatus`; otherwise rejects with a message to show. */
export async function postJson<T>(url: string, body: unknown, okStatus: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (error) {
    throw new Error(`could not reach the server (${(error as Error).message})`);
  }
  if (response.status !== okStatus) throw new Error(await errorMessage(response));
  return (await response.json()) as T;
}

export function useTaskPoll() {
  const [task, setTask] = useState<TaskView | null>(null);
  const [states, setStates] = useState<string[]>([]);
  const [pollError, setPollError] = useState<string | null>(null);
  const run = useRef(0); // bumps on each follow()/reset(), so a stale poll loop stops

  useEffect(() => () => void (run.current += 1), []);

  function record(view: TaskView) {
    setTask(view);
    setStates((seen) => (seen[seen.length - 1] === view.status ? seen : [...seen, view.status]));
  }

  async function poll(id: string, myRun: number, onFinished?: (task: TaskView) => void) {
    while (run.current === myRun) {
      try {
        const response = await fetch(`/api/tasks/${encodeURIComponent(id)}`, { cache: "no-store" });
        if (run.current !== myRun) return;
        if (!response.ok) {
          setPollError(await errorMessage(response));
          return;
        }
        const view = (await response.json()) as TaskView;
        if (run.current !== myRun) return;
        setPollError(null);
        record(view);
        if (FINISHED.has(view.status)) {
          onFinished?.(view);
          return;
        }
      } catch (error) {
        if (run.current !== myRun) return;
        setPollError(`could not reach the server (${(error as Error).message}); retrying`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  function reset() {
    run.current += 1;
    setTask(null);
    setStates([]);
    setPollError(null);
  }

  /** Shows `view` (the enqueue answer) and polls its task until it finishes, then calls `onFinished`. */
  function follow(view: TaskView, onFinished?: (task: TaskView) => void) {
    reset();
    record(view);
    void poll(view.id, run.current, onFinished);
  }

  return { task, states, pollError, follow, reset };
}

export function TaskStatus({ task, states, pollError }: { task: TaskView | null; states: string[]; pollError: string | null }) {
  return (
    <>
      {task && (
        <dl className="task" aria-live="polite">
          <dt>task id</dt>
          <dd>
            <code data-testid="task-id">{task.id}</code>
          </dd>
          <dt>status</dt>
          <dd>
            <span className={`status status-${task.status.toLowerCase()}`} data-testid="status">
              {task.status}
            </span>
            <ol className="states" data-testid="states" aria-label="states seen">
              {states.map((state, i) => (
                <li key={i}>{state}</li>
              ))}
            </ol>
          </dd>
          {task.error && (
            <>
              <dt>error</dt>
              <dd className="error" data-testid="task-error">
                {task.error.type}: {task.error.message}
              </dd>
            </>
          )}
        </dl>
      )}
      {task?.status === "SUCCESS" && (
        <p className="result" data-testid="result">
          result: {JSON.stringify(task.result)}
        </p>
      )}
      {pollError && (
        <p className="error" role="status" data-testid="poll-error">
          {pollError}
        </p>
      )}
    </>
  );
}
