/**
 * `npm run celeriac -- inspect active|scheduled|registered|stats [--json]`, `purge [-Q a,b] --force`, and
 * `staff <email> [--revoke]` (lib/staff.ts: may open /admin). Imports are lazy so that `staff` needs only
 * the database, not Redis.
 */
const argv = process.argv.slice(2);

if (argv[0] === "staff") {
  const [{ runStaff }, { db }] = await Promise.all([import("@/lib/staff"), import("@/lib/db")]);
  try {
    process.exitCode = await runStaff(argv.slice(1), db);
  } finally {
    await db.$disconnect();
  }
} else {
  const [{ runInspectCli }, { celeriac }] = await Promise.all([import("@/lib/celeriac"), import("@/lib/celery")]);
  process.exitCode = await runInspectCli(celeriac, argv);
}

export {};
