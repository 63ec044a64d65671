/**
 * Audit: every dashboard action, newest first (who, when, what, on what, with its details); "Older"
 * pages back with the `before` cursor.
 */
import { useState } from "react";
import type React from "react";
import type { AuditEntry, AuditPage as AuditPageReply } from "../../api-types.js";
import { isTaskId } from "../../../task/id.js";
import { apiGet } from "../api.js";
import { formatShortJson } from "../format.js";
import { useLive } from "../live.js";
import { Link } from "../router.js";
import { DataTable } from "../table.js";
import { ErrorLine, JsonView, Loaded, PageHeader, Time } from "../ui.js";
import "./ops.css";

export function AuditPage(): React.JSX.Element {
  const first = useLive(() => apiGet<AuditPageReply>("audit"), []);
  const [older, setOlder] = useState<AuditPageReply[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const pages = first.data === undefined ? [] : [first.data, ...older];
  const entries = pages.flatMap((page) => page.entries);
  const next = pages.at(-1)?.next ?? null;

  const loadOlder = async (before: number): Promise<void> => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await apiGet<AuditPageReply>("audit", { before });
      setOlder((old) => [...old, page]);
    } catch (reason) {
      setError(reason);
    } finally {
      setLoading(false);
    }
  };
  const newest = () => {
    setOlder([]);
    first.reload();
  };

  return (
    <section data-testid="audit-page">
      <PageHeader title="Audit">
        <button type="button" className="button" onClick={newest} data-testid="audit-newest">
          Newest
        </button>
      </PageHeader>
      <Loaded live={first}>
        {() =>
          entries.length === 0 ? (
            <p className="empty" data-testid="no-audit">
              No action yet: retries, revokes, pauses, purges, shutdowns and periodic-task changes are recorded here.
            </p>
          ) : (
            <AuditTable entries={entries} details data-testid="audit" />
          )
        }
      </Loaded>
      <ErrorLine error={error} />
      {next !== null && (
        <div className="toolbar">
          <button type="button" className="button" disabled={loading} onClick={() => void loadOlder(next)} data-testid="audit-older">
            {loading ? "Loading…" : "Older"}
          </button>
        </div>
      )}
    </section>
  );
}

/** Audit entries as a table: the Audit page's, with their details, and the Overview's latest, without. */
export function AuditTable(props: { entries: AuditEntry[]; details: boolean; "data-testid"?: string }): React.JSX.Element {
  const columns = ["When", "Who", "Action", "Target", ...(props.details ? ["Detail"] : [])];
  return (
    <DataTable columns={columns} data-testid={props["data-testid"]}>
      {props.entries.map((entry) => (
        <tr key={entry.id} data-testid="audit-row" data-action={entry.action}>
          <td data-label="When">
            <Time at={entry.at} compact />
          </td>
          <td data-label="Who" className="break">
            {entry.actor}
          </td>
          <td data-label="Action">
            <code>{entry.action}</code>
          </td>
          <td data-label="Target" className="break" data-testid="audit-target">
            <AuditTarget entry={entry} />
          </td>
          {props.details && (
            <td data-label="Detail">
              <Detail value={entry.detail} />
            </td>
          )}
        </tr>
      ))}
    </DataTable>
  );
}

/** The actions whose target is a task id. */
const TASK_TARGETS = new Set(["task.retry", "task.revoke"]);

/** What an action was done to: a task's id links to the task; a queue or a periodic task to its page. */
function AuditTarget(props: { entry: Pick<AuditEntry, "action" | "target"> }): React.JSX.Element {
  const { action, target } = props.entry;
  if (TASK_TARGETS.has(action) && isTaskId(target)) {
    return (
      <Link to={`/tasks/${encodeURIComponent(target)}`} className="mono" title={target}>
        {target}
      </Link>
    );
  }
  const area = action.split(".")[0];
  if (area === "queue") return <Link to="/queues">{target}</Link>;
  if (area === "periodic") return <Link to="/periodic-tasks">{target}</Link>;
  return (
    <span className="mono" title={target}>
      {target}
    </span>
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * What the detail says of the outcome, read defensively (the contract types it `unknown`): the server
 * stores the answer as `outcome: { status, body }`, an ActionReply (its message, the task it made) or a
 * refusal (`{ error }`).
 */
function outcomeOf(detail: Record<string, unknown>): { refused?: number; words?: string; taskId?: string } {
  const outcome = isRecord(detail.outcome) ? detail.outcome : {};
  const body = isRecord(outcome.body) ? outcome.body : {};
  const refused = typeof outcome.status === "number" && outcome.status >= 400 ? outcome.status : undefined;
  const words = [refused === undefined ? body.message : body.error].find((text): text is string => typeof text === "string");
  const taskId = [detail.taskId, body.taskId].find((id): id is string => typeof id === "string" && isTaskId(id));
  return { refused, words, taskId };
}

/** The outcome in words (or the details on one line), the whole detail behind a disclosure, and the task the action made. */
function Detail(props: { value: unknown }): React.JSX.Element {
  const { value } = props;
  if (!isRecord(value)) return value === undefined || value === null ? <span className="muted">—</span> : <code className="break">{formatShortJson(value)}</code>;
  if (Object.keys(value).length === 0) return <span className="muted">—</span>;
  const { refused, words, taskId } = outcomeOf(value);
  const own = Object.fromEntries(Object.entries(value).filter(([key]) => key !== "outcome"));
  return (
    <>
      {refused !== undefined && (
        <span className="badge badge-bad" data-testid="audit-refused">
          refused ({refused})
        </span>
      )}{" "}
      <details className="ops-more">
        <summary className="break">{words ?? (Object.keys(own).length > 0 ? formatShortJson(own, 60) : "details")}</summary>
        <JsonView value={value} />
      </details>
      {taskId !== undefined && (
        <Link to={`/tasks/${encodeURIComponent(taskId)}`} className="ops-link" data-testid="audit-task-link">
          open the new task
        </Link>
      )}
    </>
  );
}
