/**
 * The largest value of a Prisma `Int` column (32-bit on SQLite and PostgreSQL): a larger one is a query
 * error (PostgreSQL's "out of range"), not a row. What the framework holds its own Int fields to (a periodic
 * task's interval and expiry), and what the app holds ids read from URLs and cookies to.
 */
export const MAX_PRISMA_INT = 2 ** 31 - 1;
