/**
 * celeriac/testing: test a route handler's dispatches without Redis. `fakeQueue(app)` records what the app
 * sends (commit-order aware), asserts on it, and runs it in-process as a worker would.
 */
export { fakeQueue, type ArgsOf, type FakeableApp, type FakeQueue, type RanTask, type RunAllOptions } from "./fake-queue.js";
export { EnqueuedAssertionError, type ArgsExpectation, type SendExpectation } from "./match.js";
export type { SentTask } from "./recording-broker.js";
export type { Outcome } from "../message.js";
