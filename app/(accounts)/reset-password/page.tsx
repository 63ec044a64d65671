/**
 * Reset password (seed 004): `/reset-password?token=…` from the reset mail. The token is checked as the page
 * renders, so an expired or used link says so before anyone types a new password; the form's POST checks
 * it again (it may have been used meanwhile).
 */
import type { Metadata } from "next";
import { checkResetLink, MESSAGES } from "@/lib/accounts";
import { LinkError, ResetForm } from "./reset-form";

export const dynamic = "force-dynamic";
// The URL carries the token: never send it on to another site as a Referer.
export const metadata: Metadata = { title: "Reset your password", referrer: "no-referrer" };

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  const check = typeof token === "string" && token !== "" ? await checkResetLink(token) : null;
  return (
    <main>
      <h1>Choose a new password</h1>
      <p className="lead">Reset links work once, for one hour.</p>
      {check?.ok ? (
        <ResetForm token={token as string} />
      ) : (
        <section className="card" aria-labelledby="link-title">
          <h2 id="link-title">This link cannot be used</h2>
          <LinkError message={check?.message ?? MESSAGES.linkInvalid} />
        </section>
      )}
    </main>
  );
}
