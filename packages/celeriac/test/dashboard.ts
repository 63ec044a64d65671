/**
 * A dashboard over a test harness, for the dashboard's integration tests: `call()` drives
 * `dashboard.handle(new Request(…))` directly, as a browser on the dashboard's own origin would (the
 * same-origin headers), with who is asking in the `x-test-role` header that the test's authorize() reads:
 *
 *   "staff" (the default) → "staff"; "ada" → { staff: "ada@example.com" }; "denied"; null → "login"
 */
import { randomUUID } from "node:crypto";
import { createDashboard, type Authorization, type Dashboard, type DashboardOptions } from "../src/dashboard/index.js";
import { createHarness, type Harness } from "./harness.js";

export const ORIGIN = "http://dashboard.test";

export type Role = "staff" | "ada" | "denied" | null;

function authorize(request: Request): Authorization {
  const role = request.headers.get("x-test-role");
  if (role === "staff") return "staff";
  if (role === "ada") return { staff: "ada@example.com" };
  if (role === "denied") return "denied";
  return "login";
}

export interface CallOptions {
  role?: Role;
  /** A JSON body (an object gets a fresh requestKey unless it has one or `key` is false). */
  body?: unknown;
  /** Sent as the body as it is, instead of `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Sec-Fetch-Site. @defaultValue "same-origin" */
  site?: string;
  /** Add a requestKey to an object body. @defaultValue true */
  key?: boolean;
  signal?: AbortSignal;
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface DashboardHarness extends Harness {
  dashboard: Dashboard;
  /** A request to the dashboard (`path` below apiPath for "api", absolute otherwise), its answer read as JSON when it is JSON. */
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Answer<T>>;
  /** The Request call() would make. */
  request(method: string, path: string, options?: CallOptions): Request;
}

export function createDashboardHarness(label: string, options: Partial<Omit<DashboardOptions, "app" | "authorize">> = {}): DashboardHarness {
  const harness = createHarness(label);
  const dashboard = createDashboard({ app: harness.app, authorize, ...options });
  const request = (method: string, path: string, o: CallOptions = {}) => {
    const { role = "staff", site = "same-origin", key = true } = o;
    const headers: Record<string, string> = { "sec-fetch-site": site, origin: ORIGIN, ...o.headers };
    if (role !== null) headers["x-test-role"] = role;
    let body: string | undefined = o.raw;
    if (body === undefined && o.body !== undefined) {
      const value = key && typeof o.body === "object" && o.body !== null && !Array.isArray(o.body) && !("requestKey" in o.body) ? { requestKey: randomUUID(), ...o.body } : o.body;
      body = JSON.stringify(value);
    }
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const url = path.startsWith("/") ? `${ORIGIN}${path}` : `${ORIGIN}/api/admin/${path}`;
    return new Request(url, { method, headers, body, signal: o.signal });
  };
  return {
    ...harness,
    dashboard,
    request,
    async call(method, path, o) {
      const response = await dashboard.handle(request(method, path, o));
      const type = response.headers.get("content-type") ?? "";
      const body = type.startsWith("application/json") ? await response.json() : await response.text();
      return { status: response.status, headers: response.headers, body };
    },
    async close() {
      await dashboard.close();
      await harness.close();
    },
  };
}

/** Reads SSE events (type and parsed data) from a stream until `until` holds of one; returns every one read. */
export async function readEvents(body: ReadableStream<Uint8Array>, until: (event: { event: string; data: any }) => boolean): Promise<Array<{ event: string; data: any }>> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const seen: Array<{ event: string; data: any }> = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before the awaited event (seen: ${seen.map((e) => e.event).join(", ")})`);
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = [...frame.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join("\n");
      if (event === undefined) continue;
      const parsed = { event, data: JSON.parse(data) };
      seen.push(parsed);
      if (until(parsed)) {
        reader.releaseLock();
        return seen;
      }
    }
  }
}

/** Polls `read` until `done` holds of its value (every 50 ms, at most `timeoutMs`). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
