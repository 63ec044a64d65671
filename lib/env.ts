/**
 * The app's environment, validated once (create-t3-app's env.js): the only reader of process.env.
 * A bad value stops start-up with a message naming the variable.
 *
 * SECRET_KEY signs sessions and password-reset links. In production (NODE_ENV=production, which `next
 * start` sets; set it for the worker too) it must be set and strong, or every process that loads this
 * module (web, worker, beat, CLI) refuses to start: the web server at boot (instrumentation.ts), the others
 * at import. `next build` runs with NODE_ENV=production too, but needs no secret (NEXT_PHASE says it is
 * building). Development and tests run without one, on a fixed development key.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { isPostgresUrl, isSqliteUrl, LOG_FORMATS, LOG_LEVELS, redisUrlProblem } from "celeriac/states";
import { ConfigError } from "celeriac/errors";

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((v) => v === "1" || v === "true");

const schema = z.object({
  DATABASE_URL: z
    .string()
    .refine((url) => isSqliteUrl(url) || isPostgresUrl(url), "use file:./dev.db (SQLite) or postgresql://user@host:5432/db")
    .default("file:./dev.db"),
  /** One server, a Cluster (several hosts) or a Sentinel master (redis+sentinel://…/name): see redis-url.ts in the package. */
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      const problem = redisUrlProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("redis://127.0.0.1:6379"),
  CELERIAC_KEY_PREFIX: z.string().default("celeriac"),
  /** celeriac's redisKeyLayout: "per-queue" (a hash tag per queue, so a Cluster spreads them), or 0.2's "one-slot". */
  CELERIAC_REDIS_KEY_LAYOUT: z.enum(["per-queue", "one-slot"]).default("per-queue"),
  /** celeriac's redisWaitReplicas: replicas every send waits for (Redis WAIT) — 1 with Sentinel, so a fail-over loses no send. */
  CELERIAC_REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  CELERIAC_ALWAYS_EAGER: flag,
  CELERIAC_LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  CELERIAC_LOG_FORMAT: z.enum(LOG_FORMATS).default("json"),
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
  /**
   * Where the upload demo (/uploads) keeps the uploaded CSV files, one `<upload id>.csv` each; a relative
   * path is under the project root. Created on the first upload. The web server writes it, the worker reads
   * it: both must see the same folder.
   */
  UPLOAD_DIR: z.string().trim().min(1).default("./uploads"),
  /**
   * From how many bytes an upload is summarised in parts, in parallel, instead of by one task (tasks/uploads.ts:
   * a chord of processUploadPart, one per UPLOAD_FAN_OUT_PARTS-th of the file, merged by finishUpload).
   */
  UPLOAD_FAN_OUT_BYTES: z.coerce.number().int().positive().default(32 * 1024 * 1024),
  /** Serve the development inbox (/dev/mailbox) in production mode too (the e2e tests run `next start`). */
  CELERIAC_DEV_INBOX: flag,
  /**
   * Let the page demo (/pages) fetch loopback and private addresses (lib/ssrf-guard.ts), which it refuses
   * by default: a URL a visitor typed must not reach the worker's own network. `npm run dev` and the tests
   * turn it on to fetch the app's own sample page. Read by the web server (the route's early check) and the worker.
   */
  PAGES_ALLOW_PRIVATE_HOSTS: flag,
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Signs sessions and password-reset links. Required in production (secretKeyProblem); a fixed development value otherwise. */
  SECRET_KEY: z.string().optional(),
  /** Where outgoing mail goes: smtp://user:pass@host:port or smtps://…; default: the dev inbox (npm run dev). */
  EMAIL_URL: z.url({ protocol: /^smtps?$/ }).default("smtp://127.0.0.1:2525"),
  EMAIL_FROM: z.string().default("celeriac demo <no-reply@celeriac.localhost>"),
  /** The app's public address, for links in mail; its origin is the one cross-site checks always trust (lib/csrf.ts). */
  APP_URL: z.url().default("http://127.0.0.1:3000"),
  /**
   * Login attempt limits (lib/login-limit.ts), counted in Redis over a fixed window of LOGIN_LIMIT_WINDOW_SECONDS:
   * failed logins per email address (LOGIN_ADDRESS_LIMIT; a success resets it) and login attempts per client
   * IP (LOGIN_IP_LIMIT, successes included). The next attempt past either is a 429 with Retry-After.
   */
  LOGIN_ADDRESS_LIMIT: z.coerce.number().int().positive().default(5),
  LOGIN_IP_LIMIT: z.coerce.number().int().positive().default(20),
  LOGIN_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  /**
   * How many reverse proxies stand in front of the app (Express's "trust proxy" hop count): 0 (the default)
   * ignores X-Forwarded-For and takes the client IP from the socket; n takes the n-th X-Forwarded-For entry
   * from the right, the one the outermost trusted proxy wrote. `true` is 1, `false` is 0.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .toLowerCase()
    .default("0")
    .transform((text, ctx) => {
      if (text === "" || text === "false") return 0;
      if (text === "true") return 1;
      if (/^\d{1,2}$/.test(text)) return Number(text);
      ctx.addIssue({ code: "custom", message: "the number of reverse proxies in front of the app: 0 (none, the default), 1 (or true), 2…" });
      return z.NEVER;
    }),
  /**
   * The bearer token Prometheus sends to scrape /api/metrics (`Authorization: Bearer <token>`, at least 16
   * characters). Unset: /api/metrics answers 404, so metrics are never public by default.
   */
  METRICS_TOKEN: z
    .string()
    .optional()
    .transform((text) => (text?.trim() ? text.trim() : undefined))
    .refine((token) => token === undefined || token.length >= 16, "METRICS_TOKEN must be at least 16 characters (e.g. openssl rand -hex 24)"),
  /**
   * More origins whose pages may write (Django's CSRF_TRUSTED_ORIGINS), comma-separated, each
   * scheme://host[:port]: another name the app answers on, e.g. `https://www.example.com`.
   */
  ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((text, ctx) => {
      const entries = text.split(",").map((entry) => entry.trim()).filter(Boolean);
      const origins = entries.map(originOf);
      if (origins.every((origin) => origin !== undefined)) return origins;
      for (const entry of entries.filter((_, i) => origins[i] === undefined)) {
        ctx.addIssue({ code: "custom", message: `${JSON.stringify(entry)} is not an origin: write scheme://host[:port] (no path, no wildcard), e.g. https://www.example.com` });
      }
      return z.NEVER;
    }),
});

/** The origin `text` spells (http or https, host, port; a trailing slash allowed), or undefined. */
function originOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password && !url.hostname.includes("*");
  return /^https?:$/.test(url.protocol) && bare && !/[?#]/.test(text) ? url.origin : undefined;
}

const DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me";
export const SECRET_KEY_MIN_LENGTH = 32;
const SECRET_KEY_MIN_DISTINCT = 10;
const MAKE_A_SECRET_KEY = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

/** Why `key` may not sign anything in production, or undefined when it is strong enough (Django's check_secret_key, stricter). */
export function secretKeyProblem(key: string | undefined): string | undefined {
  if (!key) return "SECRET_KEY is not set";
  if (key === DEVELOPMENT_SECRET_KEY) return "SECRET_KEY is the development default";
  if (key.length < SECRET_KEY_MIN_LENGTH) return `SECRET_KEY is too short (${key.length} characters; at least ${SECRET_KEY_MIN_LENGTH})`;
  const distinct = new Set(key).size;
  if (distinct < SECRET_KEY_MIN_DISTINCT) return `SECRET_KEY has too little variety (${distinct} different characters; at least ${SECRET_KEY_MIN_DISTINCT})`;
  return undefined;
}

/** The environment a process runs with, checked; throws one message naming every bad variable. Exported for tests. */
export function parseEnv(source: Record<string, string | undefined>) {
  const parsed = schema
    .superRefine((env, ctx) => {
      if (env.NODE_ENV !== "production" || source.NEXT_PHASE === "phase-production-build") return;
      const problem = secretKeyProblem(env.SECRET_KEY);
      if (problem) {
        ctx.addIssue({ code: "custom", path: ["SECRET_KEY"], message: `${problem}: production needs a random one of ${SECRET_KEY_MIN_LENGTH}+ characters. Make one with ${MAKE_A_SECRET_KEY}` });
      }
    })
    .safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    // A ConfigError: the worker, beat and the CLI end on it with its message and exit 78, no stack.
    throw new ConfigError(`invalid environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

function load() {
  const env = parseEnv(process.env);
  // A relative SQLite path resolves against the process's cwd; pin it to the project root so the web
  // server, the worker and the CLI all open the same file.
  if (env.DATABASE_URL.startsWith("file:") && !env.DATABASE_URL.startsWith("file:/")) {
    env.DATABASE_URL = `file:${resolve(/* turbopackIgnore: true */ process.cwd(), env.DATABASE_URL.slice("file:".length))}`;
  }
  env.UPLOAD_DIR = resolve(/* turbopackIgnore: true */ process.cwd(), env.UPLOAD_DIR);
  return Object.freeze(env);
}

export const env = load();

/**
 * The key that signs sessions and password-reset links. A production process has a strong one (checked
 * at load); only `next build`, which signs nothing, may run without it.
 */
export function secretKey(): string {
  if (env.SECRET_KEY) return env.SECRET_KEY;
  if (env.NODE_ENV === "production") throw new Error("SECRET_KEY is not set: it is required in production");
  return DEVELOPMENT_SECRET_KEY;
}
