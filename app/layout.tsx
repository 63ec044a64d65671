import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "celeriac demo",
  description: "Background tasks for Next.js: the demo app",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request: its Content-Security-Policy allows Next's inline scripts by the
  // request's nonce (proxy.ts), which a page prerendered at build time could not carry.
  await connection();
  return (
    <html lang="en">
      <body>
        <nav className="top">
          <Link href="/">add demo</Link>
          <Link href="/articles">articles</Link>
          <Link href="/pages">pages</Link>
          <Link href="/uploads">uploads</Link>
          <Link href="/signup">sign up</Link>
          <Link href="/login">log in</Link>
          <Link href="/forgot-password">forgot password</Link>
          {/* The dashboard is not a Next page (a route handler serves it: lib/dashboard.ts): a full page load. */}
          <a href="/admin">admin</a>
        </nav>
        {children}
      </body>
    </html>
  );
}
