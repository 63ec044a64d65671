/**
 * Next's start-up hook, in the Node.js runtime: the web server's checks (environment, database schema) and
 * what it answers before Next (a body over its limit, TRACE, an unreadable router state, a database that is
 * not migrated): lib/server-boot.ts.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await (await import("@/lib/server-boot")).bootServer();
}
