/**
 * What the web server does once, at start (instrumentation.ts's register(), Node.js runtime only):
 *
 *   1. Checks the environment (lib/env.ts): in production a missing or weak SECRET_KEY stops the server
 *      here, with the one message saying how to make one, instead of at the first login. A SQLite file
 *      that cannot be opened (lib/db.ts, loaded with lib/celery.ts) stops it the same way: exit 78.
 *   2. Checks the database's schema (lib/schema-gate.ts): while it is not migrated for this build, every
 *      request is a 503 naming `npm run db:deploy`, pages included, and it is checked again every
 *      SCHEMA_RECHECK_MS until it is (no restart needed).
 *   3. Answers what Next would take too long over, or answer with a 500, before the app or proxy.ts could
 *      say a word. There is no Next hook before that point, so this wraps the HTTP server's "request"
 *      event; every other request goes to Next untouched (its body, if any, in its buffer). In order:
 *      - A body over its route's limit (lib/api-routes.ts's BODY_LIMITS): 413 and the connection closed,
 *        before Next reads it (lib/body-limit.ts says why Next cannot). A declared Content-Length over it
 *        is refused before a byte of the body is read; a chunked body is counted as it arrives. A body the
 *        route streams (STREAMED_BODIES: the upload demo's file) is not held: only its declared length is checked.
 *      - TRACE: 405 with an Allow header. Next turns every request into a fetch Request, and fetch forbids
 *        TRACE ("'TRACE' HTTP method is unsupported"), so neither proxy.ts nor a route handler can answer
 *        it: Next would answer 500 for every /api path. CONNECT never becomes a "request": Node closes the
 *        connection itself when no one listens for it.
 *      - An RSC request (`RSC: 1`, the client router's navigations) whose `Next-Router-State-Tree` header
 *        Next cannot read: 400. Next parses that header while it renders a page and answers a plain 500
 *        when it fails ("The router state header was sent but could not be parsed"), on every page and on
 *        a path that renders not-found. proxy.ts never sees the header: Next takes its flight headers (RSC,
 *        the router state, the prefetch ones) off the request before the proxy runs and puts them back
 *        after, as "not overridable / removable". The check is Next's own parser on the header as Next
 *        reads it (Node's, repeated lines joined), so exactly what Next would fail on is refused. The client
 *        router only sends a tree Next gave it, so only a forged request is refused, and a navigation
 *        answered with a 400 loads the page in full instead (Next's MPA fallback).
 *      - While the database is not migrated: 503, NOT_MIGRATED_MESSAGE, with Retry-After.
 *      Before any of these, every request gets the socket's remote address in CLIENT_ADDRESS_HEADER
 *      (lib/client-address.ts), replacing whatever the client sent under that name: a route handler's fetch
 *      Request has no socket, and the login limits count per client IP.
 */
import { Server, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { NEXT_ROUTER_STATE_TREE_HEADER, RSC_HEADER } from "next/dist/client/components/app-router-headers";
import { parseAndValidateFlightRouterState } from "next/dist/server/app-render/parse-and-validate-flight-router-state";
import { allowedMethods, apiRouteOf, bodyLimitOf, STREAMED_BODIES, streamedBodyOf } from "@/lib/api-routes";
import { announcesBody, closeAfterAnswer, declaresMoreThan, receiveWithin } from "@/lib/body-limit";
import { exitOnStartupError, type SchemaMonitor } from "celeriac";
import { CLIENT_ADDRESS_HEADER } from "@/lib/client-address";
import { answerEarly, requestPath } from "@/lib/early-answer";
import { bodyTooLargeMessage } from "@/lib/request-limits";
import { NOT_MIGRATED_MESSAGE, SchemaGate, type GateLog } from "@/lib/schema-gate";

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

/** Methods a fetch Request cannot carry (the fetch standard's forbidden methods that Node's parser accepts). */
const FETCH_FORBIDDEN = new Set(["TRACE"]);

/** The answer to a request Next cannot take: 405, with the methods the path does answer. */
export function refuseMethod(request: IncomingMessage, response: ServerResponse): void {
  const pathname = requestPath(request);
  const route = pathname.startsWith("/api/") ? apiRouteOf(pathname) : undefined;
  const allow = route ? allowedMethods(route).join(", ") : "GET, HEAD";
  answerEarly(request, response, 405, `${request.method} is not supported: ${route ?? "this path"} answers ${allow}`, { Allow: allow });
}

/**
 * Whether Next can read the router state a request carries, asked of Next's parser (its size limit,
 * percent-decoding, JSON, the tree's shape). Next reads it on RSC requests only (`RSC: 1` exactly; with PPR
 * on, not on prefetches, which refusing as well costs nothing: the client never sends a broken tree).
 */
export function readableRouterState(headers: IncomingHttpHeaders): boolean {
  if (headers[RSC_HEADER] !== "1") return true;
  try {
    parseAndValidateFlightRouterState(headers[NEXT_ROUTER_STATE_TREE_HEADER]);
    return true;
  } catch {
    return false;
  }
}

/** The answer to a router state Next cannot read: 400, JSON under /api (as every /api answer), plain text elsewhere. */
export function refuseRouterState(request: IncomingMessage, response: ServerResponse): void {
  const message = `malformed ${NEXT_ROUTER_STATE_TREE_HEADER} header`;
  console.warn(`refused ${request.method} ${requestPath(request).slice(0, 200)}: ${message} (400)`);
  answerEarly(request, response, 400, message);
}

/** How often a database that is not migrated is checked again while requests are answered 503. */
export const SCHEMA_RECHECK_MS = 5000;

let schemaGate: SchemaGate | undefined;

/**
 * Answers every request with a 503 from now on while `schema` finds the database not migrated
 * (lib/schema-gate.ts), its full message in `log`; returns the gate, to run its first check().
 */
export function watchSchema(schema: Pick<SchemaMonitor, "assertReady">, log: GateLog, { recheckMs = SCHEMA_RECHECK_MS, logIntervalMs = 60_000 } = {}): SchemaGate {
  schemaGate?.stop();
  schemaGate = new SchemaGate({ check: () => schema.assertReady(), recheckMs, logIntervalMs, log });
  return schemaGate;
}

function refuseUnmigrated(request: IncomingMessage, response: ServerResponse): void {
  answerEarly(request, response, 503, NOT_MIGRATED_MESSAGE, { "Retry-After": String(Math.ceil(schemaGate!.recheckMs / 1000)) });
}

/** 413, then the connection closed: the rest of the body is never read. */
function refuseBody(request: IncomingMessage, response: ServerResponse, limit: number, message = bodyTooLargeMessage(limit)): void {
  closeAfterAnswer(response);
  answerEarly(request, response, 413, message);
}

/**
 * Calls `next` once the request's body (if any) has all arrived within its route's limit; refuses it otherwise.
 * A body its handler streams (lib/api-routes.ts's STREAMED_BODIES: an upload) goes on at once, unread; only a
 * declared Content-Length over its limit is refused here, and the handler counts the rest.
 */
function afterBody(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  const streamed = streamedBodyOf(request.method ?? "", requestPath(request));
  if (streamed) return declaresMoreThan(request, streamed.limit) ? refuseBody(request, response, streamed.limit, streamed.tooLarge) : next();
  const limit = bodyLimitOf(request.method ?? "", requestPath(request));
  if (declaresMoreThan(request, limit)) return refuseBody(request, response, limit);
  if (!announcesBody(request)) return next();
  void receiveWithin(request, limit).then((outcome) => {
    if (outcome === "complete") next();
    else if (outcome === "too large") refuseBody(request, response, limit);
  });
}

/**
 * Whether `request` is for a route proxy.ts never sees (its matcher leaves out STREAMED_BODIES' routes) with a
 * method that route does not answer: the 405 with Allow the proxy gives every other route is answered here.
 */
function methodOutsideProxy(request: IncomingMessage): boolean {
  const route = apiRouteOf(requestPath(request));
  return route !== undefined && Object.hasOwn(STREAMED_BODIES, route) && !allowedMethods(route).includes(request.method ?? "");
}

/** What answers `request` here instead of Next once its body is in (see the module comment), or undefined: Next's to answer. */
function answerBeforeNext(request: IncomingMessage): Answer | undefined {
  if (FETCH_FORBIDDEN.has(request.method ?? "") || methodOutsideProxy(request)) return refuseMethod;
  if (!readableRouterState(request.headers)) return refuseRouterState;
  if (schemaGate?.closed) return refuseUnmigrated;
  return undefined;
}

/** Writes the socket's remote address into CLIENT_ADDRESS_HEADER, over any value the client sent (lib/client-address.ts). */
export function stampClientAddress(request: IncomingMessage): void {
  const address = request.socket?.remoteAddress;
  if (address) request.headers[CLIENT_ADDRESS_HEADER] = address;
  else delete request.headers[CLIENT_ADDRESS_HEADER];
}

let installed = false;

/**
 * Makes every HTTP server in this process answer what Next cannot take itself (a body over its limit,
 * TRACE, an unreadable router state, anything while the database is not migrated), and hand everything
 * else to its "request" listeners once the body has arrived.
 */
export function refuseWhatNextCannotTake(): void {
  if (installed) return;
  installed = true;
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, ...args: Parameters<Server["emit"]>) {
    const [event, request, response] = args as unknown[];
    if (event !== "request") return emit.apply(this, args);
    stampClientAddress(request as IncomingMessage);
    afterBody(request as IncomingMessage, response as ServerResponse, () => {
      const answer = answerBeforeNext(request as IncomingMessage);
      if (answer) answer(request as IncomingMessage, response as ServerResponse);
      else emit.apply(this, args);
    });
    return true;
  } as Server["emit"];
}

/** How long the server's start waits for the first schema check: a database that does not answer must not hold it. */
const FIRST_CHECK_WAIT_MS = 3000;

/** The web server's start: a wrong environment stops it with the message and exit 78, as the worker and beat. */
export async function bootServer(): Promise<void> {
  let app;
  try {
    await import("@/lib/env");
    app = (await import("@/lib/celery")).celeriac;
  } catch (error) {
    return exitOnStartupError(error, "celeriac web");
  }
  const gate = watchSchema(app.schema, app.log, { logIntervalMs: app.config.schemaReportIntervalMs });
  await Promise.race([gate.check(), new Promise((resolve) => setTimeout(resolve, FIRST_CHECK_WAIT_MS).unref())]);
  refuseWhatNextCannotTake();
}
