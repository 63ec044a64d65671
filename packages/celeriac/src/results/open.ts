/** Picks the result store's driver from the database URL: PostgreSQL (`postgres://…`) or a SQLite file (`file:…`). */
import { ConfigError } from "../errors.js";
import { PostgresResultSql } from "./postgres.js";
import type { ResultSql } from "./sql.js";
import { SqliteResultSql } from "./sqlite.js";
import { isPostgresUrl, isSqliteUrl } from "../url.js";

export function openResultSql(url: string): ResultSql {
  if (isPostgresUrl(url)) return PostgresResultSql.open(url);
  if (isSqliteUrl(url)) return new SqliteResultSql(url);
  throw new ConfigError(`databaseUrl must be a PostgreSQL URL (postgresql://…) or a SQLite file (file:…); got '${url.split(":")[0]}:…'`);
}
