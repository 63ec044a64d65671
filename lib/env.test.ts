import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
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

  it("takes a Redis Cluster's and a Sentinel's URL, the key layout and the replicas a send waits for", () => {
    expect(parseEnv({})).toMatchObject({ REDIS_URL: "redis://127.0.0.1:6379", CELERIAC_REDIS_KEY_LAYOUT: "per-queue", CELERIAC_REDIS_WAIT_REPLICAS: 0 });
    const env = parseEnv({ REDIS_URL: "redis+sentinel://s1:26379,s2:26379/mymaster", CELERIAC_REDIS_KEY_LAYOUT: "one-slot", CELERIAC_REDIS_WAIT_REPLICAS: "1" });
    expect(env).toMatchObject({ CELERIAC_REDIS_KEY_LAYOUT: "one-slot", CELERIAC_REDIS_WAIT_REPLICAS: 1 });
    expect(parseEnv({ REDIS_URL: "redis://10.0.0.1:7000,10.0.0.2:7000" }).REDIS_URL).toBe("redis://10.0.0.1:7000,10.0.0.2:7000");
    expect(() => parseEnv({ REDIS_URL: "redis+sentinel://s1:26379" })).toThrow(/REDIS_URL: .*masterName/);
    expect(() => parseEnv({ CELERIAC_REDIS_WAIT_REPLICAS: "-1", CELERIAC_REDIS_KEY_LAYOUT: "spread" })).toThrow(/CELERIAC_REDIS_KEY_LAYOUT[\s\S]*CELERIAC_REDIS_WAIT_REPLICAS|CELERIAC_REDIS_WAIT_REPLICAS[\s\S]*CELERIAC_REDIS_KEY_LAYOUT/);
  });
});

describe("login limits and TRUST_PROXY", () => {
  it("default to 5 failures per address and 20 attempts per IP in 15 minutes, and no proxy trusted", () => {
    expect(parseEnv({})).toMatchObject({ LOGIN_ADDRESS_LIMIT: 5, LOGIN_IP_LIMIT: 20, LOGIN_LIMIT_WINDOW_SECONDS: 900, TRUST_PROXY: 0 });
    expect(parseEnv({ LOGIN_ADDRESS_LIMIT: "10", LOGIN_IP_LIMIT: "100", LOGIN_LIMIT_WINDOW_SECONDS: "60" })).toMatchObject({ LOGIN_ADDRESS_LIMIT: 10, LOGIN_IP_LIMIT: 100, LOGIN_LIMIT_WINDOW_SECONDS: 60 });
    expect(() => parseEnv({ LOGIN_IP_LIMIT: "0" })).toThrow(/LOGIN_IP_LIMIT: /);
  });

  it("reads TRUST_PROXY as a number of proxies: true is 1, false and empty are 0", () => {
    for (const [text, hops] of [["", 0], ["0", 0], ["false", 0], ["true", 1], ["TRUE", 1], ["1", 1], ["2", 2]] as const) {
      expect(parseEnv({ TRUST_PROXY: text }).TRUST_PROXY, text).toBe(hops);
    }
    for (const text of ["yes", "-1", "1.5", "loopback"]) expect(() => parseEnv({ TRUST_PROXY: text }), text).toThrow(/TRUST_PROXY: the number of reverse proxies/);
  });
});

describe("METRICS_TOKEN", () => {
  it("is unset by default (metrics answer 404), and a blank one is unset too", () => {
    expect(parseEnv({}).METRICS_TOKEN).toBeUndefined();
    expect(parseEnv({ METRICS_TOKEN: "  " }).METRICS_TOKEN).toBeUndefined();
  });

  it("is a token of 16 characters or more, trimmed; a shorter one stops start-up naming it", () => {
    expect(parseEnv({ METRICS_TOKEN: " 0123456789abcdef " }).METRICS_TOKEN).toBe("0123456789abcdef");
    expect(() => parseEnv({ METRICS_TOKEN: "secret" })).toThrow(/METRICS_TOKEN: METRICS_TOKEN must be at least 16 characters/);
  });
});

describe("PAGES_ALLOW_PRIVATE_HOSTS", () => {
  it("is off unless set, in every mode (the SSRF guard refuses private and loopback addresses)", () => {
    expect(parseEnv({}).PAGES_ALLOW_PRIVATE_HOSTS).toBe(false);
    expect(parseEnv({ NODE_ENV: "development" }).PAGES_ALLOW_PRIVATE_HOSTS).toBe(false);
    expect(parseEnv({ PAGES_ALLOW_PRIVATE_HOSTS: "1" }).PAGES_ALLOW_PRIVATE_HOSTS).toBe(true);
    expect(() => parseEnv({ PAGES_ALLOW_PRIVATE_HOSTS: "yes" })).toThrow(/PAGES_ALLOW_PRIVATE_HOSTS/);
  });
});

describe("loading lib/env.ts", () => {
  // Every process reads its environment first (the web server at boot, before anything else): from the
  // framework it needs ConfigError and the dependency-free celeriac/states (log levels, the database URL
  // rule) only, not the barrel that loads all of celeriac.
  it("loads the package's errors and states modules, not the framework", () => {
    const hook = `let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
    const script = `
      import { register } from "node:module";
      import { MessageChannel } from "node:worker_threads";
      const { port1, port2 } = new MessageChannel();
      const loaded = [];
      port1.on("message", (url) => loaded.push(url));
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
      await import(process.argv[1]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      port1.close();
      console.log(JSON.stringify(loaded));`;
    const root = resolve(import.meta.dirname, "..");
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, pathToFileURL(resolve(root, "lib/env.ts")).href], { cwd: root, encoding: "utf8" });
    const loaded = (JSON.parse(out) as string[]).filter((url) => url.startsWith(pathToFileURL(root).href) && !url.includes("/node_modules/")).map((url) => url.slice(pathToFileURL(root).href.length + 1));
    // The package as the app loads it: its build (dist/), through the node_modules/celeriac link.
    expect(loaded).toContain("packages/celeriac/dist/errors.js");
    expect(loaded).toContain("packages/celeriac/dist/states.js");
    // errors.js and text.js, states.js and its leaves (task/id, task/progress, beat/kinds, units, log-levels, url, broker/redis-url).
    expect(loaded.filter((path) => path.startsWith("packages/celeriac/")).length, loaded.join(", ")).toBeLessThanOrEqual(10);
    expect(loaded).not.toContain("packages/celeriac/dist/index.js");
  });
});
