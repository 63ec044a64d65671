/** A body that yields `chunk` `times` times, counting how many chunks were pulled from it and whether it was cancelled. */
export function countedStream(chunk: Uint8Array, times: number) {
  const counter = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled === times) return controller.close();
      counter.pulled += 1;
      controller.enqueue(chunk);
    },
    cancel() {
      counter.cancelled = true;
    },
  });
  return { stream, counter };
}
