/**
 * A process-pool child (Celery's prefork child): loads the app module and the task modules, then runs the
 * messages its parent sends, one at a time, through the same execution pipeline as the async pool, and
 * answers with the outcome. The parent enforces hard time limits and revocation by killing this process.
 *
 * env: CELERIAC_APP_MODULE (`path[:export]`, as `celeriac --app`), CELERIAC_TASKS_DIR, CELERIAC_HOSTNAME.
 * IPC: parent → { run: TaskMessage } | { exit: true };  child → { ready: true } | { done: id, result }.
 */
import { loadApp, parseAppRef } from "../cli/app-module.js";
import type { HandlerResult, TaskMessage } from "../message.js";
import { discoverTasks } from "../task/discover.js";
import { executeMessage } from "./execute.js";

type FromParent = { run: TaskMessage } | { exit: true };

async function main(): Promise<void> {
  const send = (payload: { ready: true } | { done: string; result: HandlerResult }) => process.send!(payload);
  const celeriac = await loadApp(parseAppRef(process.env.CELERIAC_APP_MODULE!));
  const registry = await discoverTasks(process.env.CELERIAC_TASKS_DIR!, celeriac.builtinTasks);
  const deps = {
    lookup: (name: string) => registry.get(name),
    backend: celeriac.backend,
    config: celeriac.config,
    signals: celeriac.signals,
    hostname: process.env.CELERIAC_HOSTNAME ?? celeriac.hostname,
    log: celeriac.log.child({ child: process.pid }),
    isRevoked: (id: string) => celeriac.broker.isRevoked(id),
    waitForStarted: true,
    reserveRate: (task: string, rate: string) => celeriac.broker.reserveRate(task, rate),
    continueWorkflow: celeriac.continueWorkflow,
  };
  process.on("message", (request: FromParent) => {
    if ("exit" in request) {
      void celeriac.close().finally(() => process.exit(0));
      return;
    }
    executeMessage(deps, request.run).then(
      (result) => send({ done: request.run.id, result }),
      (error: unknown) => {
        // Only the result store can throw here, and it retries until the worker stops: give up the child.
        deps.log.error({ err: error }, "child could not run a task; exiting");
        process.exit(1);
      },
    );
  });
  // The parent owns shutdown; a signal to the process group must not kill a task halfway. A parent
  // that died (its IPC channel closed) leaves nobody to answer to: exit, the job will be redelivered.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => undefined);
  process.on("disconnect", () => process.exit(1));
  send({ ready: true });
}

await main();
