import { describe, expect, it } from "vitest";
import { resolveConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { redactUrl } from "../url.js";
import { parseRedisUrl, RedisUrlError } from "./redis-url.js";

describe("parseRedisUrl", () => {
  it("one host is one server, passed to ioredis as it is", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379/2")).toEqual({ kind: "server", url: "redis://127.0.0.1:6379/2" });
    expect(parseRedisUrl("rediss://:pw@cache.internal")).toEqual({ kind: "server", url: "rediss://:pw@cache.internal" });
  });

  it("several hosts, or redis+cluster://, are a Cluster's seed nodes", () => {
    expect(parseRedisUrl("redis://u:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002")).toEqual({
      kind: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 6379 },
        { host: "::1", port: 7002 },
      ],
      auth: { username: "u", password: "p@ss" },
      tls: false,
    });
    expect(parseRedisUrl("rediss+cluster://:secret@seed:7000")).toEqual({ kind: "cluster", nodes: [{ host: "seed", port: 7000 }], auth: { password: "secret" }, tls: true });
  });

  it("redis+sentinel:// names the sentinels, then the master's name and database", () => {
    expect(parseRedisUrl("redis+sentinel://:pw@s1,s2:26380/mymaster/3?sentinelPassword=sp")).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
      ],
      name: "mymaster",
      db: 3,
      auth: { password: "pw" },
      sentinelPassword: "sp",
      tls: false,
    });
  });

  it("takes a password with an unencoded @ or / as a password, never as part of a host", () => {
    expect(parseRedisUrl("redis://user:p@ss@h1:7000,h2:7000")).toMatchObject({ kind: "cluster", nodes: [{ host: "h1", port: 7000 }, { host: "h2", port: 7000 }], auth: { username: "user", password: "p@ss" } });
    expect(parseRedisUrl("redis://:ab/cd+ef@h1:7000,h2:7000")).toMatchObject({ kind: "cluster", auth: { password: "ab/cd+ef" } });
    expect(redactUrl("redis://:ab/cd+ef@h1:7000,h2:7000")).toBe("redis://:****@h1:7000,h2:7000");
    expect(redactUrl("redis://user:p@ss@h1:7000,h2:7000")).toBe("redis://user:****@h1:7000,h2:7000");
    expect(redactUrl("redis://:ab/cd@127.0.0.1:6379")).toBe("redis://:****@127.0.0.1:6379");
    expect(() => parseRedisUrl("redis://:hunter2@a:1,b:x")).toThrow(RedisUrlError);
    expect(() => parseRedisUrl("redis://:hunter2@a:1,b:x")).not.toThrow(/hunter2/);
  });

  it("refuses what it cannot connect to, saying which forms it takes and never showing a password", () => {
    const refused = ["http://x", "redis+sentinel://s1:26379", "redis://a:1,b:2/5", "redis://a:99999", "redis+sentinel://:pw@s1/m/x", "redis://a:1,,b:2"];
    for (const url of refused) expect(() => parseRedisUrl(url), url).toThrow(RedisUrlError);
    expect(() => parseRedisUrl("redis+sentinel://:hunter2@s1:26379")).toThrow(/masterName/);
    expect(() => parseRedisUrl("redis://:hunter2@a:1,b:2/5")).not.toThrow(/hunter2/);
    expect(() => parseRedisUrl("redis://:hunter2@a:1,b:2/5")).toThrow(/:\*\*\*\*@/);
  });

  it("is what the redisUrl setting accepts", () => {
    expect(resolveConfig({ redisUrl: "redis://h1:7000,h2:7000" }).redisUrl).toBe("redis://h1:7000,h2:7000");
    expect(() => resolveConfig({ redisUrl: "redis+sentinel://s1" })).toThrow(ConfigError);
    expect(() => resolveConfig({ redisUrl: "redis+sentinel://s1" })).toThrow(/redisUrl[\s\S]*masterName/);
  });
});

describe("redactUrl on Redis URLs", () => {
  it("hides passwords in a Cluster's host list and a Sentinel password in the query", () => {
    expect(redactUrl("redis://app:s3cret@h1:7000,h2:7000")).toBe("redis://app:****@h1:7000,h2:7000");
    expect(redactUrl("redis+sentinel://:pw@s1:26379,s2/mymaster?sentinelPassword=sp")).toBe("redis+sentinel://:****@s1:26379,s2/mymaster?sentinelPassword=****");
    expect(redactUrl("redis+sentinel://s1:26379/mymaster?sentinelPassword=sp")).toBe("redis+sentinel://s1:26379/mymaster?sentinelPassword=****");
    expect(redactUrl("redis://h1:7000,h2:7000")).toBe("redis://h1:7000,h2:7000");
  });
});
