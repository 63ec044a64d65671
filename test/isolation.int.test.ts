/**
 * Requests sharing one database client must not see or undo each other's transactions. PostgreSQL gives
 * this; on SQLite it takes celeriac/sqlite-adapter (packages/celeriac/src/sqlite-adapter.ts) (Prisma's adapter runs other queries inside whatever
 * transaction is open on its single connection).
 */
import { afterAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createDb } from "@/lib/db";

const db = createDb(inject("databaseUrl"));
afterAll(() => db.$disconnect());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("one client, concurrent requests", () => {
  it("a write outside a transaction survives another request's rollback", async () => {
    const title = `survivor-${Date.now()}`;
    const rolledBack = db
      .$transaction(async (tx) => {
        await tx.article.create({ data: { title: `${title}-doomed`, body: "b" } });
        await sleep(300);
        throw new Error("roll back");
      })
      .catch(() => "rolled back");
    await sleep(50); // the transaction is open now
    await db.article.create({ data: { title, body: "b" } });
    expect(await rolledBack).toBe("rolled back");
    expect(await db.article.count({ where: { title } })).toBe(1);
    expect(await db.article.count({ where: { title: `${title}-doomed` } })).toBe(0);
  });

  it("a read outside a transaction does not see another request's uncommitted rows", async () => {
    const title = `uncommitted-${Date.now()}`;
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const open = db.$transaction(async (tx) => {
      await tx.article.create({ data: { title, body: "b" } });
      await hold;
      throw new Error("roll back");
    });
    await sleep(50);
    const read = db.article.count({ where: { title } }).then((n) => n); // Prisma queries are lazy: start it now
    release();
    await open.catch(() => undefined);
    expect(await read).toBe(0);
  });
});
