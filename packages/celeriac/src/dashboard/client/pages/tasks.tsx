/**
 * Tasks: the TaskResult rows, newest first, with the filter in the URL (so a link reproduces the view),
 * keyset paging ("Older →" follows the page's `next` cursor), rows that appear and change live from the
 * feed, bulk retry of the matching failures, and the "Send a task" form.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type React from "react";
import type { ActionReply, BulkRetryReply, RetryCount, TaskFacets, TaskPage, TaskRow, TaskStatus } from "../../api-types.js";
import { apiGet, apiSend, ApiError, newRequestKey } from "../api.js";
import { applyFieldOf, parseApplyForm, type ApplyErrors, type ApplyValues } from "../apply-form.js";
import { formatProgress, formatShortJson } from "../format.js";
import { useFeed, useLive } from "../live.js";
import { Link, useRoute } from "../router.js";
import { browserTimeZone, instantOfLocalInput, localInputOf } from "../datetime-local.js";
import { apiQuery, isFiltered, queryFromView, TASK_STATUSES, viewFromQuery, type TaskFilter, type TaskView } from "../task-filter.js";
import { mergeTaskRows } from "../task-rows.js";
import { DataTable } from "../table.js";
import { Duration, ErrorLine, errorText, Loaded, PageHeader, StatusBadge, Time, useAction, useNotice } from "../ui.js";
import { DottedName } from "./dotted-name.js";
import "./tasks.css";

export function TasksPage(): React.JSX.Element {
  const { query, navigate } = useRoute();
  const queryText = queryFromView(viewFromQuery(query));
  const view = useMemo(() => viewFromQuery(new URLSearchParams(queryText)), [queryText]);
  const facets = useLive(() => apiGet<TaskFacets>("tasks/facets"), []);
  const page = useLive(() => apiGet<TaskPage>("tasks", apiQuery(view)), [queryText]);
  const [sending, setSending] = useState(false);
  // Rows the feed put on top, highlighted once (a ref: the merge runs inside a state update).
  const added = useRef(new Set<string>());

  useFeed("tasks", (incoming) =>
    page.setData((old) => {
      if (old === undefined) return old;
      const merged = mergeTaskRows(old.rows, incoming, view.filter, view.after === undefined);
      for (const id of merged.added) added.current.add(id);
      return { ...old, rows: merged.rows };
    }),
  );

  const show = (next: TaskView): void => navigate(`/tasks${queryFromView(next)}`);

  return (
    <section data-testid="tasks-page">
      <PageHeader title="Tasks">
        <BulkRetryButton filter={view.filter} onDone={page.reload} />
        <button type="button" className="button button-primary" onClick={() => setSending((open) => !open)} aria-expanded={sending} data-testid="send-task-open">
          Send a task
        </button>
      </PageHeader>
      {sending ? <SendTaskForm facets={facets.data} close={() => setSending(false)} /> : null}
      <Filters view={view} facets={facets.data} apply={(filter) => show({ filter })} />
      <Loaded live={{ data: page.data, error: page.error ?? facets.error }}>
        {(data) => (
          <>
            <TaskTable rows={data.rows} added={added.current} filtered={isFiltered(view.filter)} />
            <Pager view={view} next={data.next} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function Filters(props: { view: TaskView; facets: TaskFacets | undefined; apply(filter: TaskFilter): void }): React.JSX.Element {
  const { filter } = props.view;
  // The typed fields apply on Enter / Apply; the choices apply at once.
  const [typed, setTyped] = useState(() => typedOf(filter));
  useEffect(() => setTyped(typedOf(filter)), [filter]);

  const toggle = (status: TaskStatus): void => {
    const current = filter.status ?? [];
    const next = current.includes(status) ? current.filter((each) => each !== status) : [...current, status];
    props.apply({ ...filter, status: next.length === 0 ? undefined : next });
  };
  const choose = (key: "name" | "queue" | "worker", value: string): void => props.apply({ ...filter, [key]: value === "" ? undefined : value });
  const submit = (event: React.FormEvent): void => {
    event.preventDefault();
    props.apply({
      ...filter,
      id: typed.id.trim() || undefined,
      q: typed.q.trim() || undefined,
      from: instantOfLocalInput(typed.from, browserTimeZone()) ?? undefined,
      to: instantOfLocalInput(typed.to, browserTimeZone()) ?? undefined,
    });
  };

  return (
    <form className="section form" onSubmit={submit} data-testid="task-filters" aria-label="Filter tasks">
      <fieldset className="field field-full fieldset-plain">
        <legend className="field-label">Status</legend>
        <div className="checks">
          {TASK_STATUSES.map((status) => (
            <label key={status} className="check">
              <input type="checkbox" checked={filter.status?.includes(status) ?? false} onChange={() => toggle(status)} data-testid={`filter-status-${status}`} />
              {status}
            </label>
          ))}
        </div>
      </fieldset>
      <Choice label="Task" value={filter.name} options={props.facets?.names} onChange={(value) => choose("name", value)} testId="filter-name" />
      <Choice label="Queue" value={filter.queue} options={props.facets?.queues} onChange={(value) => choose("queue", value)} testId="filter-queue" />
      <Choice label="Worker" value={filter.worker} options={props.facets?.workers} onChange={(value) => choose("worker", value)} testId="filter-worker" />
      <div className="field">
        <label htmlFor="filter-from">Created from</label>
        <input id="filter-from" type="datetime-local" value={typed.from} onChange={(event) => setTyped({ ...typed, from: event.target.value })} data-testid="filter-from" />
      </div>
      <div className="field">
        <label htmlFor="filter-to">Created before</label>
        <input id="filter-to" type="datetime-local" value={typed.to} onChange={(event) => setTyped({ ...typed, to: event.target.value })} data-testid="filter-to" />
      </div>
      <div className="field field-grow">
        <label htmlFor="filter-id">Task id</label>
        <input id="filter-id" className="mono" value={typed.id} onChange={(event) => setTyped({ ...typed, id: event.target.value })} placeholder="exact id" data-testid="filter-id" />
      </div>
      <div className="field field-grow">
        <label htmlFor="filter-q">Search</label>
        <input id="filter-q" type="search" value={typed.q} onChange={(event) => setTyped({ ...typed, q: event.target.value })} placeholder="in arguments, result, error" data-testid="filter-q" />
      </div>
      <div className="page-actions">
        <button type="submit" className="button" data-testid="filter-apply">
          Apply
        </button>
        {isFiltered(filter) ? (
          <Link to="/tasks" className="button" data-testid="filter-clear">
            Clear
          </Link>
        ) : null}
      </div>
    </form>
  );
}

function typedOf(filter: TaskFilter): { id: string; q: string; from: string; to: string } {
  // In the browser's zone, the one the list shows its times in.
  const zone = browserTimeZone();
  return { id: filter.id ?? "", q: filter.q ?? "", from: localInputOf(filter.from, zone), to: localInputOf(filter.to, zone) };
}

function Choice(props: { label: string; value: string | undefined; options: string[] | undefined; onChange(value: string): void; testId: string }): React.JSX.Element {
  const options = props.options ?? [];
  // A value from a link that the facets do not list (an old queue) still shows as chosen.
  const all = props.value !== undefined && !options.includes(props.value) ? [props.value, ...options] : options;
  return (
    <div className="field">
      <label htmlFor={props.testId}>{props.label}</label>
      <select id={props.testId} value={props.value ?? ""} onChange={(event) => props.onChange(event.target.value)} data-testid={props.testId}>
        <option value="">any</option>
        {all.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}

const COLUMNS = ["Status", "Task", "Id", "Arguments · error", "Created", { label: "Runtime", num: true }] as const;

function TaskTable(props: { rows: TaskRow[]; added: ReadonlySet<string>; filtered: boolean }): React.JSX.Element {
  if (props.rows.length === 0) {
    return <p className="section empty" data-testid="tasks-empty">{props.filtered ? "No task matches this filter." : "No tasks yet."}</p>;
  }
  return (
    <DataTable columns={COLUMNS} data-testid="task-table">
      {props.rows.map((row) => (
        <TaskLine key={row.id} row={row} fresh={props.added.has(row.id)} />
      ))}
    </DataTable>
  );
}

/**
 * One row, dense enough for the whole table to fit a 1280 px page: the queue and worker under the name,
 * the arguments and the error one line each, cut to the column (the whole text in their title; all of it
 * on the task's page).
 */
function TaskLine(props: { row: TaskRow; fresh: boolean }): React.JSX.Element {
  const { row } = props;
  const to = `/tasks/${encodeURIComponent(row.id)}`;
  const failed = row.errorType !== null || row.errorMessage !== null;
  const where = `${row.queue ?? "—"} · ${row.worker ?? "—"}`;
  return (
    <tr data-testid={`task-row-${row.id}`} data-status={row.status} className={props.fresh ? "row-new" : undefined}>
      <td data-label="Status" className="nowrap">
        <StatusBadge status={row.status} />
        {row.progress && (
          <span className="line muted" title={row.progress.message} data-testid={`task-row-progress-${row.id}`}>
            {formatProgress(row.progress)}
          </span>
        )}
        {row.retriedFrom === null ? null : (
          <span className="line muted" title={`a retry of ${row.retriedFrom}`}>
            ↻ retry
          </span>
        )}
        {row.retries === 0 ? null : <span className="line muted">retries: {row.retries}</span>}
      </td>
      <td data-label="Task" className="task-cell">
        <Link to={to} className="task-name break">
          <DottedName name={row.name} />
        </Link>
        <span className="line muted" title={where}>
          {where}
        </span>
      </td>
      <td data-label="Id">
        <Link to={to} className="mono line task-id" title={row.id} data-testid={`task-link-${row.id}`}>
          {row.id}
        </Link>
      </td>
      <td data-label="Arguments" className="cell-grow">
        <span className="line mono" title={formatShortJson(row.args, 2_000)}>
          {formatShortJson(row.args, 200)}
        </span>
        {failed && (
          <span className="line line-error" title={`${row.errorType ?? "Error"}: ${row.errorMessage ?? ""}`}>
            <strong>{row.errorType ?? "Error"}</strong> {row.errorMessage}
          </span>
        )}
      </td>
      <td data-label="Created">
        <Time at={row.createdAt} compact />
      </td>
      <td data-label="Runtime" className="num">
        <Duration ms={row.runtimeMs} />
      </td>
    </tr>
  );
}

function Pager(props: { view: TaskView; next: string | null }): React.JSX.Element | null {
  const { view, next } = props;
  if (view.after === undefined && next === null) return null;
  return (
    <div className="toolbar">
      {view.after === undefined ? null : (
        <Link to={`/tasks${queryFromView({ filter: view.filter })}`} className="button" data-testid="page-newest">
          ← Newest
        </Link>
      )}
      <span className="toolbar-spacer" />
      {next === null ? (
        <span className="muted">The oldest tasks</span>
      ) : (
        <Link to={`/tasks${queryFromView({ filter: view.filter, after: next })}`} className="button" data-testid="page-older">
          Older →
        </Link>
      )}
    </div>
  );
}

function BulkRetryButton(props: { filter: TaskFilter; onDone(): void }): React.JSX.Element {
  const action = useAction();
  const notify = useNotice();
  const [counting, setCounting] = useState(false);

  const retryMatching = async (): Promise<void> => {
    setCounting(true);
    let counted: RetryCount;
    try {
      counted = await apiGet<RetryCount>("tasks/retry-count", { ...props.filter });
    } catch (error) {
      notify({ message: errorText(error), tone: "error" });
      return;
    } finally {
      setCounting(false);
    }
    if (counted.count === 0) {
      // The count leaves out failures retried already (a bulk retry takes each once).
      notify({ message: `Nothing to retry: no ${failureNoun(props.filter)} task matching this filter is without a retry yet.`, tone: "ok" });
      return;
    }
    const taken = Math.min(counted.count, counted.limit);
    const filter = props.filter;
    await action({
      confirm: {
        title: `Retry ${taken} ${failureNoun(filter)} task${taken === 1 ? "" : "s"}?`,
        body: (
          <>
            <p>
              Each is sent again under a new id, with the same task and arguments; the original rows link to their retries.
            </p>
            {counted.count > counted.limit ? (
              <p>
                {counted.count.toLocaleString("en")} match; one bulk retry takes at most {counted.limit.toLocaleString("en")}, the newest first. Retry again for the rest.
              </p>
            ) : null}
          </>
        ),
        confirmLabel: `Retry ${taken}`,
      },
      send: (requestKey) => apiSend<BulkRetryReply>("POST", "tasks/retry", { filter, expected: counted.count, requestKey }),
      done: props.onDone,
    });
  };

  return (
    <button type="button" className="button" disabled={counting} onClick={() => void retryMatching()} data-testid="bulk-retry" title="Retry the FAILURE and REVOKED tasks that match the filter">
      {counting ? "Counting…" : "Retry failures…"}
    </button>
  );
}

/** "failed", "revoked", or both, as the status filter allows. */
function failureNoun(filter: TaskFilter): string {
  const wanted = (filter.status ?? ["FAILURE", "REVOKED"]).filter((status) => status === "FAILURE" || status === "REVOKED");
  if (wanted.length === 1) return wanted[0] === "FAILURE" ? "failed" : "revoked";
  return "failed or revoked";
}

const EMPTY_APPLY: ApplyValues = { task: "", args: "[]", queue: "", countdown: "" };

function SendTaskForm(props: { facets: TaskFacets | undefined; close(): void }): React.JSX.Element {
  const { navigate } = useRoute();
  const notify = useNotice();
  const [values, setValues] = useState(EMPTY_APPLY);
  const [errors, setErrors] = useState<ApplyErrors>({});
  const [failure, setFailure] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  // One key per set of values: sending the same values again after a lost answer sends the task once.
  const [requestKey, setRequestKey] = useState(newRequestKey);

  const edit = (field: keyof ApplyValues, value: string): void => {
    setValues({ ...values, [field]: value });
    setErrors({ ...errors, [field]: undefined });
    setRequestKey(newRequestKey());
  };

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const parsed = parseApplyForm(values);
    setFailure(undefined);
    if ("errors" in parsed) {
      setErrors(parsed.errors);
      return;
    }
    setBusy(true);
    try {
      const reply = await apiSend<ActionReply>("POST", "tasks/apply", { ...parsed.body, requestKey });
      notify({ message: reply.message, tone: "ok" });
      props.close();
      if (reply.taskId !== undefined) navigate(`/tasks/${encodeURIComponent(reply.taskId)}`);
    } catch (error) {
      const field = error instanceof ApiError ? applyFieldOf(error.field) : undefined;
      if (field === undefined) setFailure(error);
      else setErrors({ [field]: errorText(error) });
      setBusy(false);
    }
  };

  const names = props.facets?.names ?? [];
  return (
    <form className="section form form-column" onSubmit={(event) => void submit(event)} data-testid="send-task-form" aria-label="Send a task" noValidate>
      <h2>Send a task</h2>
      <Field label="Task" id="apply-task" error={errors.task}>
        <select id="apply-task" value={values.task} onChange={(event) => edit("task", event.target.value)} aria-invalid={errors.task !== undefined} data-testid="apply-task">
          <option value="">choose a registered task</option>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Arguments (a JSON array)" id="apply-args" error={errors.args}>
        <textarea id="apply-args" value={values.args} onChange={(event) => edit("args", event.target.value)} rows={4} spellCheck={false} aria-invalid={errors.args !== undefined} data-testid="apply-args" />
      </Field>
      <div className="form">
        <Field label="Queue (optional)" id="apply-queue" error={errors.queue}>
          <input id="apply-queue" list="apply-queues" value={values.queue} onChange={(event) => edit("queue", event.target.value)} placeholder="the task's own" aria-invalid={errors.queue !== undefined} data-testid="apply-queue" />
          <datalist id="apply-queues">
            {(props.facets?.queues ?? []).map((queue) => (
              <option key={queue} value={queue} />
            ))}
          </datalist>
        </Field>
        <Field label="Countdown, seconds (optional)" id="apply-countdown" error={errors.countdown}>
          <input id="apply-countdown" type="number" min={0} step="any" value={values.countdown} onChange={(event) => edit("countdown", event.target.value)} aria-invalid={errors.countdown !== undefined} data-testid="apply-countdown" />
        </Field>
      </div>
      <ErrorLine error={failure} />
      <div className="page-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="apply-submit">
          {busy ? "Sending…" : "Send"}
        </button>
        <button type="button" className="button" onClick={props.close} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Field(props: { label: string; id: string; error: string | undefined; children: React.ReactNode }): React.JSX.Element {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.error === undefined ? null : (
        <span className="field-error" role="alert" data-testid={`${props.id}-error`}>
          {props.error}
        </span>
      )}
    </div>
  );
}
