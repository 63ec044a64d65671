/** Log in (seed 004): a signed session cookie; the page shows who is logged in, and their daily digest setting. */
import { headers } from "next/headers";
import { requestUser } from "@/lib/accounts";
import { returnPath } from "@/lib/return-path";
import { DigestSetting } from "./digest-setting";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next } = await searchParams;
  const user = await requestUser((await headers()).get("cookie"));
  return (
    <main>
      <h1>Log in</h1>
      <p className="lead">
        A right password sets an HttpOnly session cookie signed with <code>SECRET_KEY</code> (user id, expiry, and the password it was checked against: a password reset logs it out).
      </p>
      <LoginForm initialName={user?.name ?? null} next={returnPath(typeof next === "string" ? next : null)} />
      {/* Rendered again after a log-in or log-out (the form refreshes the page); a new user gets a fresh box. */}
      {user && <DigestSetting key={user.id} initial={user.dailyDigest} />}
    </main>
  );
}
