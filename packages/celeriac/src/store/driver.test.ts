/** A missing driver is one ConfigError naming npm install; a driver that is there but fails to load is its own error. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { required } from "./driver.js";

const notFound = (module: string, stack = "") => Object.assign(new Error(`Cannot find module '${module}'${stack}`), { code: "MODULE_NOT_FOUND" });

describe("required", () => {
  it("a driver not installed is a ConfigError naming npm install", () => {
    const get = () => {
      throw notFound("pg", "\nRequire stack:\n- /app/node_modules/celeriac/dist/store/driver.js");
    };
    expect(() => required("pg", "PostgreSQL", get)).toThrow(ConfigError);
    expect(() => required("pg", "PostgreSQL", get)).toThrow("celeriac reaches PostgreSQL through the 'pg' package, which is not installed: npm install pg");
  });

  it("a module the installed driver cannot find is thrown as it is, not called the driver missing", () => {
    const inner = notFound("pg-types", "\nRequire stack:\n- /app/node_modules/pg/lib/index.js");
    expect(() =>
      required("pg", "PostgreSQL", () => {
        throw inner;
      }),
    ).toThrow(inner);
  });
});
