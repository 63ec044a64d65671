"use client";
/**
 * "add x + y in the background": POST /api/add, then follow the task's events (GET /api/tasks/[id]/events)
 * and show each state seen (PENDING → STARTED → SUCCESS) until the task is finished.
 */
import { useState, type FormEvent } from "react";
import { postJson, TaskStatus, useTaskUpdates, type TaskView } from "./task-status";

/** An empty box is sent as null (not 0), so the server's validation reports it. */
function numberOrNull(value: FormDataEntryValue | null): number | null {
  return typeof value === "string" && value.trim() !== "" ? Number(value) : null;
}

export function AddForm() {
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const { task, states, followError, follow, reset } = useTaskUpdates();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSubmitting(true);
    setFormError(null);
    reset();
    try {
      const body = { x: numberOrNull(form.get("x")), y: numberOrNull(form.get("y")) };
      follow(await postJson<TaskView>("/api/add", body, 202));
    } catch (error) {
      setFormError((error as Error).message);
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

      <TaskStatus task={task} states={states} followError={followError} />
    </section>
  );
}
