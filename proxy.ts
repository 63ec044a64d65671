/**
 * Next.js proxy (formerly middleware): runs before routing, for every path but Next's static files.
 *
 *   1. A path whose percent-encoding is malformed (`%ZZ`, a lone `%`, `%C0%AF`) is a 400: JSON under /api,
 *      plain text elsewhere. Left to Next, decoding a dynamic segment fails before the route or page runs,
 *      and it answers a plain-text 500 without logging anything.
 *   2. Under /api, a method the route does not export is a 405 with an Allow header naming the ones it
 *      does (lib/api-routes.ts), and a path no route serves a JSON 404. Next answers 405 without Allow,
 *      400 for methods it does not know (PROPFIND…), and an HTML 404. Pages answer GET and HEAD only, 405
 *      otherwise (Next renders a page for a POST, as a server action; this app has none, and one would
 *      need POST let through here). TRACE never gets here: Next cannot make a Request of it (fetch
 *      forbids the method), so lib/server-boot.ts answers it before Next.
 *   3. Security headers (lib/security-headers.ts): a page gets a Content-Security-Policy with a fresh
 *      nonce, also set on the request, where Next reads it and puts it on its own inline scripts (every
 *      page is rendered per request for that: app/layout.tsx); an API answer gets the API's policy.
 *      The headers that never change come from next.config.ts, for static files too.
 *
 * Next buffers a request body while the proxy runs: next.config.ts bounds that buffer, and route()
 * (lib/http.ts) still enforces each route's limit.
 */
import { NextResponse, type NextRequest } from "next/server";
import { allowedMethods, apiRouteOf } from "@/lib/api-routes";
import { API_CSP, makeNonce, pageCsp, STATIC_SECURITY_HEADERS } from "@/lib/security-headers";

// Next inlines NODE_ENV when it builds the proxy: `next dev` relaxes the page policy (lib/security-headers.ts).
const DEV = process.env.NODE_ENV === "development";

/** Over HTTPS (as the request came, X-Forwarded-Proto included): never plain HTTP for this host again. */
function hsts(https: boolean): Record<string, string> {
  return https ? { "Strict-Transport-Security": "max-age=31536000" } : {};
}

function wellEncoded(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/** The proxy's own answer: JSON `{ error }` under /api, plain text elsewhere, with every security header. */
function refuse(status: 400 | 404 | 405, message: string, api: boolean, headers: Record<string, string> = {}): NextResponse {
  const all = { ...STATIC_SECURITY_HEADERS, "Content-Security-Policy": API_CSP, ...headers };
  return api ? NextResponse.json({ error: message }, { status, headers: all }) : new NextResponse(`${message}\n`, { status, headers: { ...all, "Content-Type": "text/plain; charset=utf-8" } });
}

const PAGE_METHODS = ["GET", "HEAD"];

export function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  // Next's own endpoints (the dev server's among them): not the app's to police.
  if (pathname.startsWith("/_next/") || pathname.startsWith("/__nextjs")) return NextResponse.next();
  const api = pathname === "/api" || pathname.startsWith("/api/");
  const https = request.nextUrl.protocol === "https:";
  if (!wellEncoded(pathname)) {
    console.warn(`refused ${request.method} ${pathname.slice(0, 200)}: malformed percent-encoding (400)`);
    return refuse(400, "malformed percent-encoding in the URL path", api, hsts(https));
  }

  if (api) {
    const route = apiRouteOf(pathname);
    if (!route) return refuse(404, "no such API route", true, hsts(https));
    const allow = allowedMethods(route);
    if (!allow.includes(request.method)) return refuse(405, `${request.method} is not allowed here: ${route} answers ${allow.join(", ")}`, true, { ...hsts(https), Allow: allow.join(", ") });
    return NextResponse.next({ headers: { ...hsts(https), "Content-Security-Policy": API_CSP } });
  }
  if (!PAGE_METHODS.includes(request.method)) return refuse(405, `${request.method} is not allowed on a page: pages answer ${PAGE_METHODS.join(", ")}`, false, { ...hsts(https), Allow: PAGE_METHODS.join(", ") });

  const csp = pageCsp({ nonce: makeNonce(), dev: DEV, https, mailPreview: pathname === "/dev/mailbox" || pathname.startsWith("/dev/mailbox/") });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(hsts(https))) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but the build's static files and the favicon (no policy to add, nothing to refuse), and the
  // routes whose handler streams the body (lib/api-routes.ts's STREAMED_BODIES: the upload, up to 50 MB):
  // for a route the proxy runs on, Next keeps the whole body in memory and cuts it at
  // proxyClientMaxBodySize. For those, lib/server-boot.ts answers the 405s and next.config.ts adds API_CSP.
  // A literal: Next reads the matcher from the source when it builds.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/uploads$).*)"],
};
