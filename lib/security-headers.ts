/**
 * The security headers of every answer, in one place:
 *
 *   STATIC_SECURITY_HEADERS   on everything, static files included (next.config.ts headers(), and the
 *                             answers proxy.ts and lib/server-boot.ts give themselves)
 *   pageCsp(nonce)            pages: scripts only from this origin and with the request's nonce, which Next
 *                             puts on its own inline scripts (proxy.ts makes one per request); styles from
 *                             this origin; nothing may frame the page
 *   API_CSP                   JSON answers: nothing at all may load or frame them
 *
 * Pure (no environment read): the callers pass what depends on it.
 */

export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // Scripts and styles are never guessed from content: a JSON answer is never run as a script.
  "X-Content-Type-Options": "nosniff",
  // The reset-password page's URL holds its token: no other site sees it in Referer.
  "Referrer-Policy": "same-origin",
  // frame-ancestors 'none' is the rule; this is for browsers that predate it.
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface PageCspOptions {
  nonce: string;
  /** next dev: React's dev build needs eval (error stacks), and the dev overlay injects inline styles. */
  dev: boolean;
  /** Served over HTTPS (APP_URL): subresources are upgraded, never loaded over plain HTTP. */
  https: boolean;
  /**
   * The dev inbox (/dev/mailbox…) shows a mail's HTML in a sandboxed iframe (no scripts, no same origin):
   * a srcdoc frame inherits the page's policy, and mail HTML is styled with style attributes. The list
   * page too: a client-side navigation from it to a message keeps the list's policy.
   */
  mailPreview?: boolean;
}

export function pageCsp({ nonce, dev, https, mailPreview = false }: PageCspOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' ${dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    ...(mailPreview ? ["style-src-attr 'unsafe-inline'"] : []),
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/** A fresh nonce: 128 random bits, base64. */
export function makeNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}
