import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "celeriac demo",
  description: "Background tasks for Next.js: the demo app",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <nav className="top">
          <Link href="/">add demo</Link>
          <Link href="/articles">articles</Link>
          <Link href="/signup">sign up</Link>
          <Link href="/login">log in</Link>
          <Link href="/forgot-password">forgot password</Link>
          <Link href="/admin/periodic-tasks">admin</Link>
        </nav>
        {children}
      </body>
    </html>
  );
}
