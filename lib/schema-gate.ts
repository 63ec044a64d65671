/**
 * The web server on a database that is not migrated for this build: every request is answered 503 (by
 * lib/server-boot.ts's hook, before Next), pages included, instead of a page that fails with a 500 and a
 * Prisma stack in the log. The database is checked when the server starts and, while it is not migrated,
 * again every few seconds: once `npm run db:deploy` has run, requests are served again, without a restart.
 *
 * A database the check cannot reach does not close the gate (the pages and routes say what they can; the
 * worker is the one that waits for it): it is checked again until it answers.
 */
import { SchemaNotReadyError } from "celeriac/errors";

/** The command that migrates this app's database (package.json's db:deploy): celeriac's messages name it (lib/celery.ts). */
export const MIGRATE_COMMAND = "npm run db:deploy";

/**
 * What a client is told about a database that is not migrated, here and by route() (lib/http.ts): the fix,
 * not the database's address, user, tables or migrations, which are the server log's (an anonymous client
 * has no business knowing them).
 */
export const NOT_MIGRATED_MESSAGE = `the database is not migrated for this version of the app: run ${MIGRATE_COMMAND} (the server's log says what is missing)`;

export interface SchemaGateOptions {
  /** Resolves when the database is migrated for this build; rejects with SchemaNotReadyError when it is not. */
  check: () => Promise<unknown>;
  /** How often the database is checked again while it is not migrated (or could not be checked). */
  recheckMs: number;
  /** At most one log line per this many ms while the database stays as it is. */
  logIntervalMs: number;
  /** celeriac's logger, or anything with its three levels. */
  log: GateLog;
}

export type GateLog = Record<"error" | "warn" | "info", (message: string) => void>;

type State = "ready" | "not migrated" | "unchecked";

export class SchemaGate {
  private state: State = "unchecked";
  private logged: { what: string; at: number } | undefined;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SchemaGateOptions) {}

  /** How often the database is checked again while it is not ready (a 503's Retry-After). */
  get recheckMs(): number {
    return this.options.recheckMs;
  }

  /** Whether requests are answered 503: the last check found the database not migrated. */
  get closed(): boolean {
    return this.state === "not migrated";
  }

  /** Checks the database now (one check at a time); while it is not ready, again every recheckMs. */
  check(): Promise<void> {
    this.running ??= this.checkOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops checking again (for tests; the server's timer does not keep the process alive). */
  stop(): void {
    clearTimeout(this.timer);
  }

  private async checkOnce(): Promise<void> {
    clearTimeout(this.timer);
    const { log, recheckMs } = this.options;
    const before = this.state;
    try {
      await this.options.check();
      this.state = "ready";
      if (before === "not migrated") log.info("the database is migrated now: serving requests again");
      return;
    } catch (error) {
      const every = `checked again every ${recheckMs / 1000} s`;
      if (error instanceof SchemaNotReadyError) {
        this.state = "not migrated";
        if (this.mayLog("not migrated")) log.error(`${error.message}; every request is answered 503 until then (${every})`);
      } else if (this.mayLog("unchecked")) {
        const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
        log.warn(`could not check the database's schema (${reason}); ${every}`);
      }
    }
    this.timer = setTimeout(() => void this.check(), recheckMs);
    this.timer.unref();
  }

  /** Whether a failed check may be logged: when it failed otherwise last time, else once per logIntervalMs. */
  private mayLog(what: State): boolean {
    const now = Date.now();
    if (this.logged?.what === what && now - this.logged.at < this.options.logIntervalMs) return false;
    this.logged = { what, at: now };
    return true;
  }
}
