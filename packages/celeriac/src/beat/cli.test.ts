import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { parseBeatArgs } from "./cli.js";

describe("npm run beat -- …", () => {
  it("reads the log level and name", () => {
    expect(parseBeatArgs(["-l", "DEBUG", "-n", "beat@a"])).toEqual({ loglevel: "debug", hostname: "beat@a", help: false });
    expect(parseBeatArgs([])).toEqual({ loglevel: undefined, hostname: undefined, help: false });
    expect(parseBeatArgs(["--help"]).help).toBe(true);
  });

  it("refuses unknown flags and levels with the usage", () => {
    expect(() => parseBeatArgs(["--scheduler", "x"])).toThrow(ConfigError);
    expect(() => parseBeatArgs(["--scheduler", "x"])).toThrow(/usage: celeriac beat/);
    expect(() => parseBeatArgs(["-l", "loud"])).toThrow(/--loglevel must be one of/);
  });
});
