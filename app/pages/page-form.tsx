"use client";
/**
 * Sends a URL to POST /api/pages and follows the chain's three steps, each on its own event stream
 * (useTaskUpdates: GET /api/tasks/[id]/events), from the moment the 202 names them. When the last step
 * succeeds, parsePage's result is the summary shown and storePageInfo's the stored row's id; when a step
 * fails, its error is the chain's, shown as the FAILURE, and the steps after it are shown as not run (their
 * rows say which step stopped them: chainStoppedBy).
 */
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import type { PageStep } from "@/app/api/pages/route";
import type { PageSummary } from "@/lib/page-parse";
import { postJson, useTaskUpdates, type TaskView } from "../task-status";

interface Run {
  key: number;
  url: string;
  steps: PageStep[];
}

const isNotRun = (view: TaskView | null) => view?.chainStoppedBy !== undefined;

export function PageForm({ sampleUrl, privateHostsAllowed }: { sampleUrl: string; privateHostsAllowed: boolean }) {
  const router = useRouter();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [run, setRun] = useState<Run | null>(null);
  const [views, setViews] = useState<(TaskView | null)[]>([]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const url = new FormData(event.currentTarget).get("url");
    setSubmitting(true);
    setFormError(null);
    try {
      const accepted = await postJson<{ url: string; steps: PageStep[] }>("/api/pages", { url }, 202);
      setViews(accepted.steps.map(() => null));
      setRun({ key: (run?.key ?? 0) + 1, ...accepted });
    } catch (error) {
      setFormError((error as Error).message);
    } finally {
      setSubmitting(false);
    }
  }

  const onView = (index: number, view: TaskView) => setViews((all) => all.map((v, i) => (i === index ? view : v)));
  const failed = views.findIndex((v) => v !== null && (v.status === "FAILURE" || v.status === "REVOKED") && !isNotRun(v));
  const done = views.length > 0 && views.every((v) => v?.status === "SUCCESS");

  // The stored row is in the server-rendered list once the chain is done (or stopped).
  useEffect(() => {
    if (done || failed >= 0) router.refresh();
  }, [done, failed, router]);

  return (
    <section className="card" aria-labelledby="process-title">
      <h2 id="process-title">Process a page</h2>
      <form onSubmit={onSubmit} noValidate className="stacked">
        <label>
          Page URL <input name="url" type="url" className="page-url-input" defaultValue={sampleUrl} />
        </label>
        <button type="submit" disabled={submitting}>
          Process page
        </button>
      </form>
      {!privateHostsAllowed && (
        <p className="lead">
          This server refuses loopback and private addresses (PAGES_ALLOW_PRIVATE_HOSTS is off), this app&rsquo;s own sample page included.
        </p>
      )}
      {formError && (
        <p className="error" role="alert" data-testid="form-error">
          {formError}
        </p>
      )}
      {run && (
        <>
          <p>
            Processing <code className="page-url">{run.url}</code>
          </p>
          <ol className="chain-steps" data-testid="steps" aria-live="polite">
            {run.steps.map((step, i) => (
              <StepLine key={`${run.key}-${step.taskId}`} step={step} onView={(view) => onView(i, view)} />
            ))}
          </ol>
          {failed >= 0 && (
            <p className="error" role="alert" data-testid="chain-failure">
              FAILURE in <code>{run.steps[failed]!.name}</code>: {views[failed]!.error?.type}: {views[failed]!.error?.message}
              {failed < run.steps.length - 1 ? " — the steps after it did not run." : ""}
            </p>
          )}
          {done && <PageResult summary={views[1]!.result as PageSummary} rowId={views[2]!.result as number} />}
        </>
      )}
    </section>
  );
}

/** One step: its name, its state now and the states seen, its error; "not run" when an earlier step stopped the chain. */
function StepLine({ step, onView }: { step: PageStep; onView: (view: TaskView) => void }) {
  const { task, states, followError, follow } = useTaskUpdates();

  useEffect(() => {
    follow({ id: step.taskId, name: step.name, status: "PENDING" });
    // Once per step: a new run mounts new lines.
  }, [step.taskId]);

  useEffect(() => {
    if (task) onView(task);
    // Each state this line reaches, up to the form (which shows the chain's outcome).
  }, [task]);

  const notRun = isNotRun(task);
  const status = notRun ? "NOT RUN" : (task?.status ?? "PENDING");
  return (
    <li data-testid={`step-${step.name}`}>
      <code>{step.name}</code>{" "}
      <span className={`status status-${notRun ? "not-run" : status.toLowerCase()}`} data-testid="step-status">
        {status}
      </span>
      {!notRun && (
        <ol className="states" aria-label="states seen">
          {states.map((state, i) => (
            <li key={i}>{state}</li>
          ))}
        </ol>
      )}
      {task?.error && !notRun && (
        <div className="error" data-testid="step-error">
          {task.status === "RETRY" ? "will retry: " : ""}
          {task.error.type}: {task.error.message}
        </div>
      )}
      {notRun && <div className="status-not-run">an earlier step failed, so this one never ran</div>}
      {followError && (
        <div className="error" role="status">
          {followError}
        </div>
      )}
    </li>
  );
}

function PageResult({ summary, rowId }: { summary: PageSummary; rowId: number }) {
  return (
    <div className="result" data-testid="page-result">
      <p>
        <span data-testid="page-title">{summary.title ?? "(no title)"}</span> · <span data-testid="page-words">{summary.wordCount}</span> words ·{" "}
        <span data-testid="page-link-count">{summary.linkCount}</span> links · stored as PageInfo #{rowId}
      </p>
      {summary.links.length > 0 && (
        <ul className="page-links" data-testid="page-links">
          {summary.links.map((link) => (
            <li key={link}>
              <a href={link} rel="noopener noreferrer nofollow">
                {link}
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
