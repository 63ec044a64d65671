/**
 * Where the login page sends a user back to: `/login?next=/admin/tasks?status=FAILURE` (the dashboard's
 * redirect for an anonymous visit) returns to that page after a successful login. Only a path on this
 * site is followed: anything that a browser would resolve to another origin (`//evil.example`,
 * `/\evil.example`, `https://…`, a control character) is dropped, so the parameter cannot be used to send
 * a freshly logged-in user elsewhere (an open redirect).
 */

/** `next` when it is a path of this site, else null. */
export function returnPath(next: string | null | undefined): string | null {
  if (!next || next.length > 2000) return null;
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return null;
  // Browsers drop tabs and newlines inside URLs, and treat "\" as "/": "/\t/evil.example" is "//evil.example".
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return null;
  try {
    const base = new URL("http://this.invalid");
    return new URL(next, base).origin === base.origin ? next : null;
  } catch {
    return null;
  }
}
