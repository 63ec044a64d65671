/**
 * The log levels (pino's) and formats, one definition: settings.logLevel, the worker's and beat's
 * --loglevel and an app's own environment check (the demo's CELERIAC_LOG_LEVEL) all read them here. A leaf
 * module (imports nothing), re-exported by celeriac/states so an app's env module need not load the
 * framework.
 */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
