"use client";
/**
 * Following a background task from the browser: `useTaskUpdates()` listens to GET /api/tasks/[id]/events
 * (server-sent events, one per state change) and keeps each state seen (PENDING → STARTED → SUCCESS) until
 * the task finishes; `<TaskStatus>` shows it. If the event stream breaks before the task finished (a proxy
 * that does not pass SSE, a server restart), it polls GET /api/tasks/[id] every 300 ms instead.
 */
import { useEffect, useRef, useState } from "react";
import { READY_STATES } from "celeriac/states";
import type { TaskView } from "./api/tasks/task-view";

export type { TaskView };

const POLL_MS = 300;

/** The `{ error }` message of a failed API call, or a generic one. */
export async function errorMessage(response: Response): Promise<string> {
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

export function useTaskUpdates() {
  const [task, setTask] = useState<TaskView | null>(null);
  const [states, setStates] = useState<string[]>([]);
  const [followError, setFollowError] = useState<string | null>(null);
  const run = useRef(0); // bumps on each follow()/reset(), so a stale stream or poll loop stops
  const source = useRef<EventSource | null>(null);

  function stop() {
    run.current += 1;
    source.current?.close();
    source.current = null;
  }

  useEffect(() => stop, []);

  function record(view: TaskView) {
    setTask(view);
    setStates((seen) => (seen[seen.length - 1] === view.status ? seen : [...seen, view.status]));
  }

  /** Follows the task's event stream; falls back to poll() if it fails before the task finished. */
  function listen(id: string, myRun: number, onFinished?: (task: TaskView) => void) {
    const events = new EventSource(`/api/tasks/${encodeURIComponent(id)}/events`);
    source.current = events;
    const fallBack = () => {
      events.close();
      if (run.current !== myRun) return;
      source.current = null;
      void poll(id, myRun, onFinished);
    };
    events.addEventListener("state", (event) => {
      if (run.current !== myRun) return events.close();
      let view: TaskView;
      try {
        view = JSON.parse((event as MessageEvent<string>).data) as TaskView;
      } catch {
        return fallBack();
      }
      record(view);
      if (READY_STATES.has(view.status)) {
        events.close(); // before the server's `end`, so EventSource never reconnects to a finished task
        onFinished?.(view);
      }
    });
    events.addEventListener("end", () => events.close());
    // Not reached after a finished state (closed above). A 400 (bad id) also lands here: poll() shows its message.
    events.addEventListener("error", fallBack);
  }

  /** Polls GET /api/tasks/[id] every POLL_MS until the task finishes: the fallback when the event stream fails. */
  async function poll(id: string, myRun: number, onFinished?: (task: TaskView) => void) {
    while (run.current === myRun) {
      try {
        const response = await fetch(`/api/tasks/${encodeURIComponent(id)}`, { cache: "no-store" });
        if (run.current !== myRun) return;
        if (!response.ok) {
          setFollowError(await errorMessage(response));
          return;
        }
        const view = (await response.json()) as TaskView;
        if (run.current !== myRun) return;
        setFollowError(null);
        record(view);
        if (READY_STATES.has(view.status)) {
          onFinished?.(view);
          return;
        }
      } catch (error) {
        if (run.current !== myRun) return;
        // Only now is the broken event stream worth mentioning: polling cannot reach the server either.
        setFollowError(`live updates failed and the server could not be reached (${(error as Error).message}); retrying`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  function reset() {
    stop();
    setTask(null);
    setStates([]);
    setFollowError(null);
  }

  /** Shows `view` (the enqueue answer) and follows its task until it finishes, then calls `onFinished`. */
  function follow(view: TaskView, onFinished?: (task: TaskView) => void) {
    reset();
    record(view);
    if (typeof EventSource === "undefined") void poll(view.id, run.current, onFinished);
    else listen(view.id, run.current, onFinished);
  }

  return { task, states, followError, follow, reset };
}

export function TaskStatus({ task, states, followError }: { task: TaskView | null; states: string[]; followError: string | null }) {
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
          {task.progress && (
            <>
              <dt>progress</dt>
              <dd data-testid="task-progress">
                <progress value={task.progress.current} max={task.progress.total || undefined} /> {task.progress.current} / {task.progress.total}
                {task.progress.message ? ` · ${task.progress.message}` : ""}
              </dd>
            </>
          )}
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
      {followError && (
        <p className="error" role="status" data-testid="follow-error">
          {followError}
        </p>
      )}
    </>
  );
}
