/**
 * `npm run celeriac -- staff <email> [--revoke]` (Django's createsuperuser, for an account that exists):
 * marks the user with that email as staff, so they may open /admin; --revoke takes it back. The user signs
 * up first (/signup). Exit codes: 0 done, 1 no such user, 2 bad usage, 78 a database that is not migrated,
 * does not answer or cannot be used, or an invalid environment (celeriac.ts).
 */
import { parseArgs } from "node:util";

export const STAFF_USAGE = `usage: npm run celeriac -- staff <email> [--revoke]
  marks an existing user (sign up first at /signup) as staff: they may open /admin
  --revoke   takes staff access away again`;

export type StaffCommand = { help: true } | { help: false; email: string; revoke: boolean };

/** Reads `staff`'s arguments (after the word "staff"); throws an Error saying what is wrong. */
export function parseStaffArgs(argv: readonly string[]): StaffCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { revoke: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new Error("staff: which user? give their email");
  if (positionals.length > 1) throw new Error(`staff: one email at a time (got ${positionals.length} arguments)`);
  const email = positionals[0].trim().toLowerCase(); // as sign-up stores it (lib/accounts.ts emailField)
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`staff: "${positionals[0]}" is not an email address`);
  return { help: false, email, revoke: values.revoke ?? false };
}

interface StaffDb {
  user: {
    updateMany(args: { where: { email: string }; data: { isStaff: boolean } }): Promise<{ count: number }>;
  };
}

/** Runs the command; returns the exit code. `ready` checks the database before the first write (help and usage need none). */
export async function runStaff(
  argv: readonly string[],
  db: StaffDb,
  out: { log(line: string): void; error(line: string): void } = console,
  ready: () => Promise<void> = async () => undefined,
): Promise<number> {
  let command: StaffCommand;
  try {
    command = parseStaffArgs(argv);
  } catch (error) {
    out.error(`${(error as Error).message}\n${STAFF_USAGE}`);
    return 2;
  }
  if (command.help) {
    out.log(STAFF_USAGE);
    return 0;
  }
  await ready();
  const { count } = await db.user.updateMany({ where: { email: command.email }, data: { isStaff: !command.revoke } });
  if (count === 0) {
    out.error(`staff: no user with email ${command.email} (sign up first at /signup)`);
    return 1;
  }
  out.log(command.revoke ? `${command.email} is no longer staff.` : `${command.email} is now staff: they may open /admin.`);
  return 0;
}
