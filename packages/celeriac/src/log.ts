/**
 * The framework's logger: pino. JSON lines by default (for log collectors); "pretty" prints one readable
 * line per event, which the dev command turns on.
 */
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./config.js";

export type { Logger };

export function createLogger(level: LogLevel, format: LogFormat, bindings: Record<string, unknown> = {}): Logger {
  const options = { level, base: bindings, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === "json") return pino(options);
  return pino(options, pretty({ sync: true, singleLine: true, ignore: "pid,hostname,app", translateTime: "SYS:HH:MM:ss.l" }));
}
