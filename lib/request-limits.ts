/**
 * How much a request may send: the default body limit and the ceiling of a route's own (the routes' limits
 * are in lib/api-routes.ts's BODY_LIMITS), which lib/server-boot.ts enforces before Next and route()
 * (lib/http.ts) while it reads, and from which next.config.ts sizes Next's own proxy buffer. No imports,
 * so next.config.ts can import this module without loading the app.
 */

/** The body size a request may send unless its route's BODY_LIMITS entry says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** The largest limit a route may have (lib/api-routes.test.ts holds BODY_LIMITS to it). */
export const LARGEST_MAX_BODY_BYTES = 256 * 1024;

/**
 * What Next buffers of a request body while proxy.ts runs (experimental.proxyClientMaxBodySize; Next's
 * default is 10 MB). Next keeps the first this-many bytes and silently drops the rest; no body that large
 * reaches Next (lib/server-boot.ts refuses it first), and one that did anyway (a server started without
 * instrumentation.ts) would still be more than its limit once cut, so route() refuses it: one socket read
 * (64 KiB) past the largest limit.
 */
export const PROXY_BODY_BUFFER_BYTES = LARGEST_MAX_BODY_BYTES + 64 * 1024;

/** The 413's message, the same wherever the body is refused. */
export function bodyTooLargeMessage(limit: number): string {
  return `request body too large: at most ${limit} bytes (${limit / 1024} KiB) here`;
}

/** The largest CSV file the upload demo takes (POST /api/uploads): 50 MB. */
export const UPLOAD_MAX_BYTES = 50 * 1024 * 1024;

/** What POST /api/uploads's request may be: the file and the multipart envelope around it (boundaries, part headers). */
export const UPLOAD_REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + 64 * 1024;

/** The 413 a file over UPLOAD_MAX_BYTES gets, wherever it is refused (its declared length before Next, or counted while it streams). */
export const UPLOAD_TOO_LARGE_MESSAGE = `file too large: at most ${UPLOAD_MAX_BYTES / (1024 * 1024)} MB (${UPLOAD_MAX_BYTES} bytes)`;
