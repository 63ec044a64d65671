import { describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
import { ASYNC_CONCURRENCY, concurrencyFor, resolveConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import { redactUrl } from "./url.js";

describe("resolveConfig", () => {
  it("fills every default and freezes the result", () => {
    const c = resolveConfig();
    expect(c).toMatchObject({ redisUrl: "redis://127.0.0.1:6379", keyPrefix: "celeriac", defaultQueue: "default" });
    expect(c).toMatchObject({ alwaysEager: false, maxPayloadBytes: 262_144, logLevel: "info", logFormat: "json" });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it("concurrency: the setting when given, else 32 for the async pool and the CPU count for the process pool", () => {
    expect(concurrencyFor(resolveConfig(), "async")).toBe(ASYNC_CONCURRENCY);
    expect(ASYNC_CONCURRENCY).toBe(32);
    expect(concurrencyFor(resolveConfig(), "process")).toBe(availableParallelism());
    expect(concurrencyFor(resolveConfig({ concurrency: 3 }), "async")).toBe(3);
    expect(concurrencyFor(resolveConfig({ concurrency: 3 }), "process")).toBe(3);
  });
  it("names every bad setting", () => {
    expect(() => resolveConfig({ redisUrl: "http://x", keyPrefix: "a b" })).toThrow(ConfigError);
    expect(() => resolveConfig({ redisUrl: "http://x", keyPrefix: "a b" })).toThrow(/redisUrl[\s\S]*keyPrefix/);
  });
});

describe("redactUrl", () => {
  it("hides a password and leaves other URLs as they are", () => {
    expect(redactUrl("redis://:s3cret@cache:6379/0")).toBe("redis://:****@cache:6379/0");
    expect(redactUrl("postgresql://app:pw@db/prod")).toBe("postgresql://app:****@db/prod");
    expect(redactUrl("file:./dev.db")).toBe("file:./dev.db");
  });
});
