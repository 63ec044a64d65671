/**
 * What the worker and beat do before they say "ready", so that a wrong environment is one clear message,
 * not a loop of stack traces:
 *
 * - the database: while it cannot be reached (PostgreSQL down or still starting, a host not resolvable
 *   yet) they wait, saying so once per attempt; once it answers, its schema is checked and a database that
 *   is not migrated for this build stops them (exit 78, EX_CONFIG) with the command that fixes it;
 * - Redis: while it does not answer they wait, saying so once per attempt, as Celery retries its broker
 *   connection at start; when it answers they start as usual.
 *
 * A start-up error (a bad setting or flag, a database not migrated, two tasks with one name) is one line
 * on stderr and exit code 78, without a stack: the stack of a configuration mistake only hides the
 * message.
 */
import type { Celeriac } from "./app";
import { ConfigError, DuplicateTaskError, SchemaNotReadyError } from "./errors";
import type { Logger } from "./log";
import { unreachableReason } from "./results/schema-check";

/** sysexits.h EX_CONFIG: what every celeriac command exits with on a start-up configuration error. */
export const EX_CONFIG = 78;

/** How long the worker and beat wait between attempts to reach the database or Redis at start. */
export const START_RETRY_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why a connection attempt failed, in a few words: the error's code (ECONNREFUSED), else its message. */
function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[] };
  if (typeof e?.code === "string" && e.code) return e.code;
  if (Array.isArray(e?.errors) && e.errors.length) return reasonOf(e.errors[0]);
  return String(e?.message ?? error);
}

/** Tries `attempt` until it resolves, logging each failure that `retriable` accepts; other failures are thrown. */
async function untilReachable<T>(
  what: string,
  attempt: () => Promise<T>,
  { log, retryMs, retriable }: { log: Logger; retryMs: number; retriable: (error: unknown) => boolean },
): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!retriable(error)) throw error;
      log.warn(`waiting for ${what} (${reasonOf(error)}); retrying every ${retryMs / 1000} s`);
      await sleep(retryMs);
    }
  }
}

/**
 * Waits for the database to answer, then checks that it is migrated for this build: throws
 * SchemaNotReadyError when not, and a ConfigError for any other refusal (a wrong password, a SQLite file
 * that cannot be opened). A database newer than this build is a warning.
 */
export async function checkDatabase(app: Pick<Celeriac, "schema" | "backend">, log: Logger, retryMs = START_RETRY_MS): Promise<void> {
  const where = app.backend.description;
  let status;
  try {
    status = await untilReachable(`the database at ${where}`, () => app.schema.assertReady(), { log, retryMs, retriable: (e) => unreachableReason(e) !== undefined });
  } catch (error) {
    throw databaseRefusal(error, where);
  }
  const newer = app.schema.newer(status);
  if (newer) log.warn(newer);
}

/**
 * checkDatabase for a command run once by hand (`npm run celeriac -- staff …`, `inspect beat`): a database
 * that does not answer is a ConfigError saying so at once, not a wait, since nobody is there to restart it.
 */
export async function checkDatabaseOnce(app: { schema: Pick<Celeriac["schema"], "assertReady">; backend: Pick<Celeriac["backend"], "description"> }): Promise<void> {
  try {
    await app.schema.assertReady();
  } catch (error) {
    throw databaseRefusal(error, app.backend.description);
  }
}

/** Why the database at `where` cannot be used, as a start-up error: the schema's message, else a ConfigError. */
function databaseRefusal(error: unknown, where: string): Error {
  if (error instanceof SchemaNotReadyError) return error;
  const unreachable = unreachableReason(error);
  const message = unreachable ? `could not reach the database at ${where} (${unreachable}): is it running, and is DATABASE_URL right?` : `could not use the database at ${where}: ${(error as Error).message}`;
  return new ConfigError(message, { cause: error });
}

/** Waits until Redis answers, saying so once per attempt; every failure is retried, as Celery does at start. */
export async function waitForBroker(app: Pick<Celeriac, "broker">, log: Logger, retryMs = START_RETRY_MS): Promise<void> {
  await untilReachable(`Redis at ${app.broker.transport}`, () => app.broker.probe(), { log, retryMs, retriable: () => true });
}

/** A mistake in the environment or the code's configuration, which the user fixes: said in one line. */
export function isStartupError(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof SchemaNotReadyError || error instanceof DuplicateTaskError;
}

/**
 * The end of a command that could not start: a start-up error is one line on stderr and exit 78 (no
 * stack); anything else is thrown on, as the bug it is.
 */
export function exitOnStartupError(error: unknown, command: string): Promise<never> {
  if (!isStartupError(error)) throw error;
  // Never settles: the process exits once the line is written (a pipe may take it asynchronously).
  return new Promise<never>(() => process.stderr.write(`${command}: ${error.message}\n`, () => process.exit(EX_CONFIG)));
}
