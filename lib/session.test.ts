import { describe, expect, it } from "vitest";
import { makeResetToken } from "./reset-token";
import { clearedSessionCookie, makeSession, readSession, SESSION_COOKIE, SESSION_TTL_MS, sessionCookie, sessionCookieValue } from "./session";

const secret = "test-secret-0123456789";
const now = Date.UTC(2026, 0, 1);

describe("session values", () => {
  it("name the user they were made for until they expire", () => {
    const value = makeSession(secret, 42, now);
    expect(value).toMatch(/^42\.\d+\.[A-Za-z0-9_-]+$/);
    expect(readSession(secret, value, now)).toEqual({ userId: 42, expiresAt: now + SESSION_TTL_MS });
    expect(readSession(secret, value, now + SESSION_TTL_MS - 1)?.userId).toBe(42);
    expect(readSession(secret, value, now + SESSION_TTL_MS)).toBeUndefined();
    expect(readSession(secret, makeSession(secret, 42, now, 1000), now + 1000)).toBeUndefined();
  });

  it("are refused when signed with another secret", () => {
    expect(readSession("another-secret-0123456789", makeSession(secret, 42, now), now)).toBeUndefined();
  });

  it("are refused when the user id, the expiry or the signature was changed", () => {
    const [id, expires, signature] = makeSession(secret, 42, now).split(".");
    expect(readSession(secret, `43.${expires}.${signature}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${Number(expires) + 3_600_000}.${signature}`, now)).toBeUndefined();
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    expect(readSession(secret, `${id}.${expires}.${flipped}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${expires}.${signature.slice(0, -1)}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${expires}.${signature}.extra`, now)).toBeUndefined();
  });

  it("are refused when malformed or missing", () => {
    for (const value of [undefined, "", "nonsense", "a.b.c", "-1.99999999999999.x", "0.1.x", "1e3.5.x", "42..x"]) {
      expect(readSession(secret, value, now)).toBeUndefined();
    }
  });

  it("are refused when a number is spelled another way, even though the signature covers its value", () => {
    const [id, expires, signature] = makeSession(secret, 42, now).split(".");
    for (const value of [`0${id}.${expires}.${signature}`, `+${id}.${expires}.${signature}`, `${id}.0${expires}.${signature}`, `${id}.${expires}.0.${signature}`, `4.2e1.${expires}.${signature}`]) {
      expect(readSession(secret, value, now), value).toBeUndefined();
    }
    expect(readSession(secret, `${id}.${expires}.${signature}`, now)?.userId).toBe(42);
  });

  it("cannot be made from a password-reset token (signatures are kept apart)", () => {
    const token = makeResetToken(secret, { id: 42, passwordChangedAt: new Date(now) }, now);
    expect(readSession(secret, token, now)).toBeUndefined();
  });
});

describe("sessionCookieValue", () => {
  it("reads the one session cookie of a Cookie header", () => {
    expect(sessionCookieValue(`theme=dark; ${SESSION_COOKIE}=abc; x=1`)).toBe("abc");
    expect(sessionCookieValue(`${SESSION_COOKIE}=`)).toBe("");
  });

  it("reads none from no header, no such cookie, a look-alike name, or two of it (which one would win differs by parser)", () => {
    expect(sessionCookieValue(null)).toBeUndefined();
    expect(sessionCookieValue("theme=dark")).toBeUndefined();
    expect(sessionCookieValue(`${SESSION_COOKIE}x=abc`)).toBeUndefined();
    expect(sessionCookieValue(`${SESSION_COOKIE}=forged; ${SESSION_COOKIE}=real`)).toBeUndefined();
    // Two Cookie headers reach the app joined with "; " (Node's http).
    expect(sessionCookieValue(`${SESSION_COOKIE}=a; ${SESSION_COOKIE}=a`)).toBeUndefined();
  });
});

describe("session cookies", () => {
  it("are HttpOnly, SameSite=Lax, for the whole site, with a Max-Age", () => {
    expect(sessionCookie("v", { maxAgeMs: 60_000 })).toBe(`${SESSION_COOKIE}=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60`);
    expect(sessionCookie("v")).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    expect(sessionCookie("v", { secure: true })).toMatch(/; Secure$/);
  });

  it("are cleared with an empty value and Max-Age=0", () => {
    expect(clearedSessionCookie()).toBe(`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
  });
});
