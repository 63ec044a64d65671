/**
 * What the web server does once, at start (instrumentation.ts's register(), Node.js runtime only):
 *
 *   1. Checks the environment (lib/env.ts): in production a missing or weak SECRET_KEY stops the server
 *      here, with the one message saying how to make one, instead of at the first login.
 *   2. Answers what Next would answer with a 500 before the app or proxy.ts could say a word. There is no
 *      Next hook before that point, so this wraps the HTTP server's "request" event; every other request
 *      goes to Next untouched.
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
 */
import { Server, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { NEXT_ROUTER_STATE_TREE_HEADER, RSC_HEADER } from "next/dist/client/components/app-router-headers";
import { parseAndValidateFlightRouterState } from "next/dist/server/app-render/parse-and-validate-flight-router-state";
import { allowedMethods, apiRouteOf } from "@/lib/api-routes";
import { EX_CONFIG } from "@/lib/celeriac";
import { API_CSP, STATIC_SECURITY_HEADERS } from "@/lib/security-headers";

/** Methods a fetch Request cannot carry (the fetch standard's forbidden methods that Node's parser accepts). */
const FETCH_FORBIDDEN = new Set(["TRACE"]);

/** The answer to a request Next cannot take: 405, with the methods the path does answer. */
export function refuseMethod(request: IncomingMessage, response: ServerResponse): void {
  const pathname = (request.url ?? "/").split("?")[0];
  const route = pathname.startsWith("/api/") ? apiRouteOf(pathname) : undefined;
  const allow = route ? allowedMethods(route).join(", ") : "GET, HEAD";
  const body = `${JSON.stringify({ error: `${request.method} is not supported: ${route ?? "this path"} answers ${allow}` })}\n`;
  response.writeHead(405, {
    ...STATIC_SECURITY_HEADERS,
    "Content-Security-Policy": API_CSP,
    Allow: allow,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
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
  const pathname = (request.url ?? "/").split("?")[0];
  const message = `malformed ${NEXT_ROUTER_STATE_TREE_HEADER} header`;
  console.warn(`refused ${request.method} ${pathname.slice(0, 200)}: ${message} (400)`);
  const api = pathname === "/api" || pathname.startsWith("/api/");
  const body = api ? `${JSON.stringify({ error: message })}\n` : `${message}\n`;
  response.writeHead(400, {
    ...STATIC_SECURITY_HEADERS,
    "Content-Security-Policy": API_CSP,
    "Content-Type": api ? "application/json" : "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}

/** What answers `request` here instead of Next (see the module comment), or undefined: Next's to answer. */
function answerBeforeNext(request: IncomingMessage): ((request: IncomingMessage, response: ServerResponse) => void) | undefined {
  if (FETCH_FORBIDDEN.has(request.method ?? "")) return refuseMethod;
  if (!readableRouterState(request.headers)) return refuseRouterState;
  return undefined;
}

let installed = false;

/** Makes every HTTP server in this process answer what Next cannot take (TRACE, an unreadable router state) itself. */
export function refuseWhatNextCannotTake(): void {
  if (installed) return;
  installed = true;
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, ...args: Parameters<Server["emit"]>) {
    const [event, request, response] = args as unknown[];
    const answer = event === "request" ? answerBeforeNext(request as IncomingMessage) : undefined;
    if (answer) {
      answer(request as IncomingMessage, response as ServerResponse);
      return true;
    }
    return emit.apply(this, args);
  } as Server["emit"];
}

/** The web server's start: a wrong environment stops it with the message and exit 78, as the worker and beat. */
export async function bootServer(): Promise<void> {
  try {
    await import("@/lib/env");
  } catch (error) {
    console.error(`celeriac web: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(EX_CONFIG);
  }
  refuseWhatNextCannotTake();
}
