/**
 * Time units, one table: the letters of an interval (every("1h30m")) and of a rate ("10/m"). A leaf
 * module (imports nothing), so the client-safe entry (celeriac/states) can re-export what is built on it.
 */
export const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type TimeUnit = keyof typeof UNIT_MS;
