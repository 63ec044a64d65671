import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password";
import { checkResetToken, makeResetToken, RESET_TOKEN_TTL_MS, tokenUserId } from "./reset-token";

const secret = "test-secret";
const user = { id: 7, passwordChangedAt: new Date("2026-01-01T00:00:00Z") };

describe("reset tokens", () => {
  it("are valid for the user they were made for, for one hour", () => {
    const now = Date.now();
    const token = makeResetToken(secret, user, now);
    expect(tokenUserId(token)).toBe(7);
    expect(checkResetToken(secret, token, user, now + 1000)).toEqual({ ok: true });
    expect(checkResetToken(secret, token, user, now + RESET_TOKEN_TTL_MS + 1)).toEqual({ ok: false, reason: "expired" });
  });
  it("stop working once the password changed (single use)", () => {
    const token = makeResetToken(secret, user);
    expect(checkResetToken(secret, token, { ...user, passwordChangedAt: new Date() })).toEqual({ ok: false, reason: "invalid" });
  });
  it("refuse another user, another secret, a tampered expiry and garbage", () => {
    const token = makeResetToken(secret, user);
    expect(checkResetToken(secret, token, { ...user, id: 8 }).ok).toBe(false);
    expect(checkResetToken("other", token, user)).toEqual({ ok: false, reason: "invalid" });
    const [id, expires, sig] = token.split(".");
    expect(checkResetToken(secret, `${id}.${Number(expires) + 3_600_000}.${sig}`, user)).toEqual({ ok: false, reason: "invalid" });
    expect(checkResetToken(secret, "nonsense", user)).toEqual({ ok: false, reason: "malformed" });
    expect(tokenUserId("x.y.z")).toBeUndefined();
  });
});

describe("passwords", () => {
  it("verify the right password only", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("wrong horse", hash)).toBe(false);
    expect(await hashPassword("correct horse")).not.toBe(hash); // salted
  });
});
