import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { renderBanner } from "./banner.js";
import { parseWorkerArgs } from "./cli.js";

describe("parseWorkerArgs", () => {
  it("reads long and short flags", () => {
    expect(parseWorkerArgs(["--queues", "default,heavy", "--concurrency", "8", "--loglevel", "INFO"])).toMatchObject({
      queues: ["default", "heavy"],
      concurrency: 8,
      loglevel: "info",
    });
    expect(parseWorkerArgs(["-Q", "heavy", "-c", "2", "-l", "debug", "-n", "w1"])).toMatchObject({
      queues: ["heavy"],
      concurrency: 2,
      loglevel: "debug",
      hostname: "w1",
    });
  });
  it("leaves unset options undefined so settings apply", () => {
    expect(parseWorkerArgs([])).toEqual({ help: false, hostname: undefined, pool: "async" });
  });
  it.each([
    [["--concurrency", "0"], /--concurrency must be an integer/],
    [["--concurrency", "many"], /--concurrency must be an integer/],
    [["--loglevel", "loud"], /--loglevel must be one of/],
    [["--queues", "a b"], /invalid queue name/],
    [["--bogus"], /Unknown option '--bogus'[\s\S]*usage: celeriac worker/],
  ])("refuses %j with a message", (argv, message) => {
    expect(() => parseWorkerArgs(argv)).toThrow(ConfigError);
    expect(() => parseWorkerArgs(argv)).toThrow(message);
  });
});

describe("renderBanner", () => {
  it("lists config, queues and tasks like Celery's", () => {
    const text = renderBanner({
      hostname: "celeriac@box",
      version: "1.2.3",
      app: "shop",
      transport: "redis://127.0.0.1:6379",
      results: "file:/srv/dev.db",
      concurrency: 8,
      pool: "async",
      queues: ["default", "heavy"],
      tasks: ["demo.add", "emails.send"],
      now: new Date("2026-01-02T03:04:05Z"),
    });
    expect(text).toContain(" -------------- celeriac@box v1.2.3");
    expect(text).toContain("2026-01-02 03:04:05");
    expect(text).toContain(".> app:         shop");
    expect(text).toContain(".> transport:   redis://127.0.0.1:6379");
    expect(text).toContain(".> results:     file:/srv/dev.db");
    expect(text).toContain(".> concurrency: 8 (async)");
    expect(text).toMatch(/\[queues\]\n\s+\.> default\n\s+\.> heavy/);
    expect(text).toMatch(/\[tasks\]\n {2}\. demo\.add\n {2}\. emails\.send/);
  });
});
