/**
 * createCeleriac(): the framework's composition root, called once by the app's lib/celery.ts (Django's
 * proj/celery.py). It resolves settings, picks the broker (BullMQ, or eager) and the result store, and
 * hands out `task()` and `AsyncResult.from()` bound to them. Creating an app opens no connection: the
 * broker connects on first use, so importing a task module from a route handler is free.
 */
import { hostname as osHostname } from "node:os";
import { redactUrl, type Broker } from "./broker/broker";
import { BullmqBroker } from "./broker/bullmq";
import { EagerBroker } from "./broker/eager";
import { resolveConfig, type ResolvedConfig, type Settings } from "./config";
import { makeTask, type Task } from "./dispatch/apply";
import { createLogger, type Logger } from "./log";
import { AsyncResult } from "./results/async-result";
import type { ResultBackend } from "./results/backend";
import { PrismaResultBackend, type TaskResultClient } from "./results/prisma";
import { defineTask, type ArgsSchema, type ResultOf, type TaskOptions } from "./task/define";
import { Registry } from "./task/registry";
import { executeMessage } from "./worker/execute";

export interface CeleriacOptions extends Settings {
  /** The app's Prisma client: any client generated from prisma/models (it has the TaskResult model). */
  prisma: TaskResultClient;
  /** The database URL, shown (without its password) in the worker banner. */
  databaseUrl?: string;
}

export interface Celeriac {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  /** Every task defined through this app, by name (the worker uses the discovered ones instead). */
  readonly registry: Registry;
  readonly broker: Broker;
  readonly backend: ResultBackend;
  /** `celeriac@<host>`. */
  readonly hostname: string;
  /** Defines a task bound to this app: `task({ name, args: z.tuple([…]), run })`. */
  task<S extends ArgsSchema, R>(options: TaskOptions<S, R>): Task<S, R>;
  /** `AsyncResult.from<typeof someTask>(id)`: a typed handle on a task id received earlier. */
  readonly AsyncResult: { from<T = unknown>(id: string): AsyncResult<ResultOf<T>> };
  /** Closes the broker's connections. */
  close(): Promise<void>;
}

export function createCeleriac(options: CeleriacOptions): Celeriac {
  const { prisma, databaseUrl, ...settings } = options;
  const config = resolveConfig(settings);
  const log = createLogger(config.logLevel, config.logFormat, { app: config.appName });
  const hostname = `celeriac@${osHostname()}`;
  const registry = new Registry();
  const backend = new PrismaResultBackend(prisma, databaseUrl ? redactUrl(databaseUrl) : "prisma");
  const broker: Broker = config.alwaysEager
    ? new EagerBroker((message) => executeMessage({ lookup: (name) => registry.get(name), backend, hostname, log }, message))
    : new BullmqBroker({ redisUrl: config.redisUrl, keyPrefix: config.keyPrefix });
  const deps = { config, broker, backend };
  return {
    config,
    log,
    registry,
    broker,
    backend,
    hostname,
    task(taskOptions) {
      const task = makeTask(defineTask(taskOptions), deps);
      registry.register(task);
      return task;
    },
    AsyncResult: {
      from: (id) => new AsyncResult(id, backend, config.resultPollIntervalMs),
    },
    close: () => broker.close(),
  };
}
