"use client";
/**
 * "add x + y in the background": POST /api/add, then poll GET /api/tasks/[id] every 300 ms and show each
 * state seen (PENDING → STARTED → SUCCESS) until the task is finished.
 */
import { useEffect, useRef, useState, type FormEvent } from "react";

const POLL_MS = 300;
// The finished states (celeriac's READY_STATES); kept here so no server module reaches the browser bundle.
const FINISHED = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

interface TaskView {
  id: string;
  name: string | null;
  status: string;
  result?: unknown;
  error?: { type: string; message: string };
}

/** An empty box is sent as null (not 0), so the server's validation reports it. */
function numberOrNull(value: FormDataEntryValue | null): number | null {
  return typeof value === "string" && value.trim() !== "" ? Number(value) : null;
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: fall through
  }
  return `request failed: HTTP ${response.status}`;
}

export function AddForm() {
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [taskId, setTaskId] = useState<string | null>(null);
  const [states, setStates] = useState<string[]>([]);
  const [task, setTask] = useState<TaskView | null>(null);
  const [pollError, setPollError] = useState<string | null>(null);
  const run = useRef(0); // bumps on each submit, so a stale poll loop stops

  useEffect(() => () => void (run.current += 1), []);

  function record(view: TaskView) {
    setTask(view);
    setStates((seen) => (seen[seen.length - 1] === view.status ? seen : [...seen, view.status]));
  }

  async function poll(id: string, myRun: number) {
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
        if (FINISHED.has(view.status)) return;
      } catch (error) {
        if (run.current !== myRun) return;
        setPollError(`could not reach the server (${(error as Error).message}); retrying`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const myRun = (run.current += 1);
    const form = new FormData(event.currentTarget);
    setSubmitting(true);
    setFormError(null);
    setPollError(null);
    setTaskId(null);
    setStates([]);
    setTask(null);
    try {
      const response = await fetch("/api/add", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ x: numberOrNull(form.get("x")), y: numberOrNull(form.get("y")) }),
      });
      if (response.status !== 202) {
        setFormError(await errorMessage(response));
        return;
      }
      const view = (await response.json()) as TaskView;
      setTaskId(view.id);
      record(view);
      void poll(view.id, myRun);
    } catch (error) {
      setFormError(`could not reach the server (${(error as Error).message})`);
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <section className="card" aria-labelledby="add-title">
      <h2 id="add-title">add x + y in the background</h2>
      <form onSubmit={onSubmit} noValidate>
        <div className="fields">
          <label>
            x <input name="x" type="number" step="any" inputMode="decimal" defaultValue="2" />
          </label>
          <span aria-hidden="true">+</span>
          <label>
            y <input name="y" type="number" step="any" inputMode="decimal" defaultValue="3" />
          </label>
        </div>
        <button type="submit" disabled={submitting}>
          Add in the background
        </button>
      </form>

      {formError && (
        <p className="error" role="alert" data-testid="form-error">
          {formError}
        </p>
      )}

      {taskId && (
        <dl className="task" aria-live="polite">
          <dt>task id</dt>
          <dd>
            <code data-testid="task-id">{taskId}</code>
          </dd>
          <dt>status</dt>
          <dd>
            <span className={`status status-${task?.status.toLowerCase()}`} data-testid="status">
              {task?.status}
            </span>
            <ol className="states" data-testid="states" aria-label="states seen">
              {states.map((state, i) => (
                <li key={i}>{state}</li>
              ))}
            </ol>
          </dd>
          {task?.error && (
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
    </section>
  );
}
