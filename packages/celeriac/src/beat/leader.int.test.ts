/**
 * The beat lease on the real Redis (BullmqBroker's holdLease / releaseLease / leaseHolder, lease.ts's Lua),
 * and LeaderLease's view of it: one holder at a time, terms that grow on each hand-over, expiry after the
 * TTL, release for an immediate hand-over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BullmqBroker } from "../broker/bullmq.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../../test/redis.js";
import { LeaderLease, LEASE_NAME } from "./leader.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyPrefix = uniquePrefix("lease");
let broker: BullmqBroker;

beforeAll(() => {
  broker = new BullmqBroker({ redisUrl: REDIS_URL, keyPrefix, lockMs: 30_000 });
});

afterAll(async () => {
  await broker.close();
  await deleteKeys(keyPrefix);
});

describe("holdLease / releaseLease / leaseHolder (Redis)", () => {
  it("gives the lease to one holder, refuses a second while the first holds, and renews the first's TTL", async () => {
    // Holder ids look like beat's own ("<host>:<pid>:<random>"): colons in the holder must not confuse the value's parsing.
    const a = "celeriac@a:101:aaaa";
    const b = "celeriac@b:202:bbbb";
    expect(await broker.leaseHolder("t1")).toBeNull();
    const term = await broker.holdLease("t1", a, 1000);
    expect(term).toBe(1);
    expect(await broker.holdLease("t1", b, 1000)).toBeNull();
    await sleep(600);
    expect(await broker.holdLease("t1", b, 1000)).toBeNull();
    // Renewal: same term, TTL back to full.
    expect(await broker.holdLease("t1", a, 1000)).toBe(term);
    const info = await broker.leaseHolder("t1");
    expect(info).toMatchObject({ holder: a, term });
    expect(info!.ttlMs).toBeGreaterThan(800);
    // 600 ms + 600 ms is past the first TTL: only the renewal keeps it.
    await sleep(600);
    expect(await broker.holdLease("t1", b, 1000)).toBeNull();
    expect((await broker.leaseHolder("t1"))!.holder).toBe(a);
  });

  it("lets the second holder take the lease once the TTL passes without renewal, with the next term", async () => {
    const first = await broker.holdLease("t2", "one", 500);
    expect(first).not.toBeNull();
    expect(await broker.holdLease("t2", "two", 500)).toBeNull();
    await sleep(650);
    expect(await broker.leaseHolder("t2")).toBeNull();
    expect(await broker.holdLease("t2", "two", 500)).toBe(first! + 1);
    expect(await broker.holdLease("t2", "one", 500)).toBeNull();
    expect(await broker.leaseHolder("t2")).toMatchObject({ holder: "two", term: first! + 1 });
  });

  it("release hands the lease over at once; a release by someone else does nothing", async () => {
    const t = await broker.holdLease("t3", "one", 60_000);
    expect(t).toBe(1);
    await broker.releaseLease("t3", "two"); // not the holder
    expect(await broker.leaseHolder("t3")).toMatchObject({ holder: "one", term: 1 });
    expect(await broker.holdLease("t3", "two", 60_000)).toBeNull();
    await broker.releaseLease("t3", "one");
    expect(await broker.leaseHolder("t3")).toBeNull();
    expect(await broker.holdLease("t3", "two", 60_000)).toBe(2);
    // Hand-overs keep counting: back to "one", then a lapse and "one" again is a new term too.
    await broker.releaseLease("t3", "two");
    expect(await broker.holdLease("t3", "one", 300)).toBe(3);
    await sleep(450);
    expect(await broker.holdLease("t3", "one", 300)).toBe(4);
  });

  it("of many holders trying at once, exactly one gets the lease", async () => {
    const holders = Array.from({ length: 20 }, (_, i) => `racer-${i}`);
    const terms = await Promise.all(holders.map((h) => broker.holdLease("t4", h, 5000)));
    const winners = terms.filter((t) => t !== null);
    expect(winners).toEqual([1]);
    const info = await broker.leaseHolder("t4");
    expect(info!.holder).toBe(holders[terms.indexOf(1)]);
  });
});

describe("LeaderLease", () => {
  it("leads while it renews, stops trusting the lease before its TTL ends, and hands over on release", async () => {
    const a = new LeaderLease(broker, "beat-a", 1000);
    const b = new LeaderLease(broker, "beat-b", 1000);
    const ta = await a.renew();
    expect(ta).not.toBeNull();
    expect(a.isLeader()).toBe(true);
    expect(await b.renew()).toBeNull();
    expect(b.isLeader()).toBe(false);
    expect((await broker.leaseHolder(LEASE_NAME))!.holder).toBe("beat-a");
    // Without a renewal, a counts itself leader only for 80% of the TTL: it stops before b could take over.
    await sleep(850);
    expect(a.isLeader()).toBe(false);
    expect(await b.renew()).toBeNull(); // the Redis key itself still has ~150 ms to go
    await sleep(250);
    const tb = await b.renew();
    expect(tb).toBe(ta! + 1);
    expect(b.isLeader()).toBe(true);
    // a finds out on its next renewal.
    expect(await a.renew()).toBeNull();
    expect(a.isLeader()).toBe(false);
    await b.release();
    expect(b.isLeader()).toBe(false);
    expect(await a.renew()).toBe(tb! + 1);
    await a.release();
    expect(await broker.leaseHolder(LEASE_NAME)).toBeNull();
  });
});
