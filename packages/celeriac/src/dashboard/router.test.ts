import { describe, expect, it } from "vitest";
import { HttpError } from "./http.js";
import { Router, type ApiRoute, type Method } from "./router.js";

const route = (method: Method, path: string): ApiRoute => ({ method, path, handle: async () => new Response(path) });
const router = new Router([
  route("GET", "tasks"),
  route("GET", "tasks/facets"),
  route("POST", "tasks/retry"),
  route("GET", "tasks/:id"),
  route("POST", "tasks/:id/retry"),
  route("GET", "periodic-tasks/:id"),
  route("PUT", "periodic-tasks/:id"),
  route("DELETE", "periodic-tasks/:id"),
]);

function refusal(method: string, path: string): HttpError {
  try {
    router.match(method, path);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error(`${method} ${path} matched`);
}

describe("Router", () => {
  it("matches static segments before parameters, and decodes parameters", () => {
    expect(router.match("GET", "tasks/facets").route.path).toBe("tasks/facets");
    expect(router.match("GET", "tasks/abc").params).toEqual({ id: "abc" });
    expect(router.match("POST", "tasks/a%3Ab/retry").params).toEqual({ id: "a:b" });
    expect(router.match("HEAD", "tasks").route.method).toBe("GET");
  });

  it("answers 405 with Allow for a known path in another method, and never falls from a static route to a parameter one", () => {
    const wrong = refusal("PATCH", "periodic-tasks/3");
    expect(wrong.status).toBe(405);
    expect(wrong.headers).toEqual({ allow: "GET, HEAD, PUT, DELETE" });
    expect(refusal("GET", "tasks/retry")).toMatchObject({ status: 405, headers: { allow: "POST" } });
  });

  it("answers 404 for paths no route has, 400 for malformed encoding", () => {
    expect(refusal("GET", "nothing").status).toBe(404);
    expect(refusal("GET", "").status).toBe(404);
    expect(refusal("GET", "tasks/a/b/c").status).toBe(404);
    expect(refusal("GET", "tasks/%ZZ").status).toBe(400);
  });
});
