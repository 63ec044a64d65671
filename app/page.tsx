/** The demo's home page (a server component); the form itself runs in the browser (add-form.tsx). */
import { AddForm } from "./add-form";

export default function Home() {
  return (
    <main>
      <h1>celeriac demo</h1>
      <p className="lead">
        The form enqueues the <code>demo.add</code> task and answers at once; a worker (<code>npm run worker</code>)
        runs it, which takes about two seconds, and the server pushes each state change to this page (server-sent
        events) until it is done.
      </p>
      <AddForm />
    </main>
  );
}
