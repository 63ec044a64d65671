/**
 * What an /admin page answers a logged-in user who is not staff, with HTTP 403: pageGate() calls Next's
 * forbidden() (experimental.authInterrupts, next.config.ts), which renders this file. The API answers 403
 * JSON with the same message instead.
 */
import { ADMIN_MESSAGES } from "@/lib/admin-auth";
import { adminUser } from "@/lib/admin-guard";

export default async function Forbidden() {
  const user = await adminUser();
  return (
    <main>
      <h1>403: staff only</h1>
      <p className="error" role="alert" data-testid="forbidden">
        {ADMIN_MESSAGES.forbidden}
      </p>
      {user && <p>You are logged in as {user.name}.</p>}
    </main>
  );
}
