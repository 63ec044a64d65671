/**
 * The app's environment, validated once (create-t3-app's env.js): the only reader of process.env.
 * A bad value stops start-up with a message naming the variable.
 */
import { resolve } from "node:path";
import { z } from "zod";

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((v) => v === "1" || v === "true");

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, "use file:./dev.db (SQLite) or postgresql://user@host:5432/db")
    .default("file:./dev.db"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
  CELERIAC_KEY_PREFIX: z.string().default("celeriac"),
  CELERIAC_ALWAYS_EAGER: flag,
  CELERIAC_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  CELERIAC_LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  CELERIAC_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** Celery's timezone setting: crontab schedules without their own zone run in it. */
  CELERIAC_TIMEZONE: z.string().default("UTC"),
  /**
   * Celery's task_annotations as JSON, name or glob → task options, e.g.
   * `{"emails.*":{"rateLimit":"10/s"}}`; the options themselves are checked by createCeleriac().
   */
  CELERIAC_TASK_ANNOTATIONS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, Record<string, unknown>>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: "custom", message: 'a JSON object, e.g. {"emails.*":{"rateLimit":"10/s"}}' });
      return z.NEVER;
    }),
  /** Serve the development inbox (/dev/mailbox) in production mode too (the e2e tests run `next start`). */
  CELERIAC_DEV_INBOX: flag,
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Signs password-reset links. Required in production; a fixed development value otherwise. */
  SECRET_KEY: z.string().min(16, "SECRET_KEY must be at least 16 characters").optional(),
  /** Where outgoing mail goes: smtp://user:pass@host:port or smtps://…; default: the dev inbox (npm run dev). */
  EMAIL_URL: z.url({ protocol: /^smtps?$/ }).default("smtp://127.0.0.1:2525"),
  EMAIL_FROM: z.string().default("celeriac demo <no-reply@celeriac.localhost>"),
  /** The app's public address, for links in mail. */
  APP_URL: z.url().default("http://127.0.0.1:3000"),
});

function load() {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  // A relative SQLite path resolves against the process's cwd; pin it to the project root so the web
  // server, the worker and the CLI all open the same file.
  if (env.DATABASE_URL.startsWith("file:") && !env.DATABASE_URL.startsWith("file:/")) {
    env.DATABASE_URL = `file:${resolve(/* turbopackIgnore: true */ process.cwd(), env.DATABASE_URL.slice("file:".length))}`;
  }
  return Object.freeze(env);
}

export const env = load();

/**
 * The key that signs password-reset links. Read when a link is made or checked, not at import, so a
 * production build needs no secret; a production server without SECRET_KEY refuses to sign anything.
 */
export function secretKey(): string {
  if (env.SECRET_KEY) return env.SECRET_KEY;
  if (env.NODE_ENV === "production") throw new Error("SECRET_KEY is not set: it is required in production (16+ characters)");
  return "development-only-secret-key-change-me";
}
