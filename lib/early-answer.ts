/** The answers lib/server-boot.ts gives itself, before Next: shaped as proxy.ts shapes its own. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { API_CSP, STATIC_SECURITY_HEADERS } from "@/lib/security-headers";

/**
 * The request's path, still percent-encoded, without its query, as Next routes it: backslashes and repeated
 * slashes made one slash (Next redirects `//api/add` to `/api/add`, so that is an /api path too).
 */
export function requestPath(request: IncomingMessage): string {
  return (request.url ?? "/").split("?")[0].replace(/[\\/]+/g, "/");
}

/** `{ error: message }` as JSON under /api (as every /api answer), plain text elsewhere, with every security header. */
export function answerEarly(request: IncomingMessage, response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const path = requestPath(request);
  const api = path === "/api" || path.startsWith("/api/");
  const body = api ? `${JSON.stringify({ error: message })}\n` : `${message}\n`;
  response.writeHead(status, {
    ...STATIC_SECURITY_HEADERS,
    "Content-Security-Policy": API_CSP,
    ...headers,
    "Content-Type": api ? "application/json" : "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}
