/**
 * fakeQueue(app): a test's stand-in for the queue (Laravel's Queue::fake, Rails' ActiveJob::TestHelper).
 * It puts a recording broker in the app's broker slot, so every dispatch of the app the route handlers
 * import is recorded instead of sent, and no Redis is needed. It sits where the broker does, under the
 * framework's own deferral: a `delayOnCommit` inside `transaction()` is recorded at the commit, never after
 * a rollback, exactly as a worker would receive it.
 *
 *   const queue = fakeQueue(celeriac);          // beforeEach
 *   await POST(request);
 *   queue.assertEnqueued(sendWelcomeEmail, [user.id]);
 *   await queue.runAll();                        // runs them as a worker would, results in the store
 *   queue.restore();                             // afterEach
 */
import type { Celeriac } from "../app.js";
import type { Outcome } from "../message.js";
import type { ArgsIn, ArgsSchema, TaskDefinition } from "../task/define.js";
import { executeMessage } from "../worker/execute.js";
import { enqueuedError, matches, notEnqueuedError, type ArgsExpectation, type Expectation, type SendExpectation } from "./match.js";
import { RecordingBroker, type Recorded, type SentTask } from "./recording-broker.js";

/** The arguments a task's `.delay()` takes, from its definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any result type
export type ArgsOf<T> = T extends TaskDefinition<infer S extends ArgsSchema, any> ? ArgsIn<S> : never;

/** A task the test names: the object its module exports (only its name and types are used). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- run's parameters are contravariant
type AnyTask = TaskDefinition<any, any>;

/** A recorded send that runAll ran, with how it ended (the outcome its result row records). */
export interface RanTask extends SentTask {
  readonly outcome: Outcome;
}

export interface RunAllOptions {
  /** Stop with an error after this many runs: a task that keeps sending itself would never end. @defaultValue 1000 */
  maxTasks?: number;
  /** Resolve even when a task ended FAILURE (its outcome says so) instead of rejecting. @defaultValue false */
  allowFailures?: boolean;
}

export interface FakeQueue {
  /** Every send recorded since the fake was installed (or last cleared), in the order the broker got them. */
  readonly sent: readonly SentTask[];
  /**
   * Throws unless `task` was sent with these arguments (deep equality, or a test of the arguments; any when
   * omitted) and these options; `times`: exactly that many such sends. Returns the first matching send.
   */
  assertEnqueued<T extends AnyTask>(task: T, args?: ArgsExpectation<ArgsOf<T>>, options?: SendExpectation): SentTask<ArgsOf<T>>;
  /** Throws if `task` was sent (with these arguments, when given). */
  assertNotEnqueued<T extends AnyTask>(task: T, args?: ArgsExpectation<ArgsOf<T>>): void;
  /** Returns the recorded sends and forgets them: they will not run. */
  drain(): SentTask[];
  /**
   * Runs every recorded send not run yet, in order, and those they send, until none is left: each through
   * the worker's execution pipeline in this process (an eager app's), its result written to the app's
   * result store. Countdowns and etas are not waited for; a RETRY runs again at once. Rejects, after
   * running them all, when one ended FAILURE (unless `allowFailures`).
   */
  runAll(options?: RunAllOptions): Promise<RanTask[]>;
  /** Forgets the recorded sends. */
  clear(): void;
  /** Gives the app its own broker back; later sends are no longer recorded. */
  restore(): void;
}

/** What fakeQueue needs of an app: its broker slot, and what a worker runs tasks with. */
export type FakeableApp = Pick<Celeriac, "useBroker" | "registry" | "backend" | "config" | "signals" | "hostname" | "log">;

function failuresError(runs: readonly RanTask[]): Error {
  const failed = runs.filter((run) => run.outcome.status === "FAILURE");
  const lines = failed.map((run) => {
    const { error } = run.outcome as Extract<Outcome, { status: "FAILURE" }>;
    return `  - ${run.name} ${JSON.stringify(run.args)} (${run.id}): ${error.type}: ${error.message}`;
  });
  return new Error(`runAll: ${failed.length} of ${runs.length} tasks failed (pass { allowFailures: true } to get their outcomes instead):\n${lines.join("\n")}`);
}

/** Installs a fake queue on `app` (the one the code under test imports) until `restore()`. */
export function fakeQueue(app: FakeableApp): FakeQueue {
  let recorded: Recorded[] = [];
  let next = 0; // recorded[next…] have not run yet
  const broker: RecordingBroker = new RecordingBroker(
    (message) =>
      executeMessage(
        {
          lookup: (name) => app.registry.get(name),
          backend: app.backend,
          config: app.config,
          signals: app.signals,
          hostname: app.hostname,
          log: app.log,
          isRevoked: (id) => broker.isRevoked(id),
        },
        message,
      ),
    (send) => recorded.push(send),
  );
  const restore = app.useBroker(broker.broker);
  const sentList = () => recorded.map((r) => r.sent);
  const expectation = (task: AnyTask, args?: ArgsExpectation<readonly unknown[]>, options?: SendExpectation): Expectation => ({ name: task.name, args, options });

  return {
    get sent() {
      return sentList();
    },
    assertEnqueued<T extends AnyTask>(task: T, args?: ArgsExpectation<ArgsOf<T>>, options?: SendExpectation) {
      const expected = expectation(task, args as ArgsExpectation<readonly unknown[]>, options);
      const sent = sentList();
      const found = sent.filter((s) => matches(s, expected));
      const enough = options?.times === undefined ? found.length > 0 : found.length === options.times;
      if (!enough) throw notEnqueuedError(expected, sent, found.length);
      return found[0] as SentTask<ArgsOf<T>>;
    },
    assertNotEnqueued<T extends AnyTask>(task: T, args?: ArgsExpectation<ArgsOf<T>>) {
      const expected = expectation(task, args as ArgsExpectation<readonly unknown[]>);
      const sent = sentList();
      const found = sent.filter((s) => matches(s, expected));
      if (found.length > 0) throw enqueuedError(expected, sent, found);
    },
    drain() {
      const sent = sentList();
      recorded = [];
      next = 0;
      return sent;
    },
    async runAll({ maxTasks = 1000, allowFailures = false } = {}) {
      const runs: RanTask[] = [];
      while (next < recorded.length) {
        if (runs.length >= maxTasks) throw new Error(`runAll: ran ${maxTasks} tasks and more are waiting; does a task keep sending itself? (raise maxTasks if not)`);
        const { sent, message } = recorded[next++];
        runs.push({ ...sent, outcome: await broker.run(message) });
      }
      if (!allowFailures && runs.some((run) => run.outcome.status === "FAILURE")) throw failuresError(runs);
      return runs;
    },
    clear() {
      recorded = [];
      next = 0;
    },
    restore,
  };
}
