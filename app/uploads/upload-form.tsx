"use client";
/**
 * Sends a CSV to POST /api/uploads, then follows processUpload's events (GET /api/tasks/[id]/events): its
 * PROGRESS (bytes read of the file) is TaskStatus's progress bar, then the summary from GET /api/uploads/[id]. A
 * fanned-out file (tasks/uploads.ts) is followed on to its finishUpload task, which has the outcome.
 */
import { useState, type FormEvent } from "react";
import type { ColumnSummary, CsvSummary } from "@/lib/csv-summary";
import type { UploadOutcome } from "@/tasks/uploads";
import { errorMessage, TaskStatus, useTaskUpdates, type TaskView } from "../task-status";

interface Upload {
  id: string;
  filename: string;
  size: number;
  status: "received" | "processing" | "done" | "failed";
  summary: CsvSummary | null;
  error: string | null;
}

/** POSTs the form's file; resolves the 202's `{ id, taskId }`, or rejects with the server's message. */
async function sendFile(form: FormData): Promise<{ id: string; taskId: string }> {
  let response: Response;
  try {
    response = await fetch("/api/uploads", { method: "POST", body: form });
  } catch (error) {
    throw new Error(`could not reach the server (${(error as Error).message})`);
  }
  if (response.status !== 202) throw new Error(await errorMessage(response));
  return (await response.json()) as { id: string; taskId: string };
}

const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

export function UploadForm() {
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [upload, setUpload] = useState<Upload | null>(null);
  const { task, states, followError, follow, reset } = useTaskUpdates();

  async function showUpload(id: string) {
    const response = await fetch(`/api/uploads/${id}`, { cache: "no-store" });
    if (!response.ok) return setFormError(await errorMessage(response));
    setUpload(((await response.json()) as { upload: Upload }).upload);
  }

  /** The task ended: a fanned-out file goes on in its finishUpload task; otherwise the row has the outcome. */
  function onFinished(id: string, view: TaskView) {
    const outcome = view.result as UploadOutcome | undefined;
    if (view.status === "SUCCESS" && outcome?.status === "fanned out") {
      follow({ id: outcome.finishTaskId, name: "uploads.finishUpload", status: "PENDING" }, (last) => onFinished(id, last));
    } else {
      void showUpload(id);
    }
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFormError(null);
    setUpload(null);
    reset();
    if (!(form.get("file") instanceof File) || (form.get("file") as File).name === "") return setFormError("choose a CSV file first");
    setSubmitting(true);
    try {
      const { id, taskId } = await sendFile(form);
      follow({ id: taskId, name: "uploads.processUpload", status: "PENDING" }, (view) => onFinished(id, view));
    } catch (error) {
      setFormError((error as Error).message);
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <>
      <section className="card" aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a CSV file</h2>
        <form onSubmit={onSubmit} noValidate className="stacked">
          <label>
            CSV file <input name="file" type="file" accept=".csv,text/csv" />
          </label>
          <button type="submit" disabled={submitting}>
            Upload
          </button>
        </form>
        {formError && (
          <p className="error" role="alert" data-testid="form-error">
            {formError}
          </p>
        )}
        <TaskStatus task={task} states={states} followError={followError} />
      </section>
      {upload && <UploadSummary upload={upload} />}
    </>
  );
}

/** What a column's min and max are, as the column's type shows them. */
function range(c: ColumnSummary): [string, string] {
  if (c.type === "date") return [c.minDate ?? "", c.maxDate ?? ""];
  if (c.type === "integer" || c.type === "number") return [String(c.min), String(c.max)];
  return ["", ""];
}

function UploadSummary({ upload }: { upload: Upload }) {
  if (upload.status === "failed" || !upload.summary) {
    return (
      <p className="error" role="alert" data-testid="upload-error">
        {upload.filename}: {upload.error ?? `status ${upload.status}`}
      </p>
    );
  }
  const { summary } = upload;
  return (
    <section className="card" aria-labelledby="summary-title" data-testid="summary">
      <h2 id="summary-title">
        {upload.filename} ({formatBytes(upload.size)})
      </h2>
      <p>
        <span data-testid="summary-rows">{summary.rows}</span> rows, {summary.columns.length} columns,{" "}
        <span data-testid="summary-malformed">{summary.malformed}</span> malformed rows left out
      </p>
      <div className="upload-summary-scroll">
        <table className="upload-summary">
          <thead>
            <tr>
              <th>column</th>
              <th>type</th>
              <th>empty</th>
              <th>min</th>
              <th>max</th>
              <th>sum</th>
            </tr>
          </thead>
          <tbody>
            {summary.columns.map((c, i) => {
              const [min, max] = range(c);
              return (
                <tr key={i} data-testid={`column-${c.name}`}>
                  <th scope="row">{c.name}</th>
                  <td>{c.type}</td>
                  <td>{c.empty}</td>
                  <td>{min}</td>
                  <td>{max}</td>
                  <td>{c.type === "integer" || c.type === "number" ? c.sum : ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
