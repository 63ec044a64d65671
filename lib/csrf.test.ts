import { describe, expect, it } from "vitest";
import { originPolicy } from "./csrf";
import { parseEnv } from "./env";

// The rule itself, and the loopback trust this policy turns on in development, are tested with celeriac/web (packages/celeriac/src/web/origin.test.ts).
describe("originPolicy", () => {
  it("trusts APP_URL's origin and ALLOWED_ORIGINS, and the Host (on this machine) in development only", () => {
    const production = parseEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build", APP_URL: "https://demo.example.com/app/", ALLOWED_ORIGINS: "https://www.demo.example.com, http://10.0.0.5:8080/" });
    expect(originPolicy(production)).toEqual({ trustedOrigins: ["https://demo.example.com", "https://www.demo.example.com", "http://10.0.0.5:8080"], trustOwnLoopbackHost: false });
    expect(originPolicy(parseEnv({ NODE_ENV: "test" }))).toEqual({ trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: false });
    expect(originPolicy(parseEnv({ NODE_ENV: "development" }))).toEqual({ trustedOrigins: ["http://127.0.0.1:3000"], trustOwnLoopbackHost: true });
  });
});
