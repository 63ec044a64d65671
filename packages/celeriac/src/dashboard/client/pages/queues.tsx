/**
 * Queues (Bull Board's queue list): each queue's counts, live from the feed; pause / resume (BullMQ's own
 * pause: workers take nothing new from it) and purge, whose confirmation states what it deletes and
 * sends that count, so a queue that changed meanwhile is refused (409) instead of purged blind.
 */
import type React from "react";
import type { ActionReply, QueueRow } from "../../api-types.js";
import { ApiError, apiGet, apiSend } from "../api.js";
import { useFeed, useLive } from "../live.js";
import { ErrorLine, Loading, PageHeader, StatusBadge, useAction } from "../ui.js";
import "./ops.css";

/** What a purge deletes: the tasks not taken yet. Active ones run on; failed ones are BullMQ's history. */
function purgeCount(row: QueueRow): number {
  return row.waiting + row.prioritized + row.delayed;
}

const COUNT_LABELS = { waiting: "Waiting", prioritized: "Prioritized", active: "Active", delayed: "Delayed", failed: "Failed" } satisfies Partial<
  Record<keyof QueueRow, string>
>;
const COUNTS = Object.keys(COUNT_LABELS) as Array<keyof typeof COUNT_LABELS>;

export function QueuesPage(): React.JSX.Element {
  const queues = useLive(() => apiGet<QueueRow[]>("queues"), []);
  useFeed("queues", (rows) => queues.setData(() => rows));
  const rows = queues.data;
  return (
    <section data-testid="queues-page">
      <PageHeader title="Queues" />
      <ErrorLine error={queues.error} />
      {rows === undefined ? (
        queues.error === undefined && <Loading />
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="no-queues">
          No queue yet: a queue appears once a task is sent to it or a worker consumes it.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data ops-stack" data-testid="queues">
            <thead>
              <tr>
                <th>Queue</th>
                {COUNTS.map((count) => (
                  <th key={count} className="num">
                    {COUNT_LABELS[count]}
                  </th>
                ))}
                <th>
                  <span className="ops-sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <QueueLine key={row.name} row={row} reload={queues.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function QueueLine(props: { row: QueueRow; reload(): void }): React.JSX.Element {
  const { row } = props;
  const act = useAction();
  const path = `queues/${encodeURIComponent(row.name)}`;
  const expected = purgeCount(row);

  const togglePause = () =>
    void act({
      confirm: row.paused
        ? { title: `Resume ${row.name}?`, body: <p>Workers take its tasks again, oldest first.</p>, confirmLabel: "Resume" }
        : {
            title: `Pause ${row.name}?`,
            body: <p>Workers take no new task from it until it is resumed; running tasks finish, and tasks sent meanwhile wait in it.</p>,
            confirmLabel: "Pause",
          },
      send: (requestKey) => apiSend<ActionReply>("POST", `${path}/${row.paused ? "resume" : "pause"}`, { requestKey }),
      done: props.reload,
    });

  // A 409: the count changed since the dialog opened. Its message states the new count; the table is
  // read again to show it, and a new Purge (a new dialog, a new requestKey) confirms that one.
  const purge = () =>
    void act({
      confirm: {
        title: `Purge ${row.name}?`,
        body: (
          <p data-testid="purge-summary">
            This deletes <strong>{expected}</strong> {expected === 1 ? "task" : "tasks"} ({row.waiting} waiting, {row.prioritized} prioritized,{" "}
            {row.delayed} delayed): they never run, and a result row written for one stays PENDING.
            {row.active > 0 && ` The ${row.active} running ${row.active === 1 ? "task finishes" : "tasks finish"}.`}
          </p>
        ),
        confirmLabel: `Delete ${expected} ${expected === 1 ? "task" : "tasks"}`,
        danger: true,
      },
      send: async (requestKey) => {
        try {
          return await apiSend<ActionReply>("POST", `${path}/purge`, { requestKey, expected });
        } catch (error) {
          if (error instanceof ApiError && error.status === 409) props.reload();
          throw error;
        }
      },
      done: props.reload,
    });

  return (
    <tr data-testid={`queue-row-${row.name}`} data-paused={row.paused}>
      <td data-label="Queue">
        <strong className="ops-name">{row.name}</strong>{" "}
        {row.paused && (
          <span data-testid="queue-paused">
            <StatusBadge status="paused" />
          </span>
        )}
      </td>
      {COUNTS.map((count) => (
        <td key={count} data-label={COUNT_LABELS[count]} className="num" data-testid={`queue-${count}`}>
          {row[count]}
        </td>
      ))}
      <td className="ops-actions">
        <div className="ops-buttons">
          <button type="button" className="button button-small" data-testid={row.paused ? "queue-resume" : "queue-pause"} onClick={togglePause}>
            {row.paused ? "Resume" : "Pause"}
          </button>
          <button type="button" className="button button-small button-danger" data-testid="queue-purge" disabled={expected === 0} onClick={purge}>
            Purge
          </button>
        </div>
      </td>
    </tr>
  );
}
