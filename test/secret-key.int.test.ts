/**
 * SECRET_KEY in production, on the real entry points: `npm run worker` and `npm run beat` with
 * NODE_ENV=production refuse to start without a strong key (one message saying how to make one, exit 78,
 * no stack), and start with one. The web server's refusal is e2e/security.spec.ts's (it needs the build).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { pointAppAtTestRun } from "./app-env";
import { deleteKeys, REDIS_URL } from "./redis";

const { keyPrefix } = pointAppAtTestRun("secret-key");
afterAll(() => deleteKeys(keyPrefix));

/** Runs an entry with tsx's loader until it exits or prints `until`; then it is killed. */
function run(entry: string, secretKey: string | undefined, until?: RegExp): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL, NODE_ENV: "production", CELERIAC_LOG_LEVEL: "info" };
  delete env.SECRET_KEY;
  if (secretKey !== undefined) env.SECRET_KEY = secretKey;
  const child = spawn(process.execPath, ["--import", "tsx", entry], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (until?.test(output)) child.kill("SIGKILL");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

const HOW = `Make one with node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

describe("SECRET_KEY in production", () => {
  it.each([
    ["worker.ts", undefined, "SECRET_KEY is not set"],
    ["worker.ts", "development-only-secret-key-change-me", "SECRET_KEY is the development default"],
    ["beat.ts", "too-short-a-key", "SECRET_KEY is too short (15 characters; at least 32)"],
  ])("%s refuses to start with %j: one message, exit 78", { timeout: 30_000 }, async (entry, key, problem) => {
    const { code, output } = await run(entry, key);
    expect(code, output).toBe(78);
    expect(output).toContain(problem);
    expect(output).toContain(HOW);
    expect(output).not.toMatch(/^\s+at /m); // no stack trace
  });

  it("the worker starts with a random key", { timeout: 30_000 }, async () => {
    const { output } = await run("worker.ts", randomBytes(32).toString("base64url"), /ready\./);
    expect(output).toMatch(/celeriac@\S+ ready\./);
    expect(output).not.toContain("SECRET_KEY");
  });
});
