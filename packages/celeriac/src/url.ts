/**
 * URLs: which database a URL names, and URLs fit for banners, logs and task results. A leaf module
 * (imports nothing), shared by the result store's driver choice, the broker, the result store's
 * description and the mail transport (so a password never reaches any of them), and exported for apps
 * that pick their Prisma client by the same rule.
 */

/** A PostgreSQL connection URL: `postgresql://…` or `postgres://…`. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** A SQLite database file: `file:./dev.db`, `file:/abs/path.db`. */
export function isSqliteUrl(url: string): boolean {
  return url.startsWith("file:");
}

/** The URL with its password replaced by stars; anything that does not parse as a URL is returned as is. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "****";
    return u.toString();
  } catch {
    return url;
  }
}
