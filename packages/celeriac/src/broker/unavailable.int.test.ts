/** A producer whose Redis does not answer fails fast, and nothing it gave up on is enqueued later. */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BrokerUnavailableError } from "../index.js";
import { createHarness } from "../../test/harness.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("Redis unreachable", () => {
  it(".delay() rejects with BrokerUnavailableError within seconds instead of hanging", async () => {
    const h = createHarness("unavailable", { redisUrl: `redis://127.0.0.1:${await closedPort()}` });
    const t = h.app.task({ name: "u.t", args: z.tuple([]), run: () => 1 });
    const started = Date.now();
    try {
      const error = await t.delay().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerUnavailableError);
      expect((error as Error).message).toMatch(/did not answer within 3000 ms; nothing was enqueued/);
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      await h.close();
    }
  });
});
