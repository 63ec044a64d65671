/**
 * celeriac/web: the web-request helpers the dashboard's server is built on, for an app's own route
 * handlers too: the cross-site rule for writes (origin.ts), server-sent events (sse.ts), and a request body
 * read within a size limit (body.ts). Fetch API only (Request, Response, ReadableStream), and light: it
 * loads neither the dashboard nor the rest of the framework (celeriac/errors only), so a route importing it
 * bundles little.
 */
export { CROSS_SITE_MESSAGE, crossSiteRefusal, normalizeOrigins, requestCrossSiteRefusal, type OriginPolicy, type RequestOrigin } from "./origin.js";
export { eventStream, eventStreamOf, KEEP_ALIVE_MS, SSE_HEADERS, sseEvent, type EventStream, type EventStreamOptions, type IterableStreamOptions, type SseEvent } from "./sse.js";
export { isJsonContentType, notJsonMessage, readBodyAtMost } from "./body.js";
