/**
 * A lease on one Redis key (SET NX PX, renewed by its holder), so that one of several beat processes is
 * the active one. Both scripts are atomic; the key and the term counter share the app's hash tag, so
 * they live in one Cluster slot.
 *
 * The value is "<term>:<holder>". The term grows by one each time the lease changes hands (a fencing
 * token): logs and `inspect` show it, and a holder can tell it lost the lease in between two renewals.
 *
 * KEYS[1]  the lease key            KEYS[2]  the term counter
 * ARGV[1]  the holder's id          ARGV[2]  the lease time in ms
 * HOLD returns the term while ARGV[1] holds the lease (taken now or renewed), or -1 while another does.
 * RELEASE deletes the key if ARGV[1] holds it; returns 1 if it did.
 */
import type { RedisConnection } from "./redis-connection.js";

export const LEASE_HOLD = `
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, ':', 1, true)
  if string.sub(current, sep + 1) ~= ARGV[1] then return -1 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(current, 1, sep - 1))
end
local term = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], term .. ':' .. ARGV[1], 'PX', ARGV[2])
return term
`;

export const LEASE_RELEASE = `
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, string.find(current, ':', 1, true) + 1) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

type WithLease = RedisConnection & {
  celeriacLeaseHold(key: string, termKey: string, holder: string, ttlMs: number): Promise<number>;
  celeriacLeaseRelease(key: string, termKey: string, holder: string): Promise<number>;
};

export function defineLeaseCommands(redis: RedisConnection): WithLease {
  if (!("celeriacLeaseHold" in redis)) {
    redis.defineCommand("celeriacLeaseHold", { numberOfKeys: 2, lua: LEASE_HOLD });
    redis.defineCommand("celeriacLeaseRelease", { numberOfKeys: 2, lua: LEASE_RELEASE });
  }
  return redis as WithLease;
}

/** "<term>:<holder>" → its parts. */
export function parseLeaseValue(value: string): { term: number; holder: string } {
  const sep = value.indexOf(":");
  return { term: Number(value.slice(0, sep)), holder: value.slice(sep + 1) };
}
