/**
 * Workers (Flower's Workers tab): every worker from its heartbeats, live from the feed, with what it runs
 * now; a worker that died shows offline and stays listed for a while. "Shut down" is a warm shutdown.
 */
import type React from "react";
import type { ActionReply, WorkerRow } from "../../api-types.js";
import { apiSend } from "../api.js";
import { useLiveResource } from "../live.js";
import { Link } from "../router.js";
import { DataTable } from "../table.js";
import { ActionButton, Duration, Loaded, PageHeader, StatusBadge, Time } from "../ui.js";
import { DottedName } from "./dotted-name.js";
import "./ops.css";

const COLUMNS = ["Worker", "State", "Pool", "Queues", "Running", { label: "Processed", num: true }, { label: "Failed", num: true }, "Uptime", "Last heartbeat"] as const;

export function WorkersPage(): React.JSX.Element {
  const workers = useLiveResource("workers", "workers");
  return (
    <section data-testid="workers-page">
      <PageHeader title="Workers" />
      <Loaded live={workers}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty" data-testid="no-workers">
              No worker has sent a heartbeat in the last hour. Start one with <code>celeriac worker</code>.
            </p>
          ) : (
            <DataTable columns={COLUMNS} actions data-testid="workers">
              {rows.map((row) => (
                <WorkerLine key={row.id} row={row} />
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </section>
  );
}

function WorkerLine(props: { row: WorkerRow }): React.JSX.Element {
  const { row } = props;
  return (
    <tr data-testid={`worker-row-${row.hostname}`} data-worker-id={row.id} data-state={row.state}>
      <td data-label="Worker">
        <strong className="break">{row.hostname}</strong>
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
        <span className="break">{row.queues.join(", ")}</span>
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
      <td className="cell-actions">{row.state === "online" && <ShutdownButton row={row} />}</td>
    </tr>
  );
}

function ShutdownButton(props: { row: WorkerRow }): React.JSX.Element {
  const { row } = props;
  const running = row.running.length;
  return (
    <ActionButton
      className="button button-small button-danger"
      data-testid="worker-shutdown"
      action={{
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
      }}
    >
      Shut down
    </ActionButton>
  );
}
