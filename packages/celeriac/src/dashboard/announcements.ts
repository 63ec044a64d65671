/**
 * The result store's announcements (every state change a worker, beat or a dispatch wrote, published on
 * the broker), as records: what the live feed and the metrics of this process are made of. A change is
 * announced with its row when the row is small; a larger one is read back from the store, once per id per
 * batch. Listening starts on the first call (a web process subscribes only once a page or a scrape asks).
 */
import type { Celeriac } from "../app.js";
import type { StateChange } from "../message.js";
import type { TaskRecord } from "../results/backend.js";
import type { AnnouncedRow } from "../results/row.js";

const dateOf = (ms: number | null) => (ms === null ? null : new Date(ms));

function recordOf(row: AnnouncedRow): TaskRecord {
  return { ...row, createdAt: new Date(row.createdAt), startedAt: dateOf(row.startedAt), doneAt: dateOf(row.doneAt) };
}

/** The latest record of each id a batch of changes is about, in the order they came; ids whose row is gone are left out. */
async function recordsOf(app: Pick<Celeriac, "backend">, changes: readonly StateChange<AnnouncedRow>[]): Promise<TaskRecord[]> {
  const latest = new Map<string, AnnouncedRow | undefined>();
  for (const [id, , row] of changes) {
    latest.delete(id);
    latest.set(id, row);
  }
  const records = await Promise.all([...latest].map(async ([id, row]) => (row ? recordOf(row) : app.backend.get(id))));
  return records.filter((record): record is TaskRecord => record !== null);
}

/**
 * Calls `listener` with the records of each batch of changes announced from now on, until the resolved
 * function is called. A batch whose rows cannot be read is passed to `onError` and skipped.
 */
export async function onRecords(app: Pick<Celeriac, "backend" | "broker">, listener: (records: TaskRecord[]) => void, onError: (error: unknown) => void): Promise<() => void> {
  return app.broker.onAnnounce((changes) => {
    recordsOf(app, changes as readonly StateChange<AnnouncedRow>[]).then(listener).catch(onError);
  });
}
