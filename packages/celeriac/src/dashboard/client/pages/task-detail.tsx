/**
 * One task: every field of its TaskResult row (the error's stack too: this page is staff-only), its
 * timeline, its outbox row, the retries it links to, its workflow's tree, and the actions it allows now
 * (retry; revoke, and terminate when it runs). Reloads when the feed reports a change to it, a retry of
 * it, or a change in its workflow.
 */
import type React from "react";
import type { ActionReply, TaskDetail } from "../../api-types.js";
import { apiGet, apiSend } from "../api.js";
import { formatProgress } from "../format.js";
import { useFeed, useLive } from "../live.js";
import { Link, useRoute } from "../router.js";
import { ActionButton, Duration, ErrorLine, JsonView, Loading, PageHeader, StatusBadge, Time, type ActionOptions } from "../ui.js";
import { WorkflowTree } from "./workflow-tree.js";

export function TaskDetailPage(props: { id: string }): React.JSX.Element {
  const { id } = props;
  const path = `tasks/${encodeURIComponent(id)}`;
  const live = useLive(() => apiGet<TaskDetail>(path), [path]);
  const rootId = live.data?.workflow?.rootId;
  useFeed("tasks", (rows) => {
    // A change anywhere in its workflow changes its tree (a new step has a row not in the tree yet).
    if (rows.some((row) => row.id === id || row.retriedFrom === id || (rootId !== undefined && row.rootId === rootId))) live.reload();
  });
  const task = live.data;
  return (
    <section data-testid="task-detail-page">
      <p className="muted">
        <Link to="/tasks">← Tasks</Link>
      </p>
      {task === undefined ? (
        <>
          <PageHeader title="Task" />
          <p className="mono">{id}</p>
          {live.error === undefined ? <Loading /> : <ErrorLine error={live.error} />}
        </>
      ) : (
        <>
          <PageHeader title={task.name}>
            <TaskActions task={task} reload={live.reload} />
          </PageHeader>
          <ErrorLine error={live.error} />
          <TaskBody task={task} />
        </>
      )}
    </section>
  );
}

function TaskActions(props: { task: TaskDetail; reload(): void }): React.JSX.Element {
  const { task, reload } = props;
  const { navigate } = useRoute();
  const path = `tasks/${encodeURIComponent(task.id)}`;
  // Revoke and terminate are one action; terminate also aborts the task where it runs.
  const revoke = (terminate: boolean, confirm: Omit<ActionOptions["confirm"], "danger">): ActionOptions => ({
    confirm: { ...confirm, danger: true },
    send: (requestKey) => apiSend<ActionReply>("POST", `${path}/revoke`, { terminate, requestKey }),
    done: reload,
  });
  return (
    <>
      {task.can.retry && (
        <ActionButton
          className="button button-primary"
          data-testid="action-retry"
          action={{
            confirm: {
              title: "Retry this task?",
              body: `${task.name} is sent again under a new id, with the same arguments; this task links to the new one.`,
              confirmLabel: "Retry",
            },
            send: (requestKey) => apiSend<ActionReply>("POST", `${path}/retry`, { requestKey }),
            done: (reply) => (reply.taskId === undefined ? reload() : navigate(`/tasks/${encodeURIComponent(reply.taskId)}`)),
          }}
        >
          Retry
        </ActionButton>
      )}
      {task.can.revoke && (
        <ActionButton
          className="button"
          data-testid="action-revoke"
          action={revoke(false, {
            title: "Revoke this task?",
            body: "It will not run: a worker that receives it drops it. If it is running now, it finishes unless you terminate it.",
            confirmLabel: "Revoke",
          })}
        >
          Revoke
        </ActionButton>
      )}
      {task.can.terminate && (
        <ActionButton
          className="button button-danger"
          data-testid="action-terminate"
          action={revoke(true, {
            title: "Revoke and terminate this task?",
            body: "The worker running it aborts it now; it ends REVOKED, and whatever it had half done stays half done.",
            confirmLabel: "Revoke and terminate",
          })}
        >
          Revoke and terminate
        </ActionButton>
      )}
    </>
  );
}

function TaskBody(props: { task: TaskDetail }): React.JSX.Element {
  const { task } = props;
  const failed = task.errorType !== null || task.errorMessage !== null || task.errorStack !== null;
  return (
    <>
      <div className="grid-2">
        <section className="section">
          <h2>Task</h2>
          <dl className="fields">
            <dt>Status</dt>
            <dd data-testid="task-status">
              <StatusBadge status={task.status} />
            </dd>
            {task.progress && (
              <>
                <dt>Progress</dt>
                <dd data-testid="task-progress">
                  <progress value={task.progress.current} max={task.progress.total || undefined} /> {formatProgress(task.progress)} · {task.progress.current} / {task.progress.total}
                  {task.progress.message ? ` · ${task.progress.message}` : ""}
                </dd>
              </>
            )}
            <dt>Id</dt>
            <dd className="mono" data-testid="task-id">{task.id}</dd>
            <dt>Task</dt>
            <dd>
              <Link to={`/tasks?name=${encodeURIComponent(task.name)}`}>{task.name}</Link>
            </dd>
            <dt>Queue</dt>
            <dd>{task.queue === null ? "—" : <Link to={`/tasks?queue=${encodeURIComponent(task.queue)}`}>{task.queue}</Link>}</dd>
            <dt>Worker</dt>
            <dd className="mono">{task.worker === null ? "—" : <Link to={`/tasks?worker=${encodeURIComponent(task.worker)}`}>{task.worker}</Link>}</dd>
            <dt>Retries</dt>
            <dd data-testid="task-retries">{task.retries}</dd>
            <dt>Owner</dt>
            <dd>{task.owner ?? "—"}</dd>
            <dt>Retry of</dt>
            <dd data-testid="task-retried-from">
              {task.retriedFrom === null ? "—" : <TaskLink id={task.retriedFrom} />}
            </dd>
            <dt>Retried as</dt>
            <dd data-testid="task-retried-to">
              {task.retriedTo.length === 0 ? "—" : (
                <ul className="plain-list">
                  {task.retriedTo.map((retry) => (
                    <li key={retry}>
                      <TaskLink id={retry} />
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
        </section>
        <section className="section">
          <h2>Timeline</h2>
          <Timeline task={task} />
          <h3 className="outbox-title">Outbox</h3>
          <Outbox outbox={task.outbox} />
        </section>
      </div>
      {task.workflow && <WorkflowTree workflow={task.workflow} currentId={task.id} />}
      <section className="section">
        <h2>Arguments</h2>
        <JsonView value={task.args} data-testid="task-args" />
      </section>
      {task.status === "SUCCESS" || task.result !== null ? (
        <section className="section">
          <h2>Result</h2>
          <JsonView value={task.result} data-testid="task-result" />
        </section>
      ) : null}
      {failed ? (
        <section className="section" data-testid="task-error">
          <h2>Error</h2>
          <p>
            <strong className="mono">{task.errorType ?? "Error"}</strong>: {task.errorMessage ?? ""}
          </p>
          {task.errorStack === null ? null : (
            <pre className="stack-trace" data-testid="task-stack">
              {task.errorStack}
            </pre>
          )}
        </section>
      ) : null}
    </>
  );
}

function TaskLink(props: { id: string }): React.JSX.Element {
  return (
    <Link to={`/tasks/${encodeURIComponent(props.id)}`} className="mono" data-testid={`task-link-${props.id}`}>
      {props.id}
    </Link>
  );
}

function Timeline(props: { task: TaskDetail }): React.JSX.Element {
  const { task } = props;
  const waitedMs = task.startedAt === null ? null : Date.parse(task.startedAt) - Date.parse(task.createdAt);
  return (
    <ol className="timeline" data-testid="task-timeline">
      <li>
        <span className="step-label">Created (sent)</span>
        <Time at={task.createdAt} />
      </li>
      <li className="timeline-gap">
        ↓ waited <Duration ms={waitedMs} />
      </li>
      <li>
        <span className="step-label">Started</span>
        {task.startedAt === null ? <span className="muted">not yet</span> : <Time at={task.startedAt} />}
      </li>
      <li className="timeline-gap">
        ↓ ran <Duration ms={task.runtimeMs} />
      </li>
      <li>
        <span className="step-label">Done</span>
        {task.doneAt === null ? <span className="muted">not yet</span> : <Time at={task.doneAt} />}
      </li>
    </ol>
  );
}

function Outbox(props: { outbox: TaskDetail["outbox"] }): React.JSX.Element {
  const { outbox } = props;
  if (outbox === null) {
    return <p className="muted" data-testid="task-outbox">No outbox row: not a durable dispatch, or its row is no longer kept.</p>;
  }
  return (
    <dl className="fields" data-testid="task-outbox">
      <dt>Written</dt>
      <dd>
        <Time at={outbox.createdAt} />
      </dd>
      <dt>Dispatched</dt>
      <dd>{outbox.dispatchedAt === null ? <span className="muted">not yet</span> : <Time at={outbox.dispatchedAt} />}</dd>
      <dt>Attempts</dt>
      <dd>{outbox.attempts}</dd>
      <dt>Last error</dt>
      <dd>{outbox.lastError ?? "—"}</dd>
      <dt>Run at</dt>
      <dd>
        <Time at={outbox.runAt} />
      </dd>
      <dt>Expires</dt>
      <dd>
        <Time at={outbox.expires} />
      </dd>
    </dl>
  );
}
