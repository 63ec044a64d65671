/**
 * Fire-and-forget group commit: items handed in are flushed together, at once when idle and, while a
 * flush is in flight, gathered into the next one. For writes off a request's path whose loss costs only
 * a later repair (PENDING rows, outbox "sent" marks): a failed flush is reported, not retried. A caller
 * that must know its item is written (an owned PENDING row) awaits what add() returns.
 */
export interface GroupCommit<T> {
  /** Queues the item; resolves once the flush that carried it is done, written or failed (never rejects). */
  add(item: T): Promise<void>;
  /** Resolves once everything added so far has been flushed (or failed). */
  idle(): Promise<void>;
}

export function groupCommit<T>(flush: (items: T[]) => Promise<void>, onError: (error: unknown, items: T[]) => void): GroupCommit<T> {
  let waiting: T[] = [];
  /** Settles the waiting items' add() promises: made with the first item of each batch. */
  let settled: { promise: Promise<void>; resolve: () => void } | undefined;
  let running: Promise<void> | undefined;
  const drain = async () => {
    while (waiting.length) {
      const items = waiting;
      const done = settled!;
      waiting = [];
      settled = undefined;
      try {
        await flush(items);
      } catch (error) {
        onError(error, items);
      } finally {
        done.resolve();
      }
    }
  };
  const start = () => {
    running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain).finally(() => {
      running = undefined;
      if (waiting.length) start();
    });
  };
  return {
    add(item) {
      waiting.push(item);
      if (!settled) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        settled = { promise, resolve };
      }
      start();
      return settled.promise;
    },
    async idle() {
      while (running) await running;
    },
  };
}
