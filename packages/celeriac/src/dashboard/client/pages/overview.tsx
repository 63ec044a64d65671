/**
 * Overview (the pages root): what an operator looks at first — outcomes over the last hour and day,
 * the failure rate, queue depths, workers online, the beat leader, the two charts and the latest
 * actions. Live from the feed's `overview` event.
 */
import type React from "react";
import type { Overview, OutcomeCounts } from "../../api-types.js";
import { PerMinuteChart, RuntimeChart } from "../charts.js";
import { formatDuration, formatRate } from "../format.js";
import { useLiveResource } from "../live.js";
import { Link } from "../router.js";
import { DataTable } from "../table.js";
import { Duration, Loaded, PageHeader, StatusBadge } from "../ui.js";
import { AuditTable } from "./audit.js";
import { DottedName } from "./dotted-name.js";
import { COUNT_COLUMNS, COUNT_LABELS, QUEUE_COUNTS } from "./queue-counts.js";

const OUTCOME_LABELS: Record<keyof OutcomeCounts, { label: string; tone: string; status: string }> = {
  succeeded: { label: "Succeeded", tone: "good", status: "SUCCESS" },
  failed: { label: "Failed", tone: "bad", status: "FAILURE" },
  retried: { label: "Retried", tone: "warn", status: "RETRY" },
  revoked: { label: "Revoked", tone: "", status: "REVOKED" },
};
const OUTCOMES = Object.keys(OUTCOME_LABELS) as Array<keyof OutcomeCounts>;

export function OverviewPage(): React.JSX.Element {
  const live = useLiveResource("overview", "overview");
  return (
    <section data-testid="overview-page">
      <PageHeader title="Overview" />
      <Loaded live={live}>{(overview) => <OverviewBody overview={overview} />}</Loaded>
    </section>
  );
}

function OverviewBody(props: { overview: Overview }): React.JSX.Element {
  const { overview } = props;
  const rateTone = overview.failureRate === null ? "" : overview.failureRate >= 0.1 ? "card-bad" : overview.failureRate > 0 ? "card-warn" : "card-good";
  return (
    <>
      <div className="overview-top">
        <Counts title="Last hour" window="hour" counts={overview.lastHour} since={60 * 60_000} now={overview.now} />
        <Counts title="Last 24 hours" window="day" counts={overview.lastDay} since={24 * 60 * 60_000} now={overview.now} />
        <section className="section">
          <h2>Now</h2>
          <div className="cards">
            <div className={`card ${rateTone}`}>
              <div className="card-label">Failure rate, last hour</div>
              <div className="card-value" data-testid="overview-failure-rate">{formatRate(overview.failureRate)}</div>
            </div>
            <Link to="/workers" className="card" data-testid="overview-workers-link">
              <div className="card-label">Workers online</div>
              <div className="card-value" data-testid="overview-workers-online">{overview.workersOnline}</div>
            </Link>
            <div className="card card-wide">
              <div className="card-label">Beat leader</div>
              <BeatLeader leader={overview.beatLeader} />
            </div>
          </div>
        </section>
      </div>
      <div className="grid-2">
        <section className="section">
          <div className="section-header">
            <h2>Tasks finished per minute</h2>
            <span className="muted">last hour</span>
          </div>
          <PerMinuteChart perMinute={overview.perMinute} />
        </section>
        <section className="section">
          <div className="section-header">
            <h2>Runtime per task</h2>
            <span className="chart-legend">
              <span><span className="swatch swatch-p50" />p50</span>
              <span><span className="swatch swatch-p95" />p95</span>
              <span>last hour</span>
            </span>
          </div>
          {overview.runtimes.length === 0 ? (
            <p className="empty">No task finished in the last hour.</p>
          ) : (
            <>
              <RuntimeChart runtimes={overview.runtimes} />
              <RuntimeTable runtimes={overview.runtimes} />
            </>
          )}
        </section>
      </div>
      <div className="grid-2">
        <QueueDepths queues={overview.queues} />
        <RecentActions overview={overview} />
      </div>
    </>
  );
}

function Counts(props: { title: string; window: "hour" | "day"; counts: OutcomeCounts; since: number; now: string }): React.JSX.Element {
  const from = new Date(Date.parse(props.now) - props.since).toISOString();
  return (
    <section className="section">
      <h2>{props.title}</h2>
      <div className="cards">
        {OUTCOMES.map((outcome) => {
          const { label, tone, status } = OUTCOME_LABELS[outcome];
          return (
            <Link key={outcome} to={`/tasks?status=${status}&from=${encodeURIComponent(from)}`} className={`card ${tone ? `card-${tone}` : ""}`}>
              <div className="card-label">{label}</div>
              <div className="card-value" data-testid={`overview-${props.window}-${outcome}`}>
                {props.counts[outcome].toLocaleString("en")}
              </div>
            </Link>
          );
        })}
      </div>
    </section>
  );
}

function BeatLeader(props: { leader: Overview["beatLeader"] }): React.JSX.Element {
  if (props.leader === null) {
    return (
      <div className="card-value card-sub" data-testid="overview-beat-leader">
        none: no beat is running
      </div>
    );
  }
  return (
    <>
      <div className="card-value mono" data-testid="overview-beat-leader">
        {props.leader.holder}
      </div>
      <div className="card-sub">
        term {props.leader.term} · lease {formatDuration(props.leader.ttlMs)}
      </div>
    </>
  );
}

function QueueDepths(props: { queues: Overview["queues"] }): React.JSX.Element {
  return (
    <section className="section">
      <div className="section-header">
        <h2>Queues</h2>
        <Link to="/queues">All queues →</Link>
      </div>
      {props.queues.length === 0 ? (
        <p className="empty">No queues yet.</p>
      ) : (
        <DataTable columns={["Queue", ...COUNT_COLUMNS]}>
          {props.queues.map((queue) => (
            <tr key={queue.name} data-testid={`overview-queue-${queue.name}`}>
              <td data-label="Queue">
                <Link to={`/tasks?queue=${encodeURIComponent(queue.name)}`} className="break">
                  {queue.name}
                </Link>{" "}
                {queue.paused ? <StatusBadge status="paused" /> : null}
              </td>
              {QUEUE_COUNTS.map((count) => (
                <td key={count} data-label={COUNT_LABELS[count]} className="num">
                  {queue[count]}
                </td>
              ))}
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

function RecentActions(props: { overview: Overview }): React.JSX.Element {
  const entries = props.overview.recentActions;
  return (
    <section className="section" data-testid="overview-recent-actions">
      <div className="section-header">
        <h2>Recent actions</h2>
        <Link to="/audit">Audit log →</Link>
      </div>
      {entries.length === 0 ? (
        <p className="empty">No actions yet.</p>
      ) : (
        <AuditTable entries={entries} details={false} />
      )}
    </section>
  );
}

function RuntimeTable(props: { runtimes: Overview["runtimes"] }): React.JSX.Element {
  return (
    <DataTable columns={["Task", { label: "Finished", num: true }, { label: "p50", num: true }, { label: "p95", num: true }]} data-testid="overview-runtimes">
      {props.runtimes.map((entry) => (
        <tr key={entry.name}>
          <td data-label="Task">
            <Link to={`/tasks?name=${encodeURIComponent(entry.name)}`}>
              <DottedName name={entry.name} />
            </Link>
          </td>
          <td data-label="Finished" className="num">
            {entry.count}
          </td>
          <td data-label="p50" className="num">
            <Duration ms={entry.p50Ms} />
          </td>
          <td data-label="p95" className="num">
            <Duration ms={entry.p95Ms} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
