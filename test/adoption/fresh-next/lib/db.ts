import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client";

export const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? "file:./dev.db" }) });
