/**
 * `npm run celeriac -- inspect active|scheduled|registered|stats [--json]`, `purge [-Q a,b] --force`, and
 * `staff <email> [--revoke]` (lib/staff.ts: may open /admin). Imports are lazy so that `staff` needs only
 * the database, not Redis (creating the app opens no connection). A database that is not migrated is one
 * line and exit 78, as for the worker and beat.
 */
const argv = process.argv.slice(2);

if (argv[0] === "staff") {
  const [{ runStaff }, { db }, { celeriac }, { EX_CONFIG }] = await Promise.all([import("@/lib/staff"), import("@/lib/db"), import("@/lib/celery"), import("@/lib/celeriac")]);
  try {
    process.exitCode = await runStaff(argv.slice(1), db);
  } catch (error) {
    const notMigrated = await celeriac.schema.explain(error);
    if (!notMigrated) throw error;
    process.stderr.write(`Error: ${notMigrated.message}\n`);
    process.exitCode = EX_CONFIG;
  } finally {
    await Promise.all([db.$disconnect(), celeriac.close()]);
  }
} else {
  const { runInspectCli, exitOnStartupError } = await import("@/lib/celeriac");
  const { celeriac } = await import("@/lib/celery").catch((error: unknown) => exitOnStartupError(error, "celeriac"));
  process.exitCode = await runInspectCli(celeriac, argv);
}

export {};
