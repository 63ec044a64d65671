/** Forgot password (seed 004): asks for a reset link; the answer never says whether the address has an account. */
import { ForgotForm } from "./forgot-form";

export default function ForgotPasswordPage() {
  return (
    <main>
      <h1>Forgot your password?</h1>
      <p className="lead">
        If the address has an account, <code>emails.sendPasswordReset</code> mails it a link valid for one hour. The
        answer is the same either way, so this form cannot be used to find out who has an account.
      </p>
      <ForgotForm />
    </main>
  );
}
