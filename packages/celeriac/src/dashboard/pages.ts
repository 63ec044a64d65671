/**
 * The dashboard's pages: one HTML shell for every client route (the prebuilt client, assets.generated.ts,
 * renders the page in it and reads its paths and the actor from its data attributes), and the client's
 * script and stylesheet at versioned URLs, cached for a year.
 *
 * The shell's script and stylesheet carry a CSP nonce. When the request already carries a
 * Content-Security-Policy header with a nonce (a proxy in front made one and answers with that policy,
 * as the demo's proxy.ts does and Next reads it), that nonce is used and no policy is added; otherwise the
 * shell makes its own nonce and answers with a strict policy of its own (pageCsp).
 */
import { randomBytes } from "node:crypto";
import { ASSET_VERSION, DASHBOARD_CSS, DASHBOARD_JS } from "./assets.generated.js";

/** The client's routes (its app.tsx), relative to pagesPath; `:x` is one segment. Anything else: the shell with 404. */
const PAGE_ROUTES = ["", "tasks", "tasks/:id", "workers", "queues", "periodic-tasks", "periodic-tasks/new", "periodic-tasks/:id", "audit"] as const;

/** The headers of every page answer, whoever makes the policy. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  // The shell names the signed-in actor: never stored by a shared cache.
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
};

/** A strict policy for a page whose nonce is `nonce`: scripts only with it (and what they load), styles from here or with it. */
export function pageCsp(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The nonce of a Content-Security-Policy header (its script-src's, or the first one), or null. */
export function nonceOf(policy: string | null): string | null {
  if (policy === null) return null;
  const scripts = policy.split(";").find((directive) => directive.trim().startsWith("script-src"));
  const match = /'nonce-([A-Za-z0-9+/_=-]+)'/.exec(scripts ?? policy);
  return match ? match[1] : null;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

export interface ShellOptions {
  pagesPath: string;
  apiPath: string;
  actor: string;
  nonce: string;
}

/** The page every client route is served as. */
export function shellHtml({ pagesPath, apiPath, actor, nonce }: ShellOptions): string {
  const [js, css] = [assetPath(pagesPath, "js"), assetPath(pagesPath, "css")];
  const n = escapeHtml(nonce);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>celeriac dashboard</title>
    <link rel="stylesheet" href="${escapeHtml(css)}" nonce="${n}">
    <script src="${escapeHtml(js)}" nonce="${n}" defer></script>
  </head>
  <body>
    <div id="celeriac-dashboard" data-pages-path="${escapeHtml(pagesPath)}" data-api-path="${escapeHtml(apiPath)}" data-actor="${escapeHtml(actor)}"></div>
  </body>
</html>
`;
}

/** `${pagesPath}/assets/dashboard.<version>.<ext>`. */
function assetPath(pagesPath: string, ext: "js" | "css"): string {
  return `${pagesPath}/assets/dashboard.${ASSET_VERSION}.${ext}`;
}

/** Whether `path` (below pagesPath, no leading or trailing slash) is one of the client's routes. */
export function isPageRoute(path: string): boolean {
  const segments = path.split("/");
  return PAGE_ROUTES.some((route) => {
    const parts = route.split("/");
    return parts.length === segments.length && parts.every((part, i) => part === segments[i] || (part.startsWith(":") && segments[i] !== ""));
  });
}

/** The shell as an answer: with the request's nonce, or one of its own and its own policy. */
export function shellResponse(request: Request, options: Omit<ShellOptions, "nonce">, status = 200): Response {
  const given = nonceOf(request.headers.get("content-security-policy"));
  const nonce = given ?? randomBytes(16).toString("base64");
  const headers = { ...PAGE_HEADERS, ...(given === null && { "content-security-policy": pageCsp(nonce) }) };
  return new Response(request.method === "HEAD" ? null : shellHtml({ ...options, nonce }), { status, headers });
}

/** A short page of its own (403 "staff only", 404 for an asset): no script, nothing to allow. */
export function plainPage(status: number, title: string, text: string): Response {
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`;
  return new Response(html, { status, headers: { ...PAGE_HEADERS, "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'" } });
}

const ASSETS = {
  js: { body: DASHBOARD_JS, type: "text/javascript; charset=utf-8" },
  css: { body: DASHBOARD_CSS, type: "text/css; charset=utf-8" },
} as const;

/** An asset by its name below `assets/` ("dashboard.<version>.js"), or null when there is none of that name (another version). */
export function assetResponse(name: string, method: string): Response | null {
  const match = /^dashboard\.([0-9a-f]+)\.(js|css)$/.exec(name);
  if (!match || match[1] !== ASSET_VERSION) return null;
  const asset = ASSETS[match[2] as "js" | "css"];
  return new Response(method === "HEAD" ? null : asset.body, {
    headers: { "content-type": asset.type, "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" },
  });
}
