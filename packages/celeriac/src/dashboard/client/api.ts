/**
 * The JSON API client: GET with a query, and the mutations, each carrying the `requestKey` that makes a
 * double click do the action once (see api-types.ts). Every non-2xx answer becomes an ApiError with the
 * server's message and, for bad input, the field it names.
 */
import { config } from "./config.js";

export class ApiError extends Error {
  readonly status: number;
  readonly field?: string;

  constructor(message: string, status: number, field?: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    if (field !== undefined) this.field = field;
  }
}

export type QueryValue = string | readonly string[] | number | undefined;

/** `path` is relative to the API root, e.g. "tasks/abc". */
export function apiGet<T>(path: string, query?: Record<string, QueryValue>): Promise<T> {
  const search = query === undefined ? "" : toSearch(query);
  return request<T>("GET", `${apiUrl(path)}${search}`);
}

export function apiSend<T>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: Record<string, unknown>,
): Promise<T> {
  const payload = { ...body, requestKey: body?.requestKey ?? newRequestKey() };
  return request<T>(method, apiUrl(path), JSON.stringify(payload));
}

/** A random id for one confirmed action. getRandomValues, not randomUUID: the latter needs a secure context (https). */
export function newRequestKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function toSearch(query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === "") continue;
    if (typeof value === "string" || typeof value === "number") params.append(key, String(value));
    else for (const item of value) params.append(key, item);
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

function apiUrl(path: string): string {
  return `${config().apiPath}/${path.replace(/^\/+/, "")}`;
}

async function request<T>(method: string, url: string, json?: string): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (json !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: json, credentials: "same-origin" });
  } catch {
    throw new ApiError("The server did not answer: check the connection and try again", 0);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw errorFrom(response, body);
  return body as T;
}

function errorFrom(response: Response, body: unknown): ApiError {
  const { error, field } = (typeof body === "object" && body !== null ? body : {}) as { error?: unknown; field?: unknown };
  const message = typeof error === "string" ? error : `${response.status} ${response.statusText || "error"}`;
  return new ApiError(message, response.status, typeof field === "string" ? field : undefined);
}
