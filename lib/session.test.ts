import { describe, expect, it } from "vitest";
import { makeResetToken } from "./reset-token";
import { clearedSessionCookie, makeSession, passwordChangedSince, readSession, SESSION_COOKIE, SESSION_TTL_MS, sessionCookie, sessionCookieValue } from "./session";

const secret = "test-secret-0123456789";
const now = Date.UTC(2026, 0, 1);

describe("session values", () => {
  it("name the user they were made for until they expire", () => {
    const value = makeSession(secret, 42, now);
    expect(value).toMatch(/^42\.\d+\.\d+\.[A-Za-z0-9_-]+$/);
    expect(readSession(secret, value, now)).toEqual({ userId: 42, expiresAt: now + SESSION_TTL_MS, passwordAsOf: now });
    expect(readSession(secret, value, now + SESSION_TTL_MS - 1)?.userId).toBe(42);
    expect(readSession(secret, value, now + SESSION_TTL_MS)).toBeUndefined();
    expect(readSession(secret, makeSession(secret, 42, now, 1000), now + 1000)).toBeUndefined();
  });

  it("are refused when signed with another secret", () => {
    expect(readSession("another-secret-0123456789", makeSession(secret, 42, now), now)).toBeUndefined();
  });

  it("are refused when the user id, the expiry, the password time or the signature was changed", () => {
    const [id, expires, asOf, signature] = makeSession(secret, 42, now).split(".");
    expect(readSession(secret, `43.${expires}.${asOf}.${signature}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${Number(expires) + 3_600_000}.${asOf}.${signature}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${expires}.${Number(asOf) + 3_600_000}.${signature}`, now)).toBeUndefined();
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    expect(readSession(secret, `${id}.${expires}.${asOf}.${flipped}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${expires}.${asOf}.${signature.slice(0, -1)}`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${expires}.${asOf}.${signature}.extra`, now)).toBeUndefined();
    expect(readSession(secret, `${id}.${expires}.${signature}`, now)).toBeUndefined(); // the old three-part form
  });

  it("are refused when malformed or missing", () => {
    for (const value of [undefined, "", "nonsense", "a.b.c.d", "-1.99999999999999.1.x", "0.1.1.x", "1e3.5.1.x", "42..1.x", "42.1..x"]) {
      expect(readSession(secret, value, now)).toBeUndefined();
    }
  });

  it("are refused when a number is spelled another way, even though the signature covers its value", () => {
    const [id, expires, asOf, signature] = makeSession(secret, 42, now).split(".");
    for (const value of [
      `0${id}.${expires}.${asOf}.${signature}`,
      `+${id}.${expires}.${asOf}.${signature}`,
      `${id}.0${expires}.${asOf}.${signature}`,
      `${id}.${expires}.0${asOf}.${signature}`,
      `${id}.${expires}.${asOf}.0.${signature}`,
      `4.2e1.${expires}.${asOf}.${signature}`,
    ]) {
      expect(readSession(secret, value, now), value).toBeUndefined();
    }
    expect(readSession(secret, `${id}.${expires}.${asOf}.${signature}`, now)?.userId).toBe(42);
  });

  it("are for the password the login checked: any later change of passwordChangedAt outdates them", () => {
    const changedAt = new Date(now - 86_400_000);
    const session = readSession(secret, makeSession(secret, { id: 42, passwordChangedAt: changedAt }, now), now)!;
    expect(session).toEqual({ userId: 42, expiresAt: now + SESSION_TTL_MS, passwordAsOf: changedAt.getTime() });
    expect(passwordChangedSince(session, changedAt)).toBe(false);
    // Changed after the check, even before the session was made (a reset landing while the login hashed).
    expect(passwordChangedSince(session, new Date(changedAt.getTime() + 1))).toBe(true);
    // A bare id is a session for whatever password the user has at `now`.
    const bare = readSession(secret, makeSession(secret, 42, now), now)!;
    expect(passwordChangedSince(bare, new Date(now))).toBe(false);
    expect(passwordChangedSince(bare, new Date(now + 1))).toBe(true);
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
