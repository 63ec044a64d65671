/**
 * Fire-and-forget group commit: items handed in are flushed together, at once when idle and, while a
 * flush is in flight, gathered into the next one. For writes off a request's path whose loss costs only
 * a later repair (PENDING rows, outbox "sent" marks): a failed flush is reported, not retried.
 */
export interface GroupCommit<T> {
  add(item: T): void;
  /** Resolves once everything added so far has been flushed (or failed). */
  idle(): Promise<void>;
}

export function groupCommit<T>(flush: (items: T[]) => Promise<void>, onError: (error: unknown, items: T[]) => void): GroupCommit<T> {
  let waiting: T[] = [];
  let running: Promise<void> | undefined;
  const drain = async () => {
    while (waiting.length) {
      const items = waiting;
      waiting = [];
      await flush(items).catch((error: unknown) => onError(error, items));
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
      start();
    },
    async idle() {
      while (running) await running;
    },
  };
}
