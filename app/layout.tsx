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
        </nav>
        {children}
      </body>
    </html>
  );
}
