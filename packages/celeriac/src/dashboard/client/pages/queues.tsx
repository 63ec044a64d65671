/**
 * Queues (Bull Board's queue list): each queue's counts, live from the feed; pause / resume (BullMQ's own
 * pause: workers take nothing new from it) and purge, whose confirmation states what it deletes and
 * sends that count, so a queue that changed meanwhile is refused (409) instead of purged blind.
 */
import type React from "react";
import type { ActionReply, QueueRow } from "../../api-types.js";
import { ApiError, apiSend } from "../api.js";
import { useLiveResource } from "../live.js";
import { DataTable } from "../table.js";
import { ActionButton, Loaded, PageHeader, StatusBadge, type ActionOptions } from "../ui.js";
import { COUNT_COLUMNS, COUNT_LABELS, QUEUE_COUNTS } from "./queue-counts.js";
import "./ops.css";

/** What a purge deletes: the tasks not taken yet. Active ones run on; failed ones are BullMQ's history. */
function purgeCount(row: QueueRow): number {
  return row.waiting + row.prioritized + row.delayed;
}

export function QueuesPage(): React.JSX.Element {
  const queues = useLiveResource("queues", "queues");
  return (
    <section data-testid="queues-page">
      <PageHeader title="Queues" />
      <Loaded live={queues}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty" data-testid="no-queues">
              No queue yet: a queue appears once a task is sent to it or a worker consumes it.
            </p>
          ) : (
            <DataTable columns={["Queue", ...COUNT_COLUMNS]} actions data-testid="queues">
              {rows.map((row) => (
                <QueueLine key={row.name} row={row} reload={queues.reload} />
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </section>
  );
}

function QueueLine(props: { row: QueueRow; reload(): void }): React.JSX.Element {
  const { row } = props;
  const path = `queues/${encodeURIComponent(row.name)}`;
  const expected = purgeCount(row);

  const togglePause: ActionOptions = {
    confirm: row.paused
      ? { title: `Resume ${row.name}?`, body: <p>Workers take its tasks again, oldest first.</p>, confirmLabel: "Resume" }
      : {
          title: `Pause ${row.name}?`,
          body: <p>Workers take no new task from it until it is resumed; running tasks finish, and tasks sent meanwhile wait in it.</p>,
          confirmLabel: "Pause",
        },
    send: (requestKey) => apiSend<ActionReply>("POST", `${path}/${row.paused ? "resume" : "pause"}`, { requestKey }),
    done: props.reload,
  };

  // A 409: the count changed since the dialog opened. Its message states the new count; the table is
  // read again to show it, and a new Purge (a new dialog, a new requestKey) confirms that one.
  const purge: ActionOptions = {
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
  };

  return (
    <tr data-testid={`queue-row-${row.name}`} data-paused={row.paused}>
      <td data-label="Queue">
        <strong className="break">{row.name}</strong>{" "}
        {row.paused && (
          <span data-testid="queue-paused">
            <StatusBadge status="paused" />
          </span>
        )}
      </td>
      {QUEUE_COUNTS.map((count) => (
        <td key={count} data-label={COUNT_LABELS[count]} className="num" data-testid={`queue-${count}`}>
          {row[count]}
        </td>
      ))}
      <td className="cell-actions">
        <div className="ops-buttons">
          <ActionButton action={togglePause} className="button button-small" data-testid={row.paused ? "queue-resume" : "queue-pause"}>
            {row.paused ? "Resume" : "Pause"}
          </ActionButton>
          <ActionButton action={purge} className="button button-small button-danger" data-testid="queue-purge" disabled={expected === 0}>
            Purge
          </ActionButton>
        </div>
      </td>
    </tr>
  );
}
