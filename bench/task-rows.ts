/**
 * Bench section 8's table: N TaskResult rows (1,000,000 by default) of a busy week, the same rows on SQLite
 * and PostgreSQL (one seeded generator), written straight through the drivers in bulk: multi-row INSERTs in
 * transactions of 50,000 on SQLite, `INSERT … SELECT FROM unnest(…)` of 10,000 rows a statement on
 * PostgreSQL. The table's secondary indexes are dropped for the load and made again after it from their
 * own definitions (as the migrations wrote them): building an index once is far cheaper than keeping it
 * up to date through a million inserts, and what is measured afterwards is the same table. The mix: 85 % SUCCESS, 8 % FAILURE, 2 % REVOKED, 1 % RETRY, 2 % STARTED, 2 % PENDING; 30 task
 * names, 3 queues, 5 workers; created evenly over the 7 days before `end`; arguments, results and errors
 * with some text (an address, a message id, a host) for the text search to look through.
 */
import Database from "better-sqlite3";
import pg from "pg";

export const TASK_NAMES = ["emails", "reports", "billing", "images", "search", "sync"].flatMap((area) =>
  ["send", "build", "refresh", "resize", "index"].map((verb) => `${area}.${verb}`),
);
export const QUEUES = ["default", "mail", "heavy"];
export const WORKERS = [1, 2, 3, 4, 5].map((n) => `celeriac@worker-${n}`);
export const SPAN_MS = 7 * 24 * 3600_000;

export interface BenchRow {
  id: string;
  name: string;
  args: string;
  status: string;
  result: string | null;
  errorType: string | null;
  errorMessage: string | null;
  errorStack: string | null;
  queue: string;
  worker: string | null;
  retries: number;
  createdAt: Date;
  startedAt: Date | null;
  doneAt: Date | null;
  runtimeMs: number | null;
  owner: string | null;
}

/** mulberry32: a small seeded generator, so both databases get the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32 random bits as 8 hex digits. */
const word = (next: () => number) => Math.floor(next() * 4294967296).toString(16).padStart(8, "0");
const uuid = (a: string, b: string, c: string, d: string) => `${a}-${b.slice(0, 4)}-4${b.slice(5)}-a${c.slice(1, 4)}-${c.slice(4)}${d}`;
const ERRORS = ["TimeoutError", "ConnectionError", "ValueError"];

/** Rows `from` to `to` (exclusive) of `n`, oldest first, the newest created just before `end`. */
export function* benchRows(n: number, end: number, from = 0, to = n): Generator<BenchRow> {
  const step = SPAN_MS / n;
  for (let i = from; i < to; i++) {
    const next = random(Math.imul(i + 1, 2654435761)); // per row: the same rows whatever the batches
    const r = next();
    const status = r < 0.85 ? "SUCCESS" : r < 0.93 ? "FAILURE" : r < 0.95 ? "REVOKED" : r < 0.96 ? "RETRY" : r < 0.98 ? "STARTED" : "PENDING";
    const k = Math.floor(next() * TASK_NAMES.length);
    const createdAt = new Date(Math.floor(end - SPAN_MS + i * step));
    const ran = status !== "PENDING" && status !== "REVOKED";
    const startedAt = ran ? new Date(createdAt.getTime() + 5 + Math.floor(next() * 50)) : null;
    const runtimeMs = ran && status !== "STARTED" ? Math.round(5 * 1.2 ** k * (0.5 + next()) * 10) / 10 : null;
    const failed = status === "FAILURE" || status === "RETRY";
    const type = ERRORS[i % ERRORS.length]!;
    const message = failed ? `could not reach smtp-${i % 20}.example.com:587 after 3 attempts` : status === "REVOKED" ? "revoked by staff" : null;
    yield {
      id: uuid(word(next), word(next), word(next), word(next)),
      name: TASK_NAMES[k]!,
      args: JSON.stringify([i % 100_000, `user-${i % 5000}@example.com`, { page: i % 7 }]),
      status,
      result: status === "SUCCESS" ? JSON.stringify({ sent: true, messageId: `<m-${i}@mail.example.com>` }) : null,
      errorType: failed ? type : status === "REVOKED" ? "TaskRevokedError" : null,
      errorMessage: message,
      errorStack: failed ? `${type}: ${message}\n    at connect (tasks/mail.ts:41:11)\n    at run (tasks/mail.ts:12:5)\n    at executeMessage (celeriac/worker/execute.ts:88:7)` : null,
      queue: QUEUES[k % QUEUES.length]!,
      worker: ran ? WORKERS[Math.floor(next() * WORKERS.length)]! : null,
      retries: status === "RETRY" ? 1 + (i % 3) : 0,
      createdAt,
      startedAt,
      doneAt: status === "STARTED" || status === "PENDING" || status === "RETRY" ? null : new Date((startedAt ?? createdAt).getTime() + Math.ceil(runtimeMs ?? 1)),
      runtimeMs,
      owner: i % 10 === 0 ? `user:${i % 5000}` : null,
    };
  }
}

const COLUMNS = ["id", "name", "args", "status", "result", "errorType", "errorMessage", "errorStack", "queue", "worker", "retries", "createdAt", "startedAt", "doneAt", "runtimeMs", "owner"] as const;
const INSTANTS = new Set(["createdAt", "startedAt", "doneAt"]);
const quoted = COLUMNS.map((c) => `"${c}"`).join(", ");

/** Loads the table in steps the caller can time and bound one by one: drop the indexes, insert rows by ranges, build the indexes again. */
export interface TableLoader {
  dropIndexes(): Promise<void>;
  /** Rows `from` to `to` (exclusive) of benchRows(n, end). */
  insert(from: number, to: number): Promise<void>;
  createIndexes(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite: as Prisma's adapter and celeriac's store write them (JSON text, ISO instants with "+00:00"). */
export function sqliteLoader(file: string, n: number, end: number): TableLoader {
  const db = new Database(file);
  // The index pages of a million random ids do not fit SQLite's default 2 MB cache: inserting would read and
  // write them over and over. Only this connection's cache; the file is as any other.
  db.pragma("cache_size = -1048576");
  const indexes = db.prepare(`SELECT "name", "sql" FROM sqlite_master WHERE "type" = 'index' AND "tbl_name" = 'TaskResult' AND "sql" IS NOT NULL`).all() as Array<{ name: string; sql: string }>;
  const perStatement = 200;
  const value = (row: BenchRow, c: (typeof COLUMNS)[number]) => (INSTANTS.has(c) ? ((row[c] as Date | null)?.toISOString().replace("Z", "+00:00") ?? null) : row[c]);
  const tuples = (k: number) => Array.from({ length: k }, () => `(${COLUMNS.map(() => "?").join(", ")})`).join(", ");
  const insert = db.prepare(`INSERT INTO "TaskResult" (${quoted}) VALUES ${tuples(perStatement)}`);
  const batch = db.transaction((from: number, to: number) => {
    let values: unknown[] = [];
    for (const row of benchRows(n, end, from, to)) {
      for (const c of COLUMNS) values.push(value(row, c));
      if (values.length === perStatement * COLUMNS.length) {
        insert.run(values);
        values = [];
      }
    }
    if (values.length) db.prepare(`INSERT INTO "TaskResult" (${quoted}) VALUES ${tuples(values.length / COLUMNS.length)}`).run(values);
  });
  return {
    dropIndexes: async () => indexes.forEach(({ name }) => db.exec(`DROP INDEX "${name}"`)),
    insert: async (from, to) => {
      for (let at = from; at < to; at += 50_000) batch(at, Math.min(to, at + 50_000));
    },
    createIndexes: async () => indexes.forEach(({ sql }) => db.exec(sql)),
    close: async () => void db.close(),
  };
}

const PG_TYPES: Record<(typeof COLUMNS)[number], string> = {
  id: "text", name: "text", args: "jsonb", status: "text", result: "jsonb", errorType: "text", errorMessage: "text", errorStack: "text",
  queue: "text", worker: "text", retries: "int4", createdAt: "timestamp(3)", startedAt: "timestamp(3)", doneAt: "timestamp(3)", runtimeMs: "float8", owner: "text",
};

/** PostgreSQL: UTC wall time in the TIMESTAMP(3) columns, as celeriac's store writes them. */
export async function postgresLoader(url: string, n: number, end: number): Promise<TableLoader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `SELECT "indexname" AS "name", "indexdef" AS "definition" FROM pg_indexes WHERE "tablename" = 'TaskResult' AND "indexname" <> 'TaskResult_pkey'`,
  );
  const text = `INSERT INTO "TaskResult" (${quoted}) SELECT * FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c]}[]`).join(", ")})`;
  return {
    dropIndexes: async () => {
      for (const { name } of indexes) await client.query(`DROP INDEX "${name}"`);
    },
    insert: async (from, to) => {
      for (let at = from; at < to; at += 10_000) {
        const columns = COLUMNS.map(() => [] as unknown[]);
        for (const row of benchRows(n, end, at, Math.min(to, at + 10_000))) {
          COLUMNS.forEach((c, i) => columns[i]!.push(INSTANTS.has(c) ? ((row[c] as Date | null)?.toISOString().slice(0, -1) ?? null) : row[c]));
        }
        await client.query(text, columns);
      }
    },
    createIndexes: async () => {
      await client.query(`SET maintenance_work_mem = '256MB'`);
      for (const { definition } of indexes) await client.query(definition);
      // What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
      await client.query(`VACUUM ANALYZE "TaskResult"`);
    },
    close: () => client.end(),
  };
}
