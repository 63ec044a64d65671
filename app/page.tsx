/** The demo's home page (a server component); the form itself runs in the browser (add-form.tsx). */
import { AddForm } from "./add-form";

export default function Home() {
  return (
    <main>
      <h1>celeriac demo</h1>
      <p className="lead">
        The form enqueues the <code>demo.add</code> task and answers at once; a worker (<code>npm run worker</code>)
        runs it about two seconds later, and this page polls its state until it is done.
      </p>
      <AddForm />
    </main>
  );
}
