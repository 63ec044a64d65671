/** What Chromium reports when a page's Content-Security-Policy blocks something: collected, so a test can expect none. */
import type { Page } from "@playwright/test";

export function watchCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
  });
  return violations;
}
