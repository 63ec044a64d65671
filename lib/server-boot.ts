/**
 * What the web server does once, at start (instrumentation.ts's register(), Node.js runtime only):
 *
 *   1. Checks the environment (lib/env.ts): in production a missing or weak SECRET_KEY stops the server
 *      here, with the one message saying how to make one, instead of at the first login.
 *   2. Answers TRACE itself, before Next sees the request: 405 with an Allow header. Next turns every
 *      request into a fetch Request, and fetch forbids TRACE ("'TRACE' HTTP method is unsupported"), so
 *      neither proxy.ts nor a route handler can answer it: Next would answer 500 for every /api path.
 *      There is no Next hook before that point, so this wraps the HTTP server's "request" event (for
 *      TRACE only; every other request goes to Next untouched). CONNECT never becomes a "request": Node
 *      closes the connection itself when no one listens for it.
 */
import { Server, type IncomingMessage, type ServerResponse } from "node:http";
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

let installed = false;

/** Makes every HTTP server in this process answer TRACE with refuseMethod() instead of passing it on. */
export function refuseFetchForbiddenMethods(): void {
  if (installed) return;
  installed = true;
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, ...args: Parameters<Server["emit"]>) {
    const [event, request, response] = args as unknown[];
    if (event === "request" && FETCH_FORBIDDEN.has((request as IncomingMessage).method ?? "")) {
      refuseMethod(request as IncomingMessage, response as ServerResponse);
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
  refuseFetchForbiddenMethods();
}
