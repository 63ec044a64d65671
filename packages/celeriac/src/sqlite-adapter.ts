/**
 * Prisma's better-sqlite3 adapter with transaction isolation (`celeriac/sqlite-adapter`): an app on SQLite
 * creates its Prisma client with it, `new PrismaClient({ adapter: new IsolatedSQLite3({ url }) })`, so that
 * `transaction()` and dispatch on commit mean on SQLite what they mean on PostgreSQL.
 *
 * The adapter has one SQLite connection per client. Its mutex orders interactive transactions, but a
 * query made outside a transaction runs on that same connection at once, even while another request's
 * transaction is open: it reads that transaction's uncommitted rows, and a write it makes is undone if
 * that transaction rolls back (found by the repository's `npm run bench`, section 3). This wrapper makes every query outside
 * a transaction wait until no transaction is open, which is what a second connection to the database
 * would see. Code inside `transaction(fn)` must use `tx`; a query on the outer client from inside waits
 * for the transaction and so times out, as it would block on SQLite's write lock.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

type Adapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;
type Transaction = Awaited<ReturnType<Adapter["startTransaction"]>>;

function isolate(adapter: Adapter): Adapter {
  let open: Promise<void> | undefined; // settles when the open transaction commits or rolls back
  const whenNoTransaction = async () => {
    while (open) await open;
  };
  const startTransaction = adapter.startTransaction.bind(adapter);
  const queryRaw = adapter.queryRaw.bind(adapter);
  const executeRaw = adapter.executeRaw.bind(adapter);

  adapter.startTransaction = async (isolationLevel) => {
    const tx: Transaction = await startTransaction(isolationLevel); // waits for the previous transaction
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    open = closed;
    const end = () => {
      if (open === closed) open = undefined;
      close();
    };
    const commit = tx.commit.bind(tx);
    const rollback = tx.rollback.bind(tx);
    tx.commit = () => commit().finally(end);
    tx.rollback = () => rollback().finally(end);
    return tx;
  };
  // better-sqlite3 is synchronous: once the wait is over, the query runs before anything else can start.
  adapter.queryRaw = async (query) => (await whenNoTransaction(), queryRaw(query));
  adapter.executeRaw = async (query) => (await whenNoTransaction(), executeRaw(query));
  return adapter;
}

export class IsolatedSQLite3 extends PrismaBetterSQLite3 {
  override async connect(): Promise<Adapter> {
    return isolate(await super.connect());
  }
}
