/**
 * Workers (Flower's Workers tab): every worker from its heartbeats, live from the feed, with what it runs
 * now; a worker that died shows offline and stays listed for a while. "Shut down" is a warm shutdown.
 */
import type React from "react";
import type { ActionReply, WorkerRow } from "../../api-types.js";
import { apiGet, apiSend } from "../api.js";
import { useFeed, useLive } from "../live.js";
import { Link } from "../router.js";
import { Duration, ErrorLine, Loading, PageHeader, StatusBadge, Time, useAction } from "../ui.js";
import { DottedName } from "./dotted-name.js";
import "./ops.css";

export function WorkersPage(): React.JSX.Element {
  const workers = useLive(() => apiGet<WorkerRow[]>("workers"), []);
  useFeed("workers", (rows) => workers.setData(() => rows));
  const rows = workers.data;
  return (
    <section data-testid="workers-page">
      <PageHeader title="Workers" />
      <ErrorLine error={workers.error} />
      {rows === undefined ? (
        workers.error === undefined && <Loading />
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="no-workers">
          No worker has sent a heartbeat in the last hour. Start one with <code>celeriac worker</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data ops-stack" data-testid="workers">
            <thead>
              <tr>
                <th>Worker</th>
                <th>State</th>
                <th>Pool</th>
                <th>Queues</th>
                <th>Running</th>
                <th className="num">Processed</th>
                <th className="num">Failed</th>
                <th>Uptime</th>
                <th>Last heartbeat</th>
                <th>
                  <span className="ops-sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <WorkerLine key={row.id} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function WorkerLine(props: { row: WorkerRow }): React.JSX.Element {
  const { row } = props;
  return (
    <tr data-testid={`worker-row-${row.hostname}`} data-worker-id={row.id} data-state={row.state}>
      <td data-label="Worker">
        <strong className="ops-name">{row.hostname}</strong>
        <span className="ops-sub">pid {row.pid}</span>
      </td>
      <td data-label="State">
        <span data-testid="worker-state">
          <StatusBadge status={row.state} />
        </span>
      </td>
      <td data-label="Pool">
        {row.pool} × {row.concurrency}
      </td>
      <td data-label="Queues">
        <span className="ops-list">{row.queues.join(", ")}</span>
      </td>
      <td data-label="Running" data-testid="worker-running">
        {row.running.length === 0 ? (
          <span className="ops-sub">idle</span>
        ) : (
          <ul className="ops-running">
            {row.running.map((task) => (
              <li key={task.id}>
                <Link to={`/tasks/${encodeURIComponent(task.id)}`} data-testid="running-task">
                  <DottedName name={task.task} />
                </Link>{" "}
                <span className="ops-sub">
                  since <Time at={task.startedAt} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td data-label="Processed" className="num" data-testid="worker-processed">
        {row.processed}
      </td>
      <td data-label="Failed" className="num" data-testid="worker-failed">
        {row.failed}
      </td>
      <td data-label="Uptime">{row.state === "online" ? <Duration ms={row.uptimeS * 1_000} /> : "—"}</td>
      <td data-label="Last heartbeat" data-testid="worker-heartbeat">
        <Time at={row.lastHeartbeat} />
      </td>
      <td className="ops-actions">{row.state === "online" && <ShutdownButton row={row} />}</td>
    </tr>
  );
}

function ShutdownButton(props: { row: WorkerRow }): React.JSX.Element {
  const act = useAction();
  const { row } = props;
  const running = row.running.length;
  return (
    <button
      type="button"
      className="button button-small button-danger"
      data-testid="worker-shutdown"
      onClick={() =>
        void act({
          confirm: {
            title: `Shut down ${row.hostname} (pid ${row.pid})?`,
            body: (
              <p>
                A warm shutdown, like <code>celery control shutdown</code>: the worker takes no new task and exits once its running tasks finish
                {running === 0 ? " (it runs none now)" : ` (${running} now)`}. Its supervisor may start it again.
              </p>
            ),
            confirmLabel: "Shut down",
            danger: true,
          },
          send: (requestKey) => apiSend<ActionReply>("POST", `workers/${encodeURIComponent(row.id)}/shutdown`, { requestKey }),
        })
      }
    >
      Shut down
    </button>
  );
}
