/**
 * Periodic tasks (django-celery-beat's admin, live): every row beat sends, with its last run's outcome,
 * its next runs in its own time zone, why beat would refuse it, and the actions — enable/disable, edit,
 * run now, delete (rows made here), return to settings (settings rows edited here).
 */
import { useState } from "react";
import type React from "react";
import type { ActionReply, PeriodicTaskList, PeriodicTaskRow } from "../../api-types.js";
import { apiGet, apiSend } from "../api.js";
import { formatShortJson } from "../format.js";
import { useFeed, useLive } from "../live.js";
import { Link } from "../router.js";
import { DataTable } from "../table.js";
import { ActionButton, ErrorLine, Loaded, PageHeader, StatusBadge, Time, type ActionOptions, useNotice } from "../ui.js";
import { DottedName } from "./dotted-name.js";
import "./ops.css";

const COLUMNS = ["Name", "Task", "Schedule", "Enabled", "Last run", "Next runs", { label: "Runs", num: true }] as const;

type SetList = (update: (old: PeriodicTaskList | undefined) => PeriodicTaskList | undefined) => void;

export function PeriodicTasksPage(): React.JSX.Element {
  const list = useLive(() => apiGet<PeriodicTaskList>("periodic-tasks"), []);
  useFeed("periodic", (tasks) => list.setData((old) => old && { ...old, tasks }));
  useFeed("overview", (overview) => list.setData((old) => old && { ...old, beatLeader: overview.beatLeader }));
  return (
    <section data-testid="periodic-tasks-page">
      <PageHeader title="Periodic tasks">
        <Link to="/periodic-tasks/new" className="button button-primary" data-testid="periodic-new">
          New periodic task
        </Link>
      </PageHeader>
      <Loaded live={list}>
        {(data) => (
          <>
            <BeatLine leader={data.beatLeader} />
            <p className="muted">
              What beat sends: rows from the app's <code>beatSchedule</code> settings and rows made here. Next runs are shown in each row's time zone
              (the app's: {data.timezone}).
            </p>
            {data.tasks.length === 0 ? (
              <p className="empty" data-testid="no-periodic-tasks">
                No periodic tasks yet. Start a beat to sync the settings, or make one here.
              </p>
            ) : (
              <DataTable columns={COLUMNS} actions data-testid="periodic-tasks">
                {data.tasks.map((row) => (
                  <PeriodicLine key={row.id} row={row} setList={list.setData} />
                ))}
              </DataTable>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function BeatLine(props: { leader: PeriodicTaskList["beatLeader"] }): React.JSX.Element {
  const { leader } = props;
  return (
    <p className="ops-beat" data-testid="beat-leader">
      {leader === null ? (
        <>
          <StatusBadge status="offline" /> No beat is running: nothing is sent on schedule (start one with <code>celeriac beat</code>).
        </>
      ) : (
        <>
          <StatusBadge status="online" /> Beat leader <code>{leader.holder}</code> (term {leader.term}, lease {Math.ceil(leader.ttlMs / 1_000)} s left)
        </>
      )}
    </p>
  );
}

const SOURCE_TONES: Record<PeriodicTaskRow["source"], string> = {
  settings: "badge-idle",
  "settings, edited in admin": "badge-warn",
  admin: "badge-busy",
};

function PeriodicLine(props: { row: PeriodicTaskRow; setList: SetList }): React.JSX.Element {
  const { row } = props;
  return (
    <tr data-testid={`periodic-row-${row.name}`} data-enabled={row.enabled} data-id={row.id}>
      <td data-label="Name">
        <strong className="break">{row.name}</strong>{" "}
        <span className={`badge ${SOURCE_TONES[row.source]}`} data-testid="periodic-source" title="where this row comes from">
          {row.source}
        </span>
        {row.description && <span className="ops-sub">{row.description}</span>}
        {row.problem !== null && (
          <div className="ops-problem" data-testid="periodic-problem">
            <ErrorLine error={row.problem} />
          </div>
        )}
      </td>
      <td data-label="Task">
        <code className="break">
          <DottedName name={row.task} />
        </code>
        <span className="ops-sub">
          <code className="truncate" title={formatShortJson(row.args, 2_000)} data-testid="periodic-args">
            {formatShortJson(row.args)}
          </code>
        </span>
        {row.queue !== null && <span className="ops-sub">queue {row.queue}</span>}
      </td>
      <td data-label="Schedule" data-testid="periodic-schedule">
        {row.scheduleText}
        {row.oneOff && <span className="ops-sub">one-off: disabled after one run</span>}
      </td>
      <td data-label="Enabled">
        <EnabledToggle row={row} setList={props.setList} />
      </td>
      <td data-label="Last run" data-testid="periodic-last-run">
        {row.lastRun === null ? (
          <span className="muted">never</span>
        ) : (
          <Link to={`/tasks/${encodeURIComponent(row.lastRun.taskId)}`} data-testid="periodic-last-run-link" title={`task ${row.lastRun.taskId}`}>
            <StatusBadge status={row.lastRun.status} />
          </Link>
        )}
        {row.lastRunAt !== null && (
          <span className="ops-sub">
            <Time at={row.lastRunAt} timeZone={row.timezone} />
          </span>
        )}
      </td>
      <td data-label="Next runs" data-testid="periodic-next-runs">
        <NextRuns runs={row.nextRuns} timeZone={row.timezone} />
      </td>
      <td data-label="Runs" className="num" data-testid="periodic-total-runs">
        {row.totalRunCount}
      </td>
      <td className="cell-actions">
        <RowActions row={row} setList={props.setList} />
      </td>
    </tr>
  );
}

/** The first next run, the others behind a disclosure (five times in every row would drown the table). */
function NextRuns(props: { runs: string[]; timeZone: string }): React.JSX.Element {
  const [first, ...rest] = props.runs;
  if (first === undefined) return <span className="muted">none</span>;
  return (
    <>
      <Time at={first} timeZone={props.timeZone} />
      <span className="ops-sub">{props.timeZone}</span>
      {rest.length > 0 && (
        <details className="ops-more">
          <summary>{rest.length} more</summary>
          <ol className="ops-runs">
            {rest.map((at) => (
              <li key={at}>
                <Time at={at} timeZone={props.timeZone} />
              </li>
            ))}
          </ol>
        </details>
      )}
    </>
  );
}

function replaceRow(setList: SetList, row: PeriodicTaskRow): void {
  setList((old) => old && { ...old, tasks: old.tasks.map((each) => (each.id === row.id ? row : each)) });
}

/** Not confirmed: it is undone by the same click, and the PATCH names the state wanted, so a double click is harmless. */
function EnabledToggle(props: { row: PeriodicTaskRow; setList: SetList }): React.JSX.Element {
  const { row } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const toggle = async (enabled: boolean): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      replaceRow(props.setList, await apiSend<PeriodicTaskRow>("PATCH", `periodic-tasks/${row.id}`, { enabled }));
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <label className="check">
        <input
          type="checkbox"
          name="enabled"
          checked={row.enabled}
          disabled={busy}
          onChange={(event) => void toggle(event.target.checked)}
          data-testid="periodic-enabled"
        />
        {row.enabled ? "on" : "off"}
      </label>
      <ErrorLine error={error} />
    </>
  );
}

function RowActions(props: { row: PeriodicTaskRow; setList: SetList }): React.JSX.Element {
  const { row, setList } = props;
  const notify = useNotice();
  const path = `periodic-tasks/${row.id}`;

  const runNow: ActionOptions = {
    confirm: {
      title: `Run ${row.name} now?`,
      body: (
        <p>
          Sends <code>{row.task}</code> with its arguments once, outside its schedule; the schedule is unchanged.
        </p>
      ),
      confirmLabel: "Run now",
    },
    send: (requestKey) => apiSend<ActionReply>("POST", `${path}/run`, { requestKey }),
    done: (reply) => {
      if (reply.taskId === undefined) return;
      notify({
        message: reply.message,
        tone: "ok",
        extra: (
          <Link to={`/tasks/${encodeURIComponent(reply.taskId)}`} data-testid="run-now-task">
            Open the task
          </Link>
        ),
      });
    },
  };

  const remove: ActionOptions = {
    confirm: { title: `Delete ${row.name}?`, body: <p>Beat stops sending it; the results of its past runs stay.</p>, confirmLabel: "Delete", danger: true },
    send: async (requestKey) => {
      await apiSend<{ deleted: true }>("DELETE", path, { requestKey });
      return { ok: true, message: `deleted the periodic task ${row.name}` };
    },
    done: () => setList((old) => old && { ...old, tasks: old.tasks.filter((each) => each.id !== row.id) }),
  };

  const returnToSettings: ActionOptions = {
    confirm: {
      title: `Return ${row.name} to its settings?`,
      body: <p>The edits made here are dropped: the row takes the schedule, arguments and options of the app's beatSchedule again.</p>,
      confirmLabel: "Return to settings",
    },
    send: async (requestKey) => {
      const fresh = await apiSend<PeriodicTaskRow>("POST", `${path}/return-to-settings`, { requestKey });
      replaceRow(setList, fresh);
      return { ok: true, message: `${row.name} follows its settings again` };
    },
  };

  return (
    <div className="ops-buttons">
      <Link to={`/periodic-tasks/${row.id}`} className="button button-small" data-testid="periodic-edit">
        Edit
      </Link>
      <ActionButton action={runNow} className="button button-small" data-testid="periodic-run-now">
        Run now
      </ActionButton>
      {row.source === "settings, edited in admin" && (
        <ActionButton action={returnToSettings} className="button button-small" data-testid="periodic-return-to-settings">
          Return to settings
        </ActionButton>
      )}
      {/* A settings row would come back at beat's next sync: it can be disabled, not deleted. */}
      {row.source === "admin" && (
        <ActionButton action={remove} className="button button-small button-danger" data-testid="periodic-delete">
          Delete
        </ActionButton>
      )}
    </div>
  );
}
