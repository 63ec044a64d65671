/** Picks the result store's driver from the database URL: PostgreSQL (`postgres://…`) or a SQLite file (`file:…`). */
import { ConfigError } from "../errors";
import { PostgresResultSql } from "./postgres";
import type { ResultSql } from "./sql";
import { SqliteResultSql } from "./sqlite";

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:/.test(url);
}

export function openResultSql(url: string): ResultSql {
  if (isPostgresUrl(url)) return PostgresResultSql.open(url);
  if (url.startsWith("file:")) return new SqliteResultSql(url);
  throw new ConfigError(`databaseUrl must be a PostgreSQL URL (postgresql://…) or a SQLite file (file:…); got '${url.split(":")[0]}:…'`);
}
