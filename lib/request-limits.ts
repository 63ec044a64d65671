/**
 * How much a request may send, in one place: route() (lib/http.ts) enforces the body limits while it reads,
 * and next.config.ts sizes Next's own proxy buffer from them. Constants only, so next.config.ts can import
 * this module without loading the app.
 */

/** The body size a route accepts unless it asks for another (`route(handler, { maxBodyBytes })`). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** The largest `maxBodyBytes` a route may ask for (route() refuses a larger one when it is defined). */
export const LARGEST_MAX_BODY_BYTES = 256 * 1024;

/**
 * What Next buffers of a request body while proxy.ts runs (experimental.proxyClientMaxBodySize; Next's
 * default is 10 MB). Next keeps the first this-many bytes and silently drops the rest, so route() must
 * still see more than its limit of a body that was cut: one socket read (64 KiB) past the largest limit.
 */
export const PROXY_BODY_BUFFER_BYTES = LARGEST_MAX_BODY_BYTES + 64 * 1024;
