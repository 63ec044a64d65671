/** A producer whose Redis does not answer fails fast, and nothing it gave up on is enqueued later. */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BrokerUnavailableError } from "../index.js";
import { createHarness } from "../../test/harness.js";
import { BullmqBroker } from "./bullmq.js";

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

  // The worker's and beat's start-up probe: one attempt, then "waiting for Redis" — not a connection that retries for ever.
  it.each([
    ["a single server", async () => `redis://:s3cret@127.0.0.1:${await closedPort()}`],
    ["a Cluster's seed nodes", async () => `redis://:s3cret@127.0.0.1:${await closedPort()},127.0.0.1:${await closedPort()}`],
    ["Sentinels", async () => `redis+sentinel://127.0.0.1:${await closedPort()},127.0.0.1:${await closedPort()}/mymaster`],
  ])("probe() gives up at once on %s that do not answer", async (_what, url) => {
    const broker = new BullmqBroker({ redisUrl: await url(), keyPrefix: "unavailable", lockMs: 30_000 });
    const started = Date.now();
    try {
      await expect(broker.probe()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(broker.transport).not.toContain("s3cret");
    } finally {
      await broker.close();
    }
  });
});
