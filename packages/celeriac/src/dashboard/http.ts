/**
 * The dashboard API's HTTP plumbing, one place for what every route shares:
 *
 *   HttpError            throw it from a handler: `{ error, field? }` with its status (and headers)
 *   jsonReply()          a JSON answer with the API's headers (no caching, no sniffing, nothing may load it)
 *   readJsonBody()       a mutation's body: `content-type: application/json` (else 415), at most 64 KiB
 *                        (else 413; web/body.ts), JSON (else 400), nested at most MAX_JSON_NESTING levels;
 *                        empty is `{}`
 *   parseInput()         a value checked by a zod schema: a 400 naming the first bad field
 *   errorReply()         any error a handler threw, as an answer: by class, never by message text;
 *                        what is not the client's fault is a 500 "internal error", logged, never described
 */
import { z } from "zod";
import {
  BrokerUnavailableError,
  ConfigError,
  DispatchError,
  InvalidArgumentsError,
  InvalidCursorError,
  InvalidPeriodicTaskError,
  InvalidScheduleError,
  NotFoundError,
  NotJsonError,
  SchemaNotReadyError,
} from "../errors.js";
import { MAX_JSON_NESTING, nestedDeeperThan } from "../json.js";
import type { Logger } from "../log.js";
import type { SchemaMonitor } from "../results/schema-monitor.js";
import { isJsonContentType, notJsonMessage, readBodyAtMost } from "../web/body.js";

/** The largest request body the API reads. */
const MAX_BODY_BYTES = 64 * 1024;

/** What every API answer carries: JSON is data, never a page, never cached (it holds task arguments). */
const API_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/** An answer other than 2xx: `{ error, field? }` (field: the input at fault, as a path: "args", "schedule.minute"). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function jsonReply(body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return Response.json(body, { status, headers: { ...API_HEADERS, ...headers } });
}

/** A mutation's JSON body (see the module comment). */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const type = request.headers.get("content-type");
  if (!isJsonContentType(type)) throw new HttpError(415, notJsonMessage(type));
  const bytes = await readBodyAtMost(request, limit);
  if (bytes === null) throw new HttpError(413, `request body too large: at most ${limit / 1024} KiB`);
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "request body must be JSON", "body");
  }
  if (nestedDeeperThan(value)) throw new HttpError(400, `request body is nested too deeply (at most ${MAX_JSON_NESTING} levels)`, "body");
  return value;
}

export interface InputOptions {
  /** What an issue about the input as a whole names. @defaultValue "body" */
  root?: string;
  /** Name a field by its first `depth` path segments at most (query parameters: 1, "status" not "status.2"). */
  depth?: number;
}

/** `value` checked by `schema`, or a 400 naming the first bad field by its path ("schedule.minute"). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, { root = "body", depth = Infinity }: InputOptions = {}): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const [first] = parsed.error.issues;
  const field = first.path.length === 0 ? root : first.path.slice(0, depth).map(String).join(".");
  return badInput(field, `${field}: ${first.message}`);
}

/** Throws a 400 about one field. */
export function badInput(field: string, message: string): never {
  throw new HttpError(400, message, field);
}

function errorBody(message: string, field?: string) {
  return field === undefined ? { error: message } : { error: message, field };
}

/** The field a framework error is about, where it names one. */
function frameworkField(error: Error): string | undefined {
  if (error instanceof InvalidScheduleError) return error.field === null ? "schedule" : `schedule.${error.field}`;
  if (error instanceof InvalidPeriodicTaskError) return error.issues[0]?.field || undefined;
  if (error instanceof InvalidArgumentsError || error instanceof NotJsonError) return "args";
  return undefined;
}

/** An error a handler threw, as the answer (see the module comment). */
export async function errorReply(thrown: unknown, deps: { log: Logger; schema: Pick<SchemaMonitor, "explain" | "report"> }): Promise<Response> {
  const error = (await deps.schema.explain(thrown).catch(() => undefined)) ?? thrown;
  if (error instanceof HttpError) return jsonReply(errorBody(error.message, error.field), error.status, error.headers);
  if (error instanceof InvalidCursorError) return jsonReply(errorBody(error.message, error.field), 400);
  if (error instanceof DispatchError || error instanceof ConfigError) return jsonReply(errorBody(error.message, frameworkField(error)), 400);
  if (error instanceof NotFoundError) return jsonReply(errorBody(error.message), 404);
  if (error instanceof BrokerUnavailableError) {
    deps.log.error({ err: error }, "dashboard: the broker (Redis) is unavailable");
    return jsonReply(errorBody("the task queue is unavailable; try again shortly"), 503);
  }
  if (error instanceof SchemaNotReadyError) {
    deps.schema.report(error.cause ?? error);
    return jsonReply(errorBody("the database is not migrated for this version of celeriac; see the server log"), 503);
  }
  deps.log.error({ err: error }, "dashboard: unhandled error in an API handler");
  return jsonReply(errorBody("internal error"), 500);
}
