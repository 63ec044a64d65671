/**
 * A positive integer id as text, canonical decimal only: "7", never "07", "+7", "7.0", "7e0", " 7" or "0x7".
 * One spelling per id, so an id read from a URL or a cookie is exactly the one that was written (a cookie
 * value `07.<exp>.<sig>` must not pass for user 7's, nor a URL /api/articles/1e3 for article 1000).
 */
const CANONICAL = /^[1-9][0-9]{0,15}$/;

/** The largest id of a Prisma `Int` column (32-bit on SQLite and PostgreSQL): a larger one is a query error, not "none". */
export const MAX_INT_ID = 2 ** 31 - 1;

/** The number `text` spells, or undefined when it is not a canonical positive decimal of at most `max`. */
export function parseDecimalId(text: string, max = MAX_INT_ID): number | undefined {
  if (!CANONICAL.test(text)) return undefined;
  const id = Number(text);
  return id <= max ? id : undefined;
}
