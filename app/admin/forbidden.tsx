/** What /admin shows a logged-in user who is not staff (the API answers 403 JSON instead). */
import { ADMIN_MESSAGES } from "@/lib/admin-auth";

export function Forbidden({ name }: { name?: string }) {
  return (
    <main>
      <h1>403: staff only</h1>
      <p className="error" role="alert" data-testid="forbidden">
        {ADMIN_MESSAGES.forbidden}
      </p>
      {name && <p>You are logged in as {name}.</p>}
    </main>
  );
}
