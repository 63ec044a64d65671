/**
 * A valid body for each method of a route that takes one, so the corpus can break one field of a request the
 * route would otherwise accept (a NUL in a title only reaches the database when the body is otherwise fine).
 *
 * Learned from the route itself: the body `{}` is sent, and each field its 400 answer names
 * (`fields: { title: "Invalid input: expected string, received undefined" }`) is filled with a plausible value
 * of the type the message expects, until the route stops naming fields (at most five rounds). A new route is
 * covered without touching this file; SEED_BODIES holds the bodies the answers cannot teach: a discriminated
 * union such as a periodic task's schedule, and the dashboard's (its 400s name one `field`, and every write
 * carries a `requestKey`, which the corpus makes fresh for each request).
 */
import type { Outcome } from "./client";
import { isObject, leafAt, withLeaf, type BodyObject, type BodyValue } from "./json-text";

const REQUEST_KEY = "fuzz-request-key-0";

/** Valid bodies the 400 answers cannot teach, by "METHOD /template". */
export const SEED_BODIES: Record<string, BodyObject> = {
  "POST /api/admin/periodic-tasks": {
    name: "fuzz periodic task",
    task: "demo.add",
    args: [1, 2],
    schedule: { kind: "interval", every: 3600, period: "seconds" },
    description: "made by the fuzz suite",
    requestKey: REQUEST_KEY,
  },
  "PUT /api/admin/periodic-tasks/[id]": {
    name: "fuzz periodic task (edited)",
    task: "demo.add",
    args: [2, 3],
    schedule: { kind: "crontab", minute: "0", hour: "4", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", timezone: "UTC" },
    enabled: false,
    requestKey: REQUEST_KEY,
  },
  "PATCH /api/admin/periodic-tasks/[id]": { enabled: false, requestKey: REQUEST_KEY },
  "POST /api/admin/periodic-tasks/[id]/run": { requestKey: REQUEST_KEY },
  "POST /api/admin/periodic-tasks/[id]/return-to-settings": { requestKey: REQUEST_KEY },
  "POST /api/admin/tasks/apply": { task: "demo.add", args: [1, 2], countdown: 0, requestKey: REQUEST_KEY },
  "POST /api/admin/tasks/retry": { filter: { status: ["FAILURE"], name: "demo.add", q: "fuzz" }, expected: 0, requestKey: REQUEST_KEY },
  "POST /api/admin/tasks/[id]/retry": { requestKey: REQUEST_KEY },
  // The page demo's URL: "fuzz" is never one. The suite's worker cannot reach it (no network): its chain fails, sent once per case.
  "POST /api/pages": { url: "https://example.com/" },
  "POST /api/admin/tasks/[id]/revoke": { terminate: false, requestKey: REQUEST_KEY },
  // The workers' ids and the queues' names are never among the ids the corpus puts in a segment: nothing
  // is shut down, paused or purged (the suite's last test still needs the worker and its queue).
  "POST /api/admin/workers/[id]/shutdown": { requestKey: REQUEST_KEY },
  "POST /api/admin/queues/[name]/pause": { requestKey: REQUEST_KEY },
  "POST /api/admin/queues/[name]/resume": { requestKey: REQUEST_KEY },
  "POST /api/admin/queues/[name]/purge": { expected: 0, requestKey: REQUEST_KEY },
};

export const PLAUSIBLE_PASSWORD = "correct-horse-battery-staple-9";
export const PLAUSIBLE_EMAIL = "fuzz-probe@example.com";

/** A value of `type` ("string", "number"…) that a field called `name` would accept. */
export function plausible(type: string, name: string): BodyValue {
  switch (type) {
    case "number":
    case "int":
      return 2;
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return {};
    default:
      if (/email/i.test(name)) return PLAUSIBLE_EMAIL;
      if (/password/i.test(name)) return PLAUSIBLE_PASSWORD;
      return "fuzz";
  }
}

const BODY_METHODS = ["POST", "PUT", "PATCH"];

/**
 * A valid body for each of `methods` that takes one: SEED_BODIES first, else learned by `ask` (which sends
 * a JSON body as a staff user's same-origin request and returns the outcome).
 */
export async function learnBodies(template: string, methods: readonly string[], ask: (method: string, body: BodyObject) => Promise<Outcome>): Promise<Record<string, BodyObject>> {
  const bodies: Record<string, BodyObject> = {};
  for (const method of methods.filter((m) => BODY_METHODS.includes(m))) {
    const seed = SEED_BODIES[`${method} ${template}`];
    const learned = seed ?? (await learnBody(method, ask));
    if (learned) bodies[method] = learned;
  }
  return bodies;
}

async function learnBody(method: string, ask: (method: string, body: BodyObject) => Promise<Outcome>): Promise<BodyObject | undefined> {
  let body: BodyObject = {};
  for (let round = 0; round < 5; round++) {
    const outcome = await ask(method, body);
    if (outcome.kind !== "answer" || outcome.status !== 400) break;
    let fields: unknown;
    try {
      fields = (JSON.parse(outcome.body.toString("utf8")) as { fields?: unknown }).fields;
    } catch {
      break;
    }
    if (!isObject(fields)) break;
    let changed = false;
    for (const [field, message] of Object.entries(fields)) {
      const path = field.split(".");
      const expected = /expected (\w+)/.exec(String(message))?.[1];
      const current = leafAt(body, path);
      const value = expected ? plausible(expected, path[path.length - 1]) : plausible(typeof current, path[path.length - 1]);
      // "body" names the body itself (lib/http's zodFieldErrors) when the route wants no object there, or a field so named.
      if ((field === "body" && /received object/.test(String(message))) || JSON.stringify(current) === JSON.stringify(value)) continue;
      body = withLeaf(body, path, value);
      changed = true;
    }
    if (!changed) break;
  }
  return Object.keys(body).length > 0 ? body : undefined;
}
