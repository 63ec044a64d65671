/**
 * A positive integer id as text, canonical decimal only: "7", never "07", "+7", "7.0", "7e0", " 7" or "0x7".
 * One spelling per id, so an id read from a URL or a cookie is exactly the one that was written (a cookie
 * value `07.<exp>.<sig>` must not pass for user 7's, nor a URL /api/articles/1e3 for article 1000).
 */
import { MAX_PRISMA_INT } from "celeriac";

const CANONICAL = /^[1-9][0-9]{0,15}$/;

/**
 * The number `text` spells, or undefined when it is not a canonical positive decimal of at most `max` (by
 * default a Prisma `Int` column's largest: a larger id is a query error, not "none").
 */
export function parseDecimalId(text: string, max = MAX_PRISMA_INT): number | undefined {
  if (!CANONICAL.test(text)) return undefined;
  const id = Number(text);
  return id <= max ? id : undefined;
}
