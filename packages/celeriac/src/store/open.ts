/**
 * Picks the task store's implementation from the database URL: PostgreSQL (`postgres://…`) or a SQLite file
 * (`file:…`). The only module that imports the implementations; everything else holds a TaskStore.
 */
import { ConfigError } from "../errors.js";
import { PostgresTaskStore } from "./postgres.js";
import type { TaskStore } from "./store.js";
import { SqliteTaskStore } from "./sqlite.js";
import { isPostgresUrl, isSqliteUrl } from "../url.js";

export function openTaskStore(url: string): TaskStore {
  if (isPostgresUrl(url)) return PostgresTaskStore.open(url);
  if (isSqliteUrl(url)) return new SqliteTaskStore(url);
  throw new ConfigError(`databaseUrl must be a PostgreSQL URL (postgresql://…) or a SQLite file (file:…); got '${url.split(":")[0]}:…'`);
}
