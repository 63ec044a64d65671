/**
 * One app's view of its database schema (schema-check.ts), for the three moments it matters:
 *
 * - at start, `assertReady()`: the worker, beat and the CLI refuse to start on a database that is not
 *   migrated, with one message naming the command that fixes it;
 * - when a read fails because a table or column is missing, `explain()` turns the driver's or Prisma's
 *   error into a SchemaNotReadyError carrying that message (AsyncResult.get(), the web app's 503);
 * - when the schema goes missing while running (a table dropped, an old dump restored), `report()`: the
 *   result writer, the outbox relay and beat's loop keep retrying as before (a task's row must be durable
 *   before its job is acknowledged), and the process logs the message once per interval rather than once
 *   per task or pass.
 */
import { SchemaNotReadyError } from "../errors.js";
import type { Logger } from "../log.js";
import { checkSchema, isNoDatabase, isReady, missingFromError, newerMessage, noDatabaseMessage, schemaMessage, type SchemaExpectations, type SchemaStatus } from "./schema-check.js";
import type { SchemaCatalog } from "../store/store.js";

export interface SchemaMonitorOptions {
  /** Table → the columns of it the code uses. */
  tables: SchemaExpectations["tables"];
  /** The migrations this build ships, oldest first, read at each check; undefined: only tables are checked. */
  migrations?: () => readonly string[] | undefined;
  /** The task store, whose catalog it reads. */
  store: SchemaCatalog;
  /** The database's URL without its password, for the messages. */
  where: string;
  /** The command that migrates the database, named in the messages. @defaultValue "npx prisma migrate deploy" */
  fix?: string;
  log: Logger;
  /** At most one report of a missing schema per this many ms. @defaultValue 60000 */
  reportIntervalMs?: number;
}

/** Prisma Migrate's own command, which every app made from prisma/models has; an app names its script instead (migrateCommand). */
const DEFAULT_MIGRATE_COMMAND = "npx prisma migrate deploy";

/** explain() reuses a check this recent: a burst of failing reads runs one catalog query, not one each. */
const CHECK_REUSE_MS = 1000;

export class SchemaMonitor {
  private readonly fix: string;
  private readonly reportIntervalMs: number;
  private lastReportAt = -Infinity;
  private recent: { at: number; status: Promise<SchemaStatus> } | undefined;

  constructor(private readonly options: SchemaMonitorOptions) {
    this.fix = options.fix ?? DEFAULT_MIGRATE_COMMAND;
    this.reportIntervalMs = options.reportIntervalMs ?? 60_000;
  }

  /** What the database lacks for this build (and what it has that the build does not know). */
  check(): Promise<SchemaStatus> {
    const { store } = this.options;
    const status = checkSchema(store, { tables: this.options.tables, migrations: this.options.migrations?.() }).then(async (found) => {
      // A process that goes on running on a database that is not migrated (the web server answers 503
      // until it is) lets go of what would stop the command that fixes it (SQLite: its connection, which
      // `migrate deploy`'s EXCLUSIVE lock waits for); the store reopens it at its next statement.
      if (!isReady(found)) await store.makeWayForMigration();
      return found;
    });
    this.recent = { at: Date.now(), status };
    status.catch(() => (this.recent = undefined));
    return status;
  }

  /**
   * Resolves the status when this build can run on the database; throws SchemaNotReadyError with the one
   * message otherwise (a database that does not exist included). Errors reaching the database are thrown
   * as they are: the caller decides whether to wait.
   */
  async assertReady(): Promise<SchemaStatus> {
    let status: SchemaStatus;
    try {
      status = await this.check();
    } catch (error) {
      if (isNoDatabase(error)) throw new SchemaNotReadyError(noDatabaseMessage(this.options.where, this.fix), { cause: error });
      throw error;
    }
    if (!isReady(status)) throw new SchemaNotReadyError(schemaMessage(this.options.where, status, this.fix));
    return status;
  }

  /** The start-up warning for a database newer than the code, or undefined. */
  newer(status: SchemaStatus): string | undefined {
    return status.unknown.length ? newerMessage(this.options.where, status) : undefined;
  }

  /** The SchemaNotReadyError to throw instead of `error` when it says a table or column is missing; else undefined. */
  async explain(error: unknown): Promise<SchemaNotReadyError | undefined> {
    if (error instanceof SchemaNotReadyError) return error;
    const missing = missingFromError(error);
    if (missing === undefined) return undefined;
    const recent = this.recent && Date.now() - this.recent.at < CHECK_REUSE_MS ? this.recent.status : this.check();
    const status = await recent.catch(() => undefined);
    // The catalog may not see what failed (a column the check does not list): the error's own words then.
    const shown = status && !isReady(status) ? status : { missing: [missing], pending: [], failed: [], unknown: [] };
    return new SchemaNotReadyError(schemaMessage(this.options.where, shown, this.fix), { cause: error });
  }

  /** `error` as the SchemaNotReadyError it means, or `error` itself: for `promise.catch((e) => monitor.rethrow(e))`. */
  async rethrow(error: unknown): Promise<never> {
    throw (await this.explain(error)) ?? error;
  }

  /**
   * True when `error` says a table or column is missing: the message is then logged, at most once per
   * reportIntervalMs for the whole app, and the caller logs nothing of its own (it retries as it always does).
   */
  report(error: unknown): boolean {
    if (missingFromError(error) === undefined) return false;
    const now = Date.now();
    if (now - this.lastReportAt >= this.reportIntervalMs) {
      this.lastReportAt = now;
      const every = `${this.reportIntervalMs / 1000} s`;
      void this.explain(error).then((why) => this.options.log.error({ retrying: `results and sends wait and are retried; this is logged at most every ${every}` }, why!.message));
    }
    return true;
  }
}
