/**
 * Is the database migrated for this build? Two questions, both answered on the task store's own
 * connection (store/store.ts, SchemaCatalog), one query each:
 *
 * - Tables and columns: every table celeriac's statements name, with every column they use, read from the
 *   catalog (SQLite's sqlite_master + pragma_table_info, PostgreSQL's pg_class + pg_attribute in the schema
 *   the unqualified statements resolve to; not information_schema, which shows a role only the columns it
 *   holds a privilege on, so a least-privilege role would see tables as missing). This holds whatever made the schema (migrate deploy, db push, a
 *   restored dump) and names exactly what is missing. The lists come from the code that uses the columns,
 *   so a column added to a statement is checked without anyone remembering to.
 * - Migrations, when the app says which ones its build ships: Prisma's `_prisma_migrations` table against
 *   those names. This covers the app's own tables and whatever else a migration changes that a column list
 *   cannot see (a new index, a type). A shipped migration not applied (or failed) means "not migrated"; an
 *   applied migration the build does not ship means the database is newer than the code: reported, not
 *   refused on its own, since a rolling deploy migrates before the last old worker restarts (an old worker
 *   refusing to start would turn every deploy into an outage). If such a migration removed something this
 *   code uses, the column check refuses it anyway.
 *
 * A database without `_prisma_migrations` whose tables are all there (made without Prisma Migrate) passes on
 * the column check alone.
 */
import { SchemaNotReadyError } from "../errors.js";
import type { SchemaCatalog } from "../store/store.js";

/** Table name → the columns of it the code uses. */
export type RequiredTables = Readonly<Record<string, readonly string[]>>;

/**
 * A row type's columns, checked at compile time to be all of them: `columnsOf<Row>()(["id", …])` does not
 * compile once Row has a field the list lacks, so the schema check cannot fall behind the code.
 */
export const columnsOf =
  <Row>() =>
  <const K extends readonly (keyof Row & string)[]>(columns: K & ([Exclude<keyof Row, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof Row, K[number]> })): K =>
    columns;

export interface SchemaExpectations {
  tables: RequiredTables;
  /** The migrations this build ships, oldest first; undefined when not known (only tables are checked). */
  migrations?: readonly string[];
}

export interface SchemaStatus {
  /** Required tables that are absent, then `Table.column` for absent columns of present tables. */
  missing: string[];
  /** Shipped migrations the database has not applied. */
  pending: string[];
  /** Migrations whose apply started and did not finish (Prisma refuses to go on until they are resolved). */
  failed: string[];
  /** Applied migrations this build does not ship: the database is newer than the code. */
  unknown: string[];
}

export const isReady = (s: SchemaStatus) => s.missing.length === 0 && s.pending.length === 0 && s.failed.length === 0;

const MIGRATIONS_TABLE = "_prisma_migrations";

/** Reads the catalog (and the migrations table, when there is one) and compares them with what this build needs. */
export async function checkSchema(store: Pick<SchemaCatalog, "columns" | "appliedMigrations">, expected: SchemaExpectations): Promise<SchemaStatus> {
  const present = new Map<string, Set<string>>();
  for (const { table, column } of await store.columns()) present.set(table, (present.get(table) ?? new Set()).add(column));
  const missingTables = Object.keys(expected.tables).filter((t) => !present.has(t));
  const missingColumns = Object.entries(expected.tables).flatMap(([t, columns]) =>
    present.has(t) ? columns.filter((c) => !present.get(t)!.has(c)).map((c) => `${t}.${c}`) : [],
  );
  const status: SchemaStatus = { missing: [...missingTables, ...missingColumns], pending: [], failed: [], unknown: [] };
  if (!expected.migrations) return status;
  if (!present.has(MIGRATIONS_TABLE)) {
    // Made without Prisma Migrate: the tables decide. With nothing there at all, every migration is pending.
    if (missingTables.length === Object.keys(expected.tables).length) status.pending = [...expected.migrations];
    return status;
  }
  const applied = await store.appliedMigrations();
  if (!applied) return status; // a role that may not read the history (only the deploy role may): the tables decide
  const done = new Set(applied.filter((m) => m.finished && !m.rolledBack).map((m) => m.name));
  const shipped = new Set(expected.migrations);
  status.failed = [...new Set(applied.filter((m) => !m.finished && !m.rolledBack && !done.has(m.name)).map((m) => m.name))];
  status.pending = expected.migrations.filter((m) => !done.has(m) && !status.failed.includes(m));
  status.unknown = [...done].filter((m) => !shipped.has(m)).sort();
  return status;
}

/** "migration a", or "3 migrations (a … c)": a long history stays one readable line. */
function migrationList(names: readonly string[]): string {
  if (names.length === 1) return `migration ${names[0]}`;
  return names.length === 2 ? `migrations ${names[0]}, ${names[1]}` : `${names.length} migrations (${names[0]} … ${names.at(-1)})`;
}

/**
 * The one message for a database this build cannot run on, naming what is missing and the command that
 * fixes it. `where` is the database's URL without its password.
 */
export function schemaMessage(where: string, status: SchemaStatus, fix: string): string {
  const newer = status.unknown.length > 0 ? `it has ${migrationList(status.unknown)} this build does not ship` : "";
  if (status.pending.length === 0 && status.failed.length === 0 && newer) {
    return `the database at ${where} is newer than this build (missing: ${status.missing.join(", ")}; ${newer}): deploy the build that matches it`;
  }
  const items = [
    ...status.missing,
    ...(status.pending.length ? [`${migrationList(status.pending)} not applied`] : []),
    ...status.failed.map((m) => `migration ${m} failed (see npx prisma migrate status)`),
  ];
  return `the database at ${where} is not migrated (missing: ${items.join(", ")}${newer ? `; ${newer}` : ""}): run ${fix}`;
}

/** What a database newer than the code says at start, when nothing this build needs is missing. */
export function newerMessage(where: string, status: SchemaStatus): string {
  return `the database at ${where} is newer than this build (it has ${migrationList(status.unknown)} this build does not ship); running anyway, as during a rolling deploy`;
}

/** The fix when the database named in the URL does not exist: Prisma's JS schema engine does not create it. */
export function noDatabaseMessage(where: string, fix: string): string {
  return `the database at ${where} does not exist: create it, then run ${fix}`;
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; table?: unknown; column?: unknown; originalCode?: unknown } } };
  cause?: unknown;
}

/** PostgreSQL: undefined_table, undefined_column. */
const PG_MISSING = new Set(["42P01", "42703"]);
/** Prisma: P2021 the table does not exist, P2022 the column does not exist. */
const PRISMA_MISSING = new Set(["P2021", "P2022"]);
/** SQLite's words, naming the table, the column (quoted when it was: `"Y" - should this be a string literal…`), or both ("table X has no column named Y", from an insert): X, Y or X.Y. */
const SQLITE_MISSING = /^no such (?:table|column): "?(?:main\.)?([^"\s]+)|^table (?:main\.)?(\S+) has no column named (\S+)/;
/** PostgreSQL's words for a column of a known table (an insert or update's target). */
const PG_COLUMN_OF = /^column "([^"]+)" of relation "([^"]+)" does not exist/;

/** The name of the table or column a driver's or Prisma's error says is missing; undefined for any other error. */
export function missingFromError(error: unknown): string | undefined {
  for (let e = error as DriverError | undefined, depth = 0; e && typeof e === "object" && depth < 5; e = e.cause as DriverError, depth++) {
    const message = typeof e.message === "string" ? e.message : "";
    const adapter = e.meta?.driverAdapterError?.cause;
    if (adapter?.kind === "TableDoesNotExist" || adapter?.kind === "ColumnNotFound") {
      return String(adapter.table ?? adapter.column ?? "a table").replace(/^(main|public)\./, "");
    }
    if (PRISMA_MISSING.has(String(e.code))) return (/`([^`]+)`/.exec(message)?.[1] ?? "a table").replace(/^(main|public)\./, "");
    if (PG_MISSING.has(String(e.code))) {
      const of = PG_COLUMN_OF.exec(message);
      return of ? `${of[2]}.${of[1]}` : (/"([^"]+)"/.exec(message)?.[1] ?? "a table");
    }
    const sqlite = SQLITE_MISSING.exec(message);
    if (sqlite) return sqlite[1] ?? `${sqlite[2]}.${sqlite[3]}`;
    if (e instanceof SchemaNotReadyError) return "a table";
  }
  return undefined;
}

/** PostgreSQL's invalid_catalog_name: the database in the URL does not exist. */
export function isNoDatabase(error: unknown): boolean {
  return (error as DriverError | undefined)?.code === "3D000";
}
