/**
 * The app's Prisma client, one per process: SQLite through celeriac's isolating wrapper of Prisma's
 * better-sqlite3 adapter (a query outside a transaction waits for the open one instead of seeing its
 * uncommitted rows). The web server (app.ts), the tasks (tasks/) and celeriac (lib/celery.ts) all use this one.
 */
import { IsolatedSQLite3 } from "celeriac/sqlite-adapter";
import { PrismaClient } from "../generated/prisma/client";

/** `file:./dev.db` is relative to the working directory: run the server and the worker from this folder. */
export const DATABASE_URL = process.env.DATABASE_URL ?? "file:./dev.db";

export const db = new PrismaClient({ adapter: new IsolatedSQLite3({ url: DATABASE_URL }) });
