/**
 * A rate limit shared by every worker on one Redis: GCRA (the generic cell rate algorithm, as in
 * redis-cell), one Lua script so that check-and-reserve is atomic. "10/s" spaces runs 100 ms apart across
 * all workers together (Celery's rate_limit is per worker process). A caller that is told to wait has its
 * slot reserved already, so waiting tasks line up instead of retrying in a herd.
 *
 * KEYS[1]  the task's theoretical arrival time (TAT) key
 * ARGV[1]  emission interval in ms (window / count)
 * Returns  0: run now; n > 0: a slot is reserved n ms from now.
 */
import type { RedisConnection } from "./redis-connection.js";
import { TaskDefinitionError } from "../errors.js";
import { parseRate, RATE_EXAMPLES } from "../task/rate.js";

export const GCRA_RESERVE = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
-- The interval may be fractional ("3/s" is 333.33 ms); PX and the answer must be whole milliseconds.
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now + 1000))
return math.ceil(tat - now)
`;

/** "10/s" → 100 (ms between runs). */
export function emissionIntervalMs(rate: string): number {
  const parsed = parseRate(rate);
  if (!parsed) throw new TaskDefinitionError(`invalid rate limit '${rate}': use ${RATE_EXAMPLES}`);
  return parsed.intervalMs;
}

type WithGcra = RedisConnection & { celeriacGcraReserve(key: string, intervalMs: number): Promise<number> };

export function defineRateLimitCommand(redis: RedisConnection): WithGcra {
  if (!("celeriacGcraReserve" in redis)) redis.defineCommand("celeriacGcraReserve", { numberOfKeys: 1, lua: GCRA_RESERVE });
  return redis as WithGcra;
}
