/**
 * /admin/periodic-tasks (django-celery-beat's admin): every periodic task with its schedule, runs and
 * source, the beat leader, and the actions. Staff only: /login when logged out, 403 for everyone else.
 */
import Link from "next/link";
import { pageGate } from "@/lib/admin-guard";
import styles from "../admin.module.css";
import { overview, type BeatStatus } from "./data";
import type { Source } from "celeriac";
import { RowActions } from "./row-actions";

export const dynamic = "force-dynamic";

const BADGE: Record<Source, string> = {
  settings: styles.badge,
  "settings, edited in admin": `${styles.badge} ${styles.badgeDetached}`,
  admin: `${styles.badge} ${styles.badgeAdmin}`,
};

function BeatLine({ beat }: { beat: BeatStatus }) {
  if (beat.error) {
    return (
      <p className="error" data-testid="beat-leader">
        {beat.error}
      </p>
    );
  }
  return (
    <p data-testid="beat-leader">
      {beat.leader ? (
        <>
          beat leader: <code>{beat.leader.holder}</code> (term {beat.leader.term}, lease {Math.ceil(beat.leader.ttlMs / 1000)} s left)
        </>
      ) : (
        "no beat running"
      )}
    </p>
  );
}

function When({ local, iso }: { local: string | null; iso: string | null }) {
  if (!local || !iso) return <>—</>;
  return (
    <time dateTime={iso}>
      {local}
      <span className={styles.utc}>{iso}</span>
    </time>
  );
}

export default async function PeriodicTasksPage() {
  await pageGate();
  const { timezone, beat, tasks } = await overview();
  return (
    <main className={styles.main}>
      <h1>Periodic tasks</h1>
      <p className="lead">
        What beat sends (<code>npm run beat</code>): rows from <code>settings.beatSchedule</code> in lib/celery.ts and rows made here. Times in the app
        time zone, <strong>{timezone}</strong>, and in UTC.
      </p>
      <div className={styles.toolbar}>
        <BeatLine beat={beat} />
        <Link href="/admin/periodic-tasks/new">New periodic task</Link>
      </div>
      {tasks.length === 0 ? (
        <p data-testid="no-tasks">No periodic tasks yet. Start a beat to sync the settings, or make one here.</p>
      ) : (
        <table className={styles.table} data-testid="periodic-tasks">
          <thead>
            <tr>
              <th>Name</th>
              <th>Task</th>
              <th>Schedule</th>
              <th>Args</th>
              <th>Queue</th>
              <th>Enabled</th>
              <th>Last run</th>
              <th>Next run</th>
              <th>Total runs</th>
              <th>Source</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((row) => (
              <tr key={row.id} data-testid="task-row" data-name={row.name}>
                <td>
                  <strong>{row.name}</strong>
                  {row.description && <span className={styles.utc}>{row.description}</span>}
                </td>
                <td>
                  <code>{row.task}</code>
                </td>
                <td data-testid="schedule">
                  {row.schedule}
                  {row.oneOff && <span className={styles.utc}>one-off</span>}
                </td>
                <td>
                  <code>{row.args}</code>
                </td>
                <td title={row.queue ? undefined : "the task's own routing"}>{row.queue ?? "—"}</td>
                <td data-testid="enabled">{row.enabled ? "yes" : "no"}</td>
                <td>
                  <When local={row.lastRunLocal} iso={row.lastRunAt} />
                </td>
                <td data-testid="next-run">
                  <When local={row.nextRunLocal} iso={row.nextRunAt} />
                </td>
                <td>{row.totalRunCount}</td>
                <td>
                  <span className={BADGE[row.source]} data-testid="source">
                    {row.source}
                  </span>
                </td>
                <td>
                  <RowActions id={row.id} name={row.name} enabled={row.enabled} managed={row.managed} detached={row.detached} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
