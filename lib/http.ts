/**
 * Route handler plumbing (after cal.com's defaultResponderForAppDir): `route(handler)` wraps an App Router
 * handler so that every thrown error becomes a JSON answer `{ error: message }` with the right status.
 * Errors are classified by class, never by message text:
 *
 *   HttpError          its own status; a malformed JSON body is one: 400 "request body must be JSON"
 *                      (from `readJson`/`parseBody`, and from `request.json()` inside a wrapped handler)
 *   ZodError           400, the message lists each bad field ("x: expected number, received string");
 *                      `fields` maps each bad field to its first message, for forms that show them inline
 *   DispatchError      400, its message (`.delay()` refused the arguments; nothing was enqueued)
 *   ConfigError        400, its message (e.g. a periodic task the admin sent is invalid: names the field)
 *   BrokerUnavailableError  503 (Redis did not answer; nothing was enqueued), logged
 *   anything else      500 "internal error"; the error itself is logged, never sent to the client
 */
import { z } from "zod";
import { BrokerUnavailableError, ConfigError, DispatchError } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";

/** An error with an HTTP status: throw it from a handler to answer `{ error: message }` with that status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** `{ error: message }` with a status. */
export function errorResponse(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
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

/** The request's JSON body; an empty or malformed body is a 400 "request body must be JSON". */
export async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch (error) {
    // Only a parse failure is the client's fault; a body read twice (TypeError) is a bug here: a 500.
    if (error instanceof SyntaxError) throw new HttpError(400, "request body must be JSON");
    throw error;
  }
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

/** The error → response mapping `route()` applies; exported for tests. */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) return errorResponse(error.status, error.message);
  // z.core.$ZodError matches the errors of every zod flavour (classic ZodError and zod/mini alike).
  if (error instanceof z.core.$ZodError) {
    return Response.json({ error: `invalid request: ${formatZodError(error)}`, fields: zodFieldErrors(error) }, { status: 400 });
  }
  if (error instanceof DispatchError || error instanceof ConfigError) return errorResponse(400, error.message);
  if (error instanceof BrokerUnavailableError) {
    celeriac.log.error({ err: error }, "task queue unavailable");
    return errorResponse(503, "the task queue is unavailable; try again shortly");
  }
  celeriac.log.error({ err: error }, "unhandled error in a route handler");
  return errorResponse(500, "internal error");
}

/**
 * Wraps a route handler: `export const POST = route(async (request) => Response.json(…))`. The context
 * (`{ params: Promise<…> }` for dynamic segments) is passed through unchanged.
 */
export function route<C = unknown>(
  handler: (request: Request, context: C) => Response | Promise<Response>,
): (request: Request, context: C) => Promise<Response> {
  return async (request, context) => {
    try {
      return await handler(withJsonErrors(request), context);
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}
