import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { ReplicaWait } from "./replica-wait.js";

/** A connection whose WAITs the test answers by hand, in the order they were sent. */
function fakeNode() {
  const node = new EventEmitter() as EventEmitter & { wait: (n: number, ms: number) => Promise<number> };
  const sent: Array<{ writesBefore: number; answer: (replicas: number) => void }> = [];
  let writes = 0;
  node.wait = () => new Promise<number>((resolve) => sent.push({ writesBefore: writes, answer: resolve }));
  return { node, sent, write: async () => void writes++, redis: node as unknown as Redis };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("ReplicaWait", () => {
  it("sends whose writes were answered while a WAIT was out share the next one, sent after that WAIT returns", async () => {
    const { sent, write, redis } = fakeNode();
    const wait = new ReplicaWait(redis, 1, 1000);
    const first = wait.acknowledged(write);
    await tick();
    expect(sent).toHaveLength(1);
    const later = Array.from({ length: 5 }, () => wait.acknowledged(write));
    await tick();
    // The WAIT out may have gone before these writes: they do not count on it.
    expect(sent).toHaveLength(1);
    sent[0].answer(1);
    expect(await first).toBe(1);
    await tick();
    expect(sent).toHaveLength(2);
    expect(sent[1].writesBefore).toBe(6);
    sent[1].answer(0);
    expect(await Promise.all(later)).toEqual([0, 0, 0, 0, 0]);
  });

  it("a send goes on its own WAIT when none is out", async () => {
    const { sent, write, redis } = fakeNode();
    const wait = new ReplicaWait(redis, 1, 1000);
    const a = wait.acknowledged(write);
    await tick();
    sent[0].answer(1);
    expect(await a).toBe(1);
    const b = wait.acknowledged(write);
    await tick();
    expect(sent).toHaveLength(2);
    sent[1].answer(1);
    expect(await b).toBe(1);
  });

  it("counts 0 replicas when the connection was re-established between the write and the WAIT's answer", async () => {
    const { node, sent, write, redis } = fakeNode();
    const wait = new ReplicaWait(redis, 1, 1000);
    const send = wait.acknowledged(write);
    await tick();
    node.emit("ready"); // e.g. Sentinel named a new master: the WAIT went there, the write perhaps not
    sent[0].answer(1);
    expect(await send).toBe(0);
    const next = wait.acknowledged(write);
    await tick();
    sent[1].answer(1);
    expect(await next).toBe(1);
  });

  it("a WAIT that fails fails the sends on it, and the next send starts afresh", async () => {
    const { node, sent, write, redis } = fakeNode();
    const wait = new ReplicaWait(redis, 1, 1000);
    node.wait = () => Promise.reject(new Error("Connection is closed."));
    await expect(wait.acknowledged(write)).rejects.toThrow("Connection is closed.");
    node.wait = () => new Promise<number>((resolve) => sent.push({ writesBefore: 0, answer: resolve }));
    const next = wait.acknowledged(write);
    await tick();
    sent[0].answer(1);
    expect(await next).toBe(1);
  });
});
