/** Sign up (seed 004): the account is created in a transaction; the welcome mail is a task sent on commit. */
import { SignupForm } from "./signup-form";

export default function SignupPage() {
  return (
    <main>
      <h1>Sign up</h1>
      <p className="lead">
        Creating the account commits the user, then dispatches <code>emails.sendWelcome</code> with its id. The page
        answers at once; a worker sends the mail.
      </p>
      <SignupForm />
    </main>
  );
}
