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
import type { Celeriac } from "./app.js";
import type { TaskTransport } from "./broker/broker.js";
import { ConfigError, DuplicateTaskError, SchemaNotReadyError } from "./errors.js";
import type { Logger } from "./log.js";

/** sysexits.h EX_CONFIG: what every celeriac command exits with on a start-up configuration error. */
export const EX_CONFIG = 78;

/** How long the worker and beat wait between attempts to reach the database or Redis at start. */
export const START_RETRY_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Codes of a server that could not be reached (network errors; PostgreSQL's 57P03, starting up): waiting may mend them. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "57P03"]);

interface ConnectionFailure {
  /** In a few words: the error's code (ECONNREFUSED), else its message. */
  reason: string;
  /** The server could not be reached (a network error, PostgreSQL starting up, a connection dropped or timed out), as opposed to refusing (a wrong password, a malformed URL), which waiting does not mend. */
  unreachable: boolean;
}

/** What a failed attempt to reach the database or Redis says; an AggregateError (one per address) by its most telling error. */
function connectionFailure(error: unknown): ConnectionFailure {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === "string" && e.code) return { reason: e.code, unreachable: UNREACHABLE.has(e.code) };
  if (Array.isArray(e?.errors) && e.errors.length) {
    const failures = e.errors.map(connectionFailure);
    return failures.find((f) => f.unreachable) ?? failures[0];
  }
  const message = String(e?.message ?? error);
  return { reason: message, unreachable: /Connection terminated|timeout exceeded when trying to connect/i.test(message) };
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
      log.warn(`waiting for ${what} (${connectionFailure(error).reason}); retrying every ${retryMs / 1000} s`);
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
    status = await untilReachable(`the database at ${where}`, () => app.schema.assertReady(), { log, retryMs, retriable: (e) => connectionFailure(e).unreachable });
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
  const failure = connectionFailure(error);
  const message = failure.unreachable
    ? `could not reach the database at ${where} (${failure.reason}): is it running, and is DATABASE_URL right?`
    : `could not use the database at ${where}: ${(error as Error).message}`;
  return new ConfigError(message, { cause: error });
}

/** Waits until Redis answers, saying so once per attempt; every failure is retried, as Celery does at start. */
export async function waitForBroker(app: { readonly broker: Pick<TaskTransport, "transport" | "probe"> }, log: Logger, retryMs = START_RETRY_MS): Promise<void> {
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
