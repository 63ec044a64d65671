/**
 * The 404 page (notFound(), an unknown path). Next's built-in one is styled with style attributes, which
 * the pages' Content-Security-Policy refuses (proxy.ts): this one uses the app's stylesheet.
 */
import Link from "next/link";

export default function NotFound() {
  return (
    <main>
      <h1>404: not found</h1>
      <p className="lead">There is no page at this address.</p>
      <p>
        <Link href="/">Back to the add demo</Link>
      </p>
    </main>
  );
}
