/**
 * URLs fit for banners, logs and task results: a leaf module (imports nothing), shared by the broker, the
 * result store's description and the mail transport, so a password never reaches any of them.
 */

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
