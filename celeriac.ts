/**
 * `npm run celeriac -- inspect active|scheduled|registered|stats [--json]`, `purge [-Q a,b] --force`,
 * `control shutdown <worker>|pause <queue>|resume <queue>`, and `staff <email> [--revoke]` (lib/staff.ts: may open /admin). Imports are lazy so that `staff` needs only
 * the database, not Redis (creating the app opens no connection). A wrong environment (an invalid setting,
 * SECRET_KEY missing in production, a database that is not migrated, does not answer or cannot be opened)
 * is one message without a stack and exit 78, as for the worker and beat.
 */
const argv = process.argv.slice(2);

if (argv[0] === "staff") {
  const [{ runStaff }, { checkDatabaseOnce, EX_CONFIG, exitOnStartupError, isStartupError }] = await Promise.all([import("@/lib/staff"), import("celeriac")]);
  const [{ db }, { celeriac }] = await Promise.all([import("@/lib/db"), import("@/lib/celery")]).catch((error: unknown) => exitOnStartupError(error, "celeriac"));
  try {
    process.exitCode = await runStaff(argv.slice(1), db, console, () => checkDatabaseOnce(celeriac));
  } catch (error) {
    // The check passed, then a table went missing: still the schema's message.
    const refusal = isStartupError(error) ? error : await celeriac.schema.explain(error);
    if (!refusal) throw error;
    process.stderr.write(`Error: ${refusal.message}\n`);
    process.exitCode = EX_CONFIG;
  } finally {
    await Promise.all([db.$disconnect(), celeriac.close()]);
  }
} else {
  const [{ runInspectCli }, { exitOnStartupError }] = await Promise.all([import("celeriac/cli"), import("celeriac")]);
  const { celeriac } = await import("@/lib/celery").catch((error: unknown) => exitOnStartupError(error, "celeriac"));
  process.exitCode = await runInspectCli(celeriac, argv);
}

export {};
