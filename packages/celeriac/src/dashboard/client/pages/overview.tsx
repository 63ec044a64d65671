/**
 * Overview (the pages root): what an operator looks at first — outcomes over the last hour and day,
 * the failure rate, queue depths, workers online, the beat leader, the two charts and the latest
 * actions. Live from the feed's `overview` event.
 */
import type React from "react";
import type { Overview, OutcomeCounts } from "../../api-types.js";
import { apiGet } from "../api.js";
import { PerMinuteChart, RuntimeChart } from "../charts.js";
import { formatDuration, formatRate } from "../format.js";
import { useFeed, useLive } from "../live.js";
import { Link } from "../router.js";
import { Duration, ErrorLine, Loading, PageHeader, StatusBadge, Time } from "../ui.js";

const OUTCOME_LABELS: Record<keyof OutcomeCounts, { label: string; tone: string; status: string }> = {
  succeeded: { label: "Succeeded", tone: "good", status: "SUCCESS" },
  failed: { label: "Failed", tone: "bad", status: "FAILURE" },
  retried: { label: "Retried", tone: "warn", status: "RETRY" },
  revoked: { label: "Revoked", tone: "", status: "REVOKED" },
};
const OUTCOMES = Object.keys(OUTCOME_LABELS) as Array<keyof OutcomeCounts>;
/** The audit actions whose target is a task id. */
const TASK_TARGETS = new Set(["task.retry", "task.revoke"]);

export function OverviewPage(): React.JSX.Element {
  const live = useLive(() => apiGet<Overview>("overview"), []);
  useFeed("overview", (overview) => live.setData(() => overview));
  const overview = live.data;
  return (
    <section data-testid="overview-page">
      <PageHeader title="Overview" />
      <ErrorLine error={live.error} />
      {overview === undefined ? (live.error === undefined ? <Loading /> : null) : <OverviewBody overview={overview} />}
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
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th>Queue</th>
                <th className="num">Waiting</th>
                <th className="num">Prioritized</th>
                <th className="num">Active</th>
                <th className="num">Delayed</th>
                <th className="num">Failed</th>
              </tr>
            </thead>
            <tbody>
              {props.queues.map((queue) => (
                <tr key={queue.name} data-testid={`overview-queue-${queue.name}`}>
                  <td>
                    <Link to={`/tasks?queue=${encodeURIComponent(queue.name)}`}>{queue.name}</Link> {queue.paused ? <StatusBadge status="paused" /> : null}
                  </td>
                  <td className="num">{queue.waiting}</td>
                  <td className="num">{queue.prioritized}</td>
                  <td className="num">{queue.active}</td>
                  <td className="num">{queue.delayed}</td>
                  <td className="num">{queue.failed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th>Target</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td className="nowrap">
                    <Time at={entry.at} />
                  </td>
                  <td>{entry.actor}</td>
                  <td className="mono">{entry.action}</td>
                  <td>
                    <span className="mono truncate" title={entry.target}>
                      {TASK_TARGETS.has(entry.action) ? <Link to={`/tasks/${encodeURIComponent(entry.target)}`}>{entry.target}</Link> : entry.target}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RuntimeTable(props: { runtimes: Overview["runtimes"] }): React.JSX.Element {
  return (
    <div className="table-wrap">
      <table className="data" data-testid="overview-runtimes">
        <thead>
          <tr>
            <th>Task</th>
            <th className="num">Finished</th>
            <th className="num">p50</th>
            <th className="num">p95</th>
          </tr>
        </thead>
        <tbody>
          {props.runtimes.map((entry) => (
            <tr key={entry.name}>
              <td>
                <Link to={`/tasks?name=${encodeURIComponent(entry.name)}`}>{entry.name}</Link>
              </td>
              <td className="num">{entry.count}</td>
              <td className="num">
                <Duration ms={entry.p50Ms} />
              </td>
              <td className="num">
                <Duration ms={entry.p95Ms} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
