import { describe, expect, it } from "vitest";
import { parseEnv, secretKeyProblem } from "./env";

const STRONG = "h3M1tKcQ0x-9VfZr_2LpWbN7sYdEaGuJ"; // 32 characters, as randomBytes(24).toString("base64url") makes

describe("SECRET_KEY in production", () => {
  const production = { NODE_ENV: "production" };

  it.each([
    ["missing", undefined, /SECRET_KEY is not set/],
    ["empty", "", /SECRET_KEY is not set/],
    ["the development default", "development-only-secret-key-change-me", /is the development default/],
    ["too short", "e2e-only-secret-key-0123456789", /too short \(30 characters; at least 32\)/],
    ["repetitive", "ab".repeat(20), /too little variety \(2 different characters; at least 10\)/],
  ])("refuses a key that is %s, saying how to make one", (_label, key, problem) => {
    expect(() => parseEnv({ ...production, SECRET_KEY: key })).toThrow(problem);
    expect(() => parseEnv({ ...production, SECRET_KEY: key })).toThrow(
      `production needs a random one of 32+ characters. Make one with node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  });

  it("accepts a random key", () => {
    expect(parseEnv({ ...production, SECRET_KEY: STRONG }).SECRET_KEY).toBe(STRONG);
    expect(secretKeyProblem(STRONG)).toBeUndefined();
  });

  it("is not needed by next build, which runs with NODE_ENV=production but signs nothing", () => {
    expect(() => parseEnv({ ...production, NEXT_PHASE: "phase-production-build" })).not.toThrow();
  });

  it("is not needed in development and tests", () => {
    expect(parseEnv({}).SECRET_KEY).toBeUndefined();
    expect(() => parseEnv({ NODE_ENV: "development", SECRET_KEY: "short" })).not.toThrow();
    expect(() => parseEnv({ NODE_ENV: "test" })).not.toThrow();
  });
});

describe("ALLOWED_ORIGINS", () => {
  it("is a comma-separated list of origins, spelled as browsers send them", () => {
    expect(parseEnv({}).ALLOWED_ORIGINS).toEqual([]);
    expect(parseEnv({ ALLOWED_ORIGINS: " https://WWW.Example.com/ ,http://example.com:8080,, https://example.com:443" }).ALLOWED_ORIGINS).toEqual([
      "https://www.example.com",
      "http://example.com:8080",
      "https://example.com",
    ]);
  });

  it("refuses what is not an origin, naming each entry", () => {
    for (const entry of ["example.com", "https://example.com/path", "https://example.com/?q", "https://example.com#x", "https://*.example.com", "ftp://example.com", "https://user@example.com", "null"]) {
      expect(() => parseEnv({ ALLOWED_ORIGINS: `https://ok.example, ${entry}` }), entry).toThrow(`ALLOWED_ORIGINS: ${JSON.stringify(entry)} is not an origin: write scheme://host[:port]`);
    }
  });
});

describe("the rest of the environment", () => {
  it("names each bad variable in one message", () => {
    expect(() => parseEnv({ REDIS_URL: "http://nope", CELERIAC_LOG_LEVEL: "loud" })).toThrow(/invalid environment:\n {2}REDIS_URL: .*\n {2}CELERIAC_LOG_LEVEL: /);
  });
});
