/**
 * Login attempt limits (issue 13), in Redis with rate-limiter-flexible's RateLimiterRedis (one Lua script:
 * SET NX EX + INCRBY + PTTL, so counting is atomic across web processes), over a fixed window of
 * LOGIN_LIMIT_WINDOW_SECONDS (default 15 minutes), as OWASP's authentication cheat sheet suggests:
 *
 *   per email address  LOGIN_ADDRESS_LIMIT failed logins (default 5); a successful login resets the count.
 *                      Unknown addresses are counted the same way, so the limit says nothing about which
 *                      accounts exist. The address is normalized (trimmed, lower-cased: lib/accounts.ts's
 *                      emailField) and stored only as an HMAC with SECRET_KEY, never in clear.
 *   per client IP      LOGIN_IP_LIMIT attempts (default 20), successes included: one client trying many
 *                      accounts (credential stuffing, password spraying) is slowed whatever the outcome.
 *                      The IP is the socket's, X-Forwarded-For only with TRUST_PROXY (lib/client-address.ts).
 *
 * `attempt()` runs before the password is hashed, so a refused attempt costs two Redis round trips at most
 * (IP, then address). It counts the attempt first and refuses when that count passes the limit, rather than
 * reading the count and adding to it after the password check: read-then-write would let a burst of parallel
 * guesses all pass the read.
 * For the address, the point taken before the check is given back by `succeeded()` (the count is deleted), so
 * what stays counted is failures. The attempt past a limit is refused (429, Retry-After) even with the right
 * password; the count restarts when the window that began with the first counted attempt ends.
 *
 * Redis not answering (not connected, or a command unanswered for 1 s): the limits go on, counted in this
 * process's memory (RateLimiterMemory, the same limits), and one warning is logged until Redis answers again
 * (a login never waits for a Redis that is known to be away). Neither of the
 * usual choices is right for a login: failing open turns the limit off exactly when an attacker has found a
 * way to make Redis slow, and failing closed (503) locks every user out of an app whose login needs nothing
 * else from Redis. Counting in memory keeps both: login works, and guessing stays bounded, per process (n web
 * processes allow n times the limit while Redis is away, and the counts start from zero when it goes).
 */
import { createHmac } from "node:crypto";
import { createRedisConnection, type RedisConnection } from "celeriac";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { celeriac } from "@/lib/celery";
import { env, secretKey } from "@/lib/env";

export interface LoginLimitSettings {
  /** Failed logins per email address per window. */
  addressLimit: number;
  /** Login attempts per client IP per window. */
  ipLimit: number;
  windowSeconds: number;
  /** The app's Redis key prefix (CELERIAC_KEY_PREFIX): keys are `{prefix}:login:address:…` and `{prefix}:login:ip:…`. */
  keyPrefix: string;
  /** Keys the address HMAC, so Redis never holds an email address. */
  secret: string;
}

export interface LoginLimitLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export type LimitKind = "address" | "ip";

export interface LoginRefusal {
  kind: LimitKind;
  /** Whole seconds until the count restarts (at least 1): the Retry-After header. */
  retryAfterSeconds: number;
  /** For the person at the form: which limit, and when to try again. */
  message: string;
}

/** "1 minute", "15 minutes": the wait rounded up to whole minutes, at least one. */
export function minutesText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

export function refusalMessage(kind: LimitKind, retryAfterSeconds: number): string {
  const wait = minutesText(retryAfterSeconds);
  return kind === "address"
    ? `Too many failed login attempts for this email address. Try again in ${wait}.`
    : `Too many login attempts from your network address. Try again in ${wait}.`;
}

/** A Redis limiter, its in-memory stand-in for when Redis does not answer, and the count each allows. */
interface Counter {
  redis: RateLimiterAbstract;
  memory: RateLimiterMemory;
  limit: number;
}

export class LoginLimiter {
  private readonly address: Counter;
  private readonly ip: Counter;
  private redisAway = false;

  constructor(
    private readonly storeClient: RedisConnection,
    private readonly settings: LoginLimitSettings,
    private readonly log: LoginLimitLog,
    private readonly connectWaitMs = 1000,
  ) {
    const counter = (kind: LimitKind, points: number): Counter => {
      const options = { keyPrefix: `{${settings.keyPrefix}}:login:${kind}`, points, duration: settings.windowSeconds };
      return { redis: new RateLimiterRedis({ ...options, storeClient }), memory: new RateLimiterMemory(options), limit: points };
    };
    this.address = counter("address", settings.addressLimit);
    this.ip = counter("ip", settings.ipLimit);
  }

  /** The key an email address is counted under: an HMAC, so the address itself is never stored. */
  addressKey(email: string): string {
    return createHmac("sha256", this.settings.secret).update(`login-address:${email.trim().toLowerCase()}`).digest("base64url");
  }

  /**
   * Counts one login attempt for `email` from `ip`; the refusal when it is past a limit, else undefined (go on
   * and check the password). The IP is counted first and, when it refuses, the address is left alone.
   */
  async attempt(email: string, ip: string): Promise<LoginRefusal | undefined> {
    return (await this.consume("ip", this.ip, ip)) ?? (await this.consume("address", this.address, this.addressKey(email)));
  }

  /** A successful login: the address's count starts again (its failures were the user's own typos). */
  async succeeded(email: string): Promise<void> {
    const key = this.addressKey(email);
    await this.address.memory.delete(key);
    if (!(await this.redisConnected())) return;
    await this.address.redis.delete(key).then(() => this.redisAnswered(), (error: unknown) => this.redisFailed(error));
  }

  /**
   * Whether to ask Redis at all. Connected: yes. The first connection still being made (the first logins after
   * the process starts): yes once it is up, waiting `connectWaitMs` at most, all of them on the one wait.
   * Otherwise (lost, reconnecting, closed): no, at once: while Redis is away a login must not wait for it.
   */
  private async redisConnected(): Promise<boolean> {
    const client = this.storeClient;
    if (client.status !== "ready") await (this.firstConnection ??= this.waitForFirstConnection());
    if (client.status === "ready") return true;
    this.redisFailed(new Error(`the Redis connection is ${client.status}`));
    return false;
  }

  private firstConnection: Promise<void> | undefined;

  /** Resolves once the client is connected, its connection failed, or `connectWaitMs` passed. */
  private waitForFirstConnection(): Promise<void> {
    const client = this.storeClient;
    if (client.status === "wait") client.connect().catch(() => {});
    if (!["wait", "connecting", "connect"].includes(client.status)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off("ready", done).off("error", done);
        resolve();
      };
      const timer = setTimeout(done, this.connectWaitMs);
      client.once("ready", done).once("error", done);
    });
  }

  private async consume(kind: LimitKind, counter: Counter, key: string): Promise<LoginRefusal | undefined> {
    const inMemory = () => counter.memory.consume(key).catch((refused: RateLimiterRes) => refused);
    let outcome: RateLimiterRes;
    if (!(await this.redisConnected())) outcome = await inMemory();
    else {
      try {
        outcome = await counter.redis.consume(key);
        this.redisAnswered();
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          this.redisAnswered();
          outcome = error;
        } else {
          this.redisFailed(error);
          outcome = await inMemory();
        }
      }
    }
    if (outcome.consumedPoints <= counter.limit) return undefined;
    const retryAfterSeconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
    return { kind, retryAfterSeconds, message: refusalMessage(kind, retryAfterSeconds) };
  }

  private redisFailed(error: unknown): void {
    if (this.redisAway) return;
    this.redisAway = true;
    this.log.warn({ err: error }, "login limits: Redis did not answer; counting login attempts in this process's memory until it does");
  }

  private redisAnswered(): void {
    if (!this.redisAway) return;
    this.redisAway = false;
    this.log.info({}, "login limits: Redis answers again; counting login attempts in Redis");
  }
}

/**
 * The connection the app's limiter counts on: commands are sent only while it is connected (the limiter counts
 * in memory otherwise) and wait `timeoutMs` at most for an answer, so a Redis that hangs costs a login a second.
 */
export function limiterRedis(url: string, timeoutMs = 1000): RedisConnection {
  const redis = createRedisConnection(url, { commandTimeout: timeoutMs, connectTimeout: timeoutMs, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // Outages are reported by the limiter itself, once; ioredis would print every failed reconnection.
  redis.on("error", () => {});
  return redis;
}

let app: { limiter: LoginLimiter; redis: RedisConnection } | undefined;

/** This app's limiter (lib/env.ts's LOGIN_* settings, CELERIAC_KEY_PREFIX, the framework's log), made on first use. */
export function loginLimiter(): LoginLimiter {
  if (!app) {
    const redis = limiterRedis(env.REDIS_URL);
    const settings = { addressLimit: env.LOGIN_ADDRESS_LIMIT, ipLimit: env.LOGIN_IP_LIMIT, windowSeconds: env.LOGIN_LIMIT_WINDOW_SECONDS, keyPrefix: env.CELERIAC_KEY_PREFIX, secret: secretKey() };
    app = { redis, limiter: new LoginLimiter(redis, settings, celeriac.log) };
  }
  return app.limiter;
}

/** Closes the app limiter's Redis connection (tests; a web process keeps it for its life). */
export async function closeLoginLimiter(): Promise<void> {
  const closing = app;
  app = undefined;
  await closing?.redis.quit().catch(() => closing.redis.disconnect());
}
