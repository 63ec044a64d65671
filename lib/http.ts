/**
 * Route handler plumbing and the request-hardening layer every route handler goes through:
 * `export const POST = route(async (request) => …)`. Before the handler runs, route() applies, in this
 * order:
 *
 *   403  a cross-site POST/PUT/PATCH/DELETE (celeriac/web's rule, lib/csrf.ts's policy; login and logout included);
 *        for a route that streams its body (`streamedBody`: an upload), one with neither Origin nor Sec-Fetch-Site too
 *   415  a POST/PUT/PATCH/DELETE body that is not `content-type: application/json` (a `charset=utf-8`
 *        parameter is fine), and any other Content-Type even without a body (what a browser form sends:
 *        lib/csrf.ts). GET, HEAD and OPTIONS carry no body a handler reads: their Content-Type is not looked at
 *   413  a POST/PUT/PATCH/DELETE body over the route's limit (lib/api-routes.ts's BODY_LIMITS, 64 KiB by
 *        default): refused from its Content-Length when it declares one, else counted while it is read.
 *        lib/server-boot.ts has already refused such a body before Next read it; this holds route() to the
 *        same number wherever it runs. A route that streams its body (`streamedBody`) checks type and size itself
 *
 * and then maps every error the handler throws to a JSON answer `{ error: message }`, by class, never by
 * message text:
 *
 *   HttpError          its own status (and headers); a malformed JSON body is one: 400 "request body must be JSON"
 *                      (from `readJson`/`parseBody`, and from `request.json()` inside a wrapped handler),
 *                      and so is JSON nested more than 64 levels deep
 *   ZodError           400, the message lists each bad field ("x: expected number, received string");
 *                      `fields` maps each bad field to its first message, for forms that show them inline.
 *                      Text fields use safeText() (lib/celeriac/text.ts): NUL and lone surrogates are a 400 here
 *   DispatchError      400, its message (`.delay()` refused the arguments; nothing was enqueued)
 *   ConfigError        400, its message (a setting or definition the framework refuses)
 *   NotFoundError      404, its message (a record that does not exist, or no longer)
 *   BrokerUnavailableError  503 (Redis did not answer; nothing was enqueued), logged
 *   SchemaNotReadyError     503, NOT_MIGRATED_MESSAGE (the command that fixes it); its own message, which
 *                      names the database's address and what it lacks, goes to the log only (a Prisma
 *                      error about a missing table is first turned into one by celeriac.schema)
 *   anything else      500 "internal error"; the error itself is logged, never sent to the client (so is a
 *                      CorruptRowError: a row the framework cannot read is the database's fault, not the request's)
 *
 * Methods a route does not export (405 with Allow) and malformed percent-encoding (400) are answered
 * before routing, by proxy.ts.
 */
import { z } from "zod";
import { BrokerUnavailableError, ConfigError, DispatchError, MAX_JSON_NESTING, nestedDeeperThan, NotFoundError, SchemaNotReadyError } from "celeriac";
import { isJsonContentType, notJsonMessage, readBodyAtMost, requestCrossSiteRefusal } from "celeriac/web";
import { celeriac } from "@/lib/celery";
import { bodyLimitOf } from "@/lib/api-routes";
import { APP_ORIGIN_POLICY } from "@/lib/csrf";
import { bodyTooLargeMessage } from "@/lib/request-limits";
import { NOT_MIGRATED_MESSAGE } from "@/lib/schema-gate";

/** An error with an HTTP status: throw it from a handler to answer `{ error: message }` with that status (and `headers`, e.g. Retry-After). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** `{ error: message }` with a status. */
export function errorResponse(status: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: message }, { status, headers });
}

/** One line naming every bad field: "x: Invalid input: expected number, received string; y: Required". */
export function formatZodError(error: z.core.$ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join(".") || "body"}: ${issue.message}`).join("; ");
}

/** Each bad field's first message, by path ("x", "address.city"; "body" for the body itself). */
export function zodFieldErrors(error: z.core.$ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.map(String).join(".") || "body"] ??= issue.message;
  return fields;
}

/** The request's JSON body; an empty, malformed or too deeply nested body is a 400. */
export async function readJson(request: Request): Promise<unknown> {
  let value: unknown;
  try {
    value = await request.json();
  } catch (error) {
    // Only a parse failure is the client's fault; a body read twice (TypeError) is a bug here: a 500.
    if (error instanceof SyntaxError) throw new HttpError(400, "request body must be JSON");
    throw error;
  }
  // The framework's bound for JSON (task arguments and results nest as deep at most): one limit for one concept.
  if (nestedDeeperThan(value)) throw new HttpError(400, `request body is nested too deeply (at most ${MAX_JSON_NESTING} levels)`);
  return value;
}

/** Makes `request.json()` itself answer 400 on a malformed body, for handlers that call it directly. */
function withJsonErrors<R extends Request>(request: R): R {
  const json = request.json.bind(request);
  request.json = () => readJson({ json } as Request);
  return request;
}

/** The request's JSON body, checked against a zod schema (a mismatch is a 400 naming the fields). */
export async function parseBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  return schema.parse(await readJson(request));
}

/** The methods whose body a handler reads (RFC 9110 defines none for GET, HEAD and OPTIONS): only theirs is checked. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The request with its body checked (415, 413) and read, as a new Request whose json()/text() return it;
 * the request itself when it has no body, or its method none that a handler reads. A Content-Type other than JSON is refused before a byte is read,
 * even on an empty body: it is what a browser form sends, and an empty cross-site form POST (to log a user
 * out) from a browser too old to send Origin would pass the cross-site check. A body without any type is
 * refused once read, when it turns out not to be empty (curl -X POST with no data is fine).
 */
async function withCheckedBody(request: Request): Promise<Request> {
  if (!BODY_METHODS.has(request.method)) return request;
  const limit = bodyLimitOf(request.method, new URL(request.url).pathname);
  const type = request.headers.get("content-type");
  if (type !== null && !isJsonContentType(type)) throw new HttpError(415, notJsonMessage(type));
  if (request.body === null || request.headers.get("content-length") === "0") return request;
  const bytes = await readBodyAtMost(request, limit);
  if (bytes === null) throw new HttpError(413, bodyTooLargeMessage(limit));
  if (bytes.byteLength > 0 && type === null) throw new HttpError(415, notJsonMessage(null));
  return new Request(request, { body: bytes });
}

/** The error → response mapping `route()` applies; exported for tests. */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) return errorResponse(error.status, error.message, error.headers);
  // z.core.$ZodError matches the errors of every zod flavour (classic ZodError and zod/mini alike).
  if (error instanceof z.core.$ZodError) {
    return Response.json({ error: `invalid request: ${formatZodError(error)}`, fields: zodFieldErrors(error) }, { status: 400 });
  }
  if (error instanceof DispatchError || error instanceof ConfigError) return errorResponse(400, error.message);
  if (error instanceof NotFoundError) return errorResponse(404, error.message);
  if (error instanceof BrokerUnavailableError) {
    celeriac.log.error({ err: error }, "task queue unavailable");
    return errorResponse(503, "the task queue is unavailable; try again shortly");
  }
  if (error instanceof SchemaNotReadyError) {
    // The full message, logged at most once a minute for the whole app (every request would fail the same way).
    celeriac.schema.report(error.cause ?? error);
    return errorResponse(503, NOT_MIGRATED_MESSAGE);
  }
  celeriac.log.error({ err: error }, "unhandled error in a route handler");
  return errorResponse(500, "internal error");
}

export interface RouteOptions {
  /**
   * The handler reads the body itself, as it arrives (a file upload: lib/api-routes.ts's STREAMED_BODIES),
   * and holds it to its own type and size: route() neither reads it nor asks for JSON. Because such a route
   * takes a content type a form can send (multipart), a write must also prove where it comes from: a
   * request with neither Origin nor Sec-Fetch-Site (which an old browser posting a form cross-site would
   * be) is refused too. Every current browser sends Origin with a POST; a script adds the header itself.
   */
  streamedBody?: boolean;
}

/** Why a write to a route that takes form content types is refused for want of Origin and Sec-Fetch-Site, or null. */
function unprovenOrigin(request: Request): string | null {
  if (!BODY_METHODS.has(request.method) || request.headers.has("origin") || request.headers.has("sec-fetch-site")) return null;
  return "cross-site request refused: an upload must come from this site's own pages (send an Origin header naming this site)";
}

/**
 * Wraps a route handler: `export const POST = route(async (request) => Response.json(…))`. The context
 * (`{ params: Promise<…> }` for dynamic segments) is passed through unchanged.
 */
export function route<C = unknown>(
  handler: (request: Request, context: C) => Response | Promise<Response>,
  { streamedBody = false }: RouteOptions = {},
): (request: Request, context: C) => Promise<Response> {
  return async (request, context) => {
    try {
      const refusal = requestCrossSiteRefusal(request, APP_ORIGIN_POLICY) ?? (streamedBody ? unprovenOrigin(request) : null);
      if (refusal) throw new HttpError(403, refusal);
      if (streamedBody) return await handler(request, context);
      return await handler(withJsonErrors(await withCheckedBody(request)), context);
    } catch (error) {
      return toErrorResponse((await celeriac.schema.explain(error).catch(() => undefined)) ?? error);
    }
  };
}
