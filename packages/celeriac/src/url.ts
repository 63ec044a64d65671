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

/**
 * The URL with its passwords replaced by stars: the one in the user part and any query parameter named
 * like one (`?sentinelPassword=`). URLs that the URL parser refuses, such as a Redis Cluster's list of
 * hosts (`redis://:pw@h1:7000,h2:7000`), are redacted by their shape.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const secrets = [...u.searchParams.keys()].filter((key) => /password/i.test(key));
    if (!u.password && secrets.length === 0) return url;
    if (u.password) u.password = "****";
    for (const key of secrets) u.searchParams.set(key, "****");
    return u.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:).*@/i, "$1****@").replace(/([?&][^=&#]*password[^=&#]*=)[^&#]*/gi, "$1****");
  }
}
