/**
 * Login attempt limits (lib/login-limit.ts) on the real route handler, this run's database and Redis, with the
 * default settings (5 failed logins per address, 20 attempts per IP, 15 minutes): the 6th attempt for an
 * address is a 429 with Retry-After even with the right password, the same for an address without an account;
 * a success resets the address; another address from the same IP goes on until the IP's limit; a burst of
 * parallel guesses gets no more than the limit; X-Forwarded-For is not believed without TRUST_PROXY, and the
 * socket address lib/server-boot.ts stamps cannot be forged. Then the limiter itself: a short window ends,
 * and with Redis down the limits still hold, counted in memory, with one warning.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "@/test/app-env";
import { deleteKeys, keysUnder, REDIS_URL } from "@/test/redis";

const { keyPrefix } = pointAppAtTestRun("login-limit");
const { celeriac } = await import("@/lib/celery");
const { db } = await import("@/lib/db");
const { env } = await import("@/lib/env");
const { hashPassword } = await import("@/lib/password");
const { CLIENT_ADDRESS_HEADER } = await import("@/lib/client-address");
const { closeLoginLimiter, limiterRedis, LoginLimiter, refusalMessage } = await import("@/lib/login-limit");
const login = await import("@/app/api/login/route");

const PASSWORD = "right-password-1";
const WRONG = "wrong-password-1";
const ORIGIN = new URL(env.APP_URL).origin;
const none = { params: Promise.resolve({}) };
let passwordHash: string;

beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

afterAll(async () => {
  await closeLoginLimiter();
  await celeriac.close();
  await deleteKeys(keyPrefix);
});

const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;
/** A client address of its own per test, so the tests' IP counts never meet. */
let nextHost = 1;
const newIp = () => `198.51.100.${nextHost++}`;

async function newUser(): Promise<string> {
  const email = `${unique("limit")}@example.test`;
  await db.user.create({ data: { email, name: email, passwordHash } });
  return email;
}

async function attempt(email: string, password: string, ip: string, headers: Record<string, string> = {}) {
  const response = await login.POST(
    new Request(`${ORIGIN}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN, "sec-fetch-site": "same-origin", [CLIENT_ADDRESS_HEADER]: ip, ...headers },
      body: JSON.stringify({ email, password }),
    }),
    none,
  );
  const body = (await response.json()) as { error?: string; name?: string };
  return { status: response.status, body, retryAfter: response.headers.get("retry-after"), cookie: response.headers.get("set-cookie") };
}

const WARNING = "warn login limits: Redis did not answer; counting login attempts in this process's memory until it does";
const ADDRESS_LIMITED = "Too many failed login attempts for this email address. Try again in 15 minutes.";

describe("POST /api/login, limited per address", () => {
  it("answers the 6th attempt after 5 failures 429 with Retry-After, even with the right password, and sets no cookie", async () => {
    const email = await newUser();
    const ip = newIp();
    for (let i = 1; i <= 5; i++) expect((await attempt(email, WRONG, ip)).status, `failure ${i}`).toBe(401);
    const refused = await attempt(email, PASSWORD, ip);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: ADDRESS_LIMITED });
    expect(Number(refused.retryAfter)).toBeGreaterThan(890);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(900);
    expect(refused.cookie).toBeNull();
    // From another address too: the limit is the account's, not the client's.
    expect((await attempt(email, PASSWORD, newIp())).status).toBe(429);
  });

  it("limits an address without an account the same way, with the same answer", async () => {
    const [known, unknown] = [await newUser(), `${unique("nobody")}@example.test`];
    const answers = [];
    for (const email of [known, unknown]) {
      const ip = newIp();
      const statuses = [];
      for (let i = 1; i <= 5; i++) statuses.push((await attempt(email, WRONG, ip)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const { status, body } = await attempt(email, WRONG, ip);
      answers.push({ status, body });
    }
    expect(answers[0]).toEqual({ status: 429, body: { error: ADDRESS_LIMITED } });
    expect(answers[1]).toEqual(answers[0]);
  });

  it("counts the address as the form sends it, trimmed and lower-cased", async () => {
    const email = await newUser();
    const ip = newIp();
    for (const spelling of [email, email.toUpperCase(), ` ${email} `, email, email]) expect((await attempt(spelling, WRONG, ip)).status).toBe(401);
    expect((await attempt(`  ${email.toUpperCase()}`, PASSWORD, ip)).status).toBe(429);
  });

  it("starts the address's count again after a successful login", async () => {
    const email = await newUser();
    const ip = newIp();
    for (let i = 1; i <= 4; i++) expect((await attempt(email, WRONG, ip)).status).toBe(401);
    const success = await attempt(email, PASSWORD, ip);
    expect(success.status).toBe(200);
    expect(success.cookie).toMatch(/^celeriac_session=/);
    for (let i = 1; i <= 5; i++) expect((await attempt(email, WRONG, ip)).status, `failure ${i} after the success`).toBe(401);
    expect((await attempt(email, PASSWORD, ip)).status).toBe(429);
  });

  it("lets no more than 5 of a burst of parallel guesses reach the password check", async () => {
    const email = await newUser();
    const ip = newIp();
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => attempt(email, WRONG, ip)))).map((a) => a.status).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
  });

  it("keeps its counts under the app's key prefix, and no email address in clear", async () => {
    const email = await newUser();
    await attempt(email, WRONG, newIp());
    const keys = (await keysUnder(keyPrefix)).filter((key) => key.startsWith(`{${keyPrefix}}:login:`));
    expect(keys.some((key) => key.startsWith(`{${keyPrefix}}:login:address:`))).toBe(true);
    expect(keys.some((key) => key.startsWith(`{${keyPrefix}}:login:ip:198.51.100.`))).toBe(true);
    expect(keys.filter((key) => key.includes("@"))).toEqual([]);
  });

  it("does not count a request refused before the password check (a malformed body is a 400)", async () => {
    const email = await newUser();
    const ip = newIp();
    for (let i = 1; i <= 10; i++) expect((await attempt("not an address", WRONG, ip)).status).toBe(400);
    expect((await attempt(email, PASSWORD, ip)).status).toBe(200);
  });
});

describe("POST /api/login, limited per client IP", () => {
  it("lets another address from the same IP log in until the IP's 20 attempts, then answers 429 for every address", async () => {
    const ip = newIp();
    const blocked = await newUser();
    for (let i = 1; i <= 5; i++) expect((await attempt(blocked, WRONG, ip)).status).toBe(401);
    expect((await attempt(blocked, PASSWORD, ip)).status).toBe(429); // attempt 6 from this IP
    const other = await newUser();
    expect((await attempt(other, PASSWORD, ip)).status).toBe(200); // 7
    for (let i = 8; i <= 20; i++) {
      const { status } = await attempt(await newUser(), i % 2 ? WRONG : PASSWORD, ip);
      expect(status, `attempt ${i}`).toBe(i % 2 ? 401 : 200);
    }
    const refused = await attempt(other, PASSWORD, ip); // 21
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: "Too many login attempts from your network address. Try again in 15 minutes." });
    expect(Number(refused.retryAfter)).toBeGreaterThan(890);
    expect(refused.cookie).toBeNull();
    // Another IP is not affected, and `other`'s own count was never touched by the IP refusal.
    expect((await attempt(other, PASSWORD, newIp())).status).toBe(200);
  });

  it("ignores X-Forwarded-For without TRUST_PROXY: a client that varies it is still counted by its socket address", async () => {
    expect(env.TRUST_PROXY).toBe(0);
    const ip = newIp();
    for (let i = 1; i <= 20; i++) {
      const { status } = await attempt(`${unique("xff")}@example.test`, WRONG, ip, { "x-forwarded-for": `203.0.113.${i}` });
      expect(status, `attempt ${i}`).toBe(401);
    }
    expect((await attempt(await newUser(), PASSWORD, ip, { "x-forwarded-for": "203.0.113.200" })).status).toBe(429);
  });
});

describe("the socket address lib/server-boot.ts stamps on every request", () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const { refuseWhatNextCannotTake } = await import("@/lib/server-boot");
    refuseWhatNextCannotTake();
    server = createServer((request, response) => response.end(String(request.headers[CLIENT_ADDRESS_HEADER])));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise((resolve) => server?.close(resolve)));

  it("is the socket's remote address, whatever the client sent under the header's name", async () => {
    const seen = (headers: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest({ port, host: "127.0.0.1", path: "/", headers }, (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
    expect(await seen({})).toBe("127.0.0.1");
    expect(await seen({ [CLIENT_ADDRESS_HEADER]: "203.0.113.66" })).toBe("127.0.0.1");
  });
});

describe("LoginLimiter", () => {
  const settings = (label: string, windowSeconds = 900) => ({ addressLimit: 2, ipLimit: 3, windowSeconds, keyPrefix: `${keyPrefix}-${label}`, secret: "test-secret" });
  const quietLog = () => {
    const lines: string[] = [];
    return { lines, log: { warn: (_: object, message: string) => lines.push(`warn ${message}`), info: (_: object, message: string) => lines.push(`info ${message}`) } };
  };

  it("starts counting again once the window ends", async () => {
    const client = limiterRedis(REDIS_URL);
    const limiter = new LoginLimiter(client, settings("window", 1), quietLog().log);
    try {
      expect(await limiter.attempt("a@example.test", "192.0.2.1")).toBeUndefined();
      expect(await limiter.attempt("a@example.test", "192.0.2.1")).toBeUndefined();
      expect(await limiter.attempt("a@example.test", "192.0.2.1")).toEqual({ kind: "address", retryAfterSeconds: 1, message: refusalMessage("address", 1) });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await limiter.attempt("a@example.test", "192.0.2.1")).toBeUndefined();
    } finally {
      client.disconnect();
      await deleteKeys(`${keyPrefix}-window`);
    }
  });

  it("with Redis down, keeps limiting in this process's memory, answers within a second, and warns once", async () => {
    const down = limiterRedis("redis://127.0.0.1:1");
    const { lines, log } = quietLog();
    const limiter = new LoginLimiter(down, settings("down"), log);
    try {
      const started = Date.now();
      expect(await limiter.attempt("b@example.test", "192.0.2.2")).toBeUndefined();
      expect(await limiter.attempt("b@example.test", "192.0.2.2")).toBeUndefined();
      expect(await limiter.attempt("b@example.test", "192.0.2.2")).toMatchObject({ kind: "address" });
      expect(await limiter.attempt("c@example.test", "192.0.2.2")).toMatchObject({ kind: "ip" });
      await limiter.succeeded("b@example.test");
      expect(await limiter.attempt("b@example.test", "192.0.2.3")).toBeUndefined();
      // The first waits for the connection to fail; the others do not wait for Redis at all.
      expect(Date.now() - started).toBeLessThan(1500);
      expect(lines).toEqual([WARNING]);
    } finally {
      down.disconnect();
    }
  });

  it("goes back to Redis when it answers again, saying so once; the counts there were kept", async () => {
    const client = limiterRedis(REDIS_URL);
    const { lines, log } = quietLog();
    const limiter = new LoginLimiter(client, settings("back"), log);
    try {
      expect(await limiter.attempt("d@example.test", "192.0.2.4")).toBeUndefined();
      expect(await limiter.attempt("d@example.test", "192.0.2.4")).toBeUndefined();
      const ended = once(client, "end");
      client.disconnect();
      await ended;
      // Counted in memory now: a fresh count there.
      expect(await limiter.attempt("d@example.test", "192.0.2.4")).toBeUndefined();
      expect(await limiter.attempt("d@example.test", "192.0.2.4")).toBeUndefined();
      await client.connect();
      expect(await limiter.attempt("d@example.test", "192.0.2.4")).toMatchObject({ kind: "address" });
      expect(lines).toEqual([WARNING, "info login limits: Redis answers again; counting login attempts in Redis"]);
    } finally {
      client.disconnect();
      await deleteKeys(`${keyPrefix}-back`);
    }
  });

  it("words its refusals in whole minutes, rounded up", () => {
    expect(refusalMessage("address", 900)).toBe(ADDRESS_LIMITED);
    expect(refusalMessage("address", 1)).toBe("Too many failed login attempts for this email address. Try again in 1 minute.");
    expect(refusalMessage("ip", 61)).toBe("Too many login attempts from your network address. Try again in 2 minutes.");
  });
});
