/**
 * The app's Prisma client, one per process: SQLite through the better-sqlite3 driver adapter. The web
 * server (app.ts), the tasks (tasks/) and celeriac (lib/celery.ts) all use this one.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";

/** `file:./dev.db` is relative to the working directory: run the server and the worker from this folder. */
export const DATABASE_URL = process.env.DATABASE_URL ?? "file:./dev.db";

export const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: DATABASE_URL }) });
