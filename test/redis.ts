/** Redis helpers for tests (unique key prefixes and their cleanup): the framework's test helpers, shared by the demo's tests. */
export { deleteKeys, keysUnder, REDIS_URL, uniquePrefix, withBullQueue } from "../packages/celeriac/test/redis";
