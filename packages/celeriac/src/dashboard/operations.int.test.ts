/**
 * The dashboard's Workers, Queues and Periodic tasks areas against a real app: the live workers and a
 * warm shutdown through Redis, a queue paused, resumed and purged (its count confirmed), periodic tasks
 * saved only when beat could send them, shown with their last and next runs, and run now.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDashboardHarness, eventually, type DashboardHarness } from "../../test/dashboard.js";
import { REDACTED } from "./presenter.js";

const suffix = randomUUID().slice(0, 8);
const QUEUE = `dash-ops-${suffix}`;
let h: DashboardHarness;
const names = { add: `ops.${suffix}.add`, secret: `ops.${suffix}.secret` };

beforeAll(async () => {
  h = createDashboardHarness("dashboard-ops");
  h.app.task({ name: names.add, queue: QUEUE, args: z.tuple([z.number(), z.number()]), run: (_ctx, x, y) => x + y });
  h.app.task({ name: names.secret, queue: QUEUE, args: z.tuple([z.string()]), redactArgs: true, run: () => null });
});
afterAll(async () => {
  await h?.close();
});

describe("workers", () => {
  it("lists a live worker and shuts it down warm; an unknown or stopped one is a 404", async () => {
    const queue = `${QUEUE}-shutdown`;
    const worker = await h.startWorker({ queues: [queue] });
    const mine = async () => ((await h.call("GET", "workers")).body as Array<{ id: string; queues: string[]; state: string }>).find((w) => w.queues.includes(queue));
    const row = await eventually(mine, (w) => w?.state === "online");
    expect(row).toMatchObject({ hostname: "celeriac@test", pid: process.pid, pool: "async", concurrency: 4, running: [], lastHeartbeat: expect.any(String), uptimeS: expect.any(Number) });

    expect(await h.call("POST", `workers/${encodeURIComponent("celeriac@nowhere:1:abc")}/shutdown`, { body: {} })).toMatchObject({ status: 404 });
    const requestKey = randomUUID();
    const asked = await h.call("POST", `workers/${encodeURIComponent(row!.id)}/shutdown`, { body: { requestKey } });
    expect(asked).toMatchObject({ status: 200, body: { ok: true, message: expect.stringMatching(/shut down/) } });
    await worker.shutdownRequested;
    await worker.stop();
    expect((await h.call("POST", `workers/${encodeURIComponent(row!.id)}/shutdown`, { body: { requestKey } })).body.repeated).toBe(true);
    expect((await eventually(mine, (w) => w?.state === "stopped"))?.state).toBe("stopped");
    expect(await h.call("POST", `workers/${encodeURIComponent(row!.id)}/shutdown`, { body: {} })).toMatchObject({ status: 404, body: { error: expect.stringMatching(/stopped/) } });
  });
});

describe("queues", () => {
  const queueRow = async (name: string) => ((await h.call("GET", "queues")).body as Array<{ name: string }>).find((q) => q.name === name);

  it("pauses and resumes a queue, and purges it only for the count the confirmation stated", async () => {
    const queue = `${QUEUE}-levers`;
    const send = () => h.call("POST", "tasks/apply", { body: { task: names.add, args: [1, 2], queue } });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    expect(await queueRow(queue)).toMatchObject({ waiting: 2, paused: false });

    expect((await h.call("POST", `queues/${queue}/pause`, { body: {} })).status).toBe(200);
    expect(await queueRow(queue)).toMatchObject({ paused: true });
    expect((await h.call("POST", `queues/${queue}/resume`, { body: {} })).status).toBe(200);
    expect(await queueRow(queue)).toMatchObject({ paused: false });

    expect(await h.call("POST", `queues/${queue}/purge`, { body: { expected: 3 } })).toMatchObject({ status: 409, body: { field: "expected", error: expect.stringMatching(/2 tasks wait/) } });
    const purged = await h.call("POST", `queues/${queue}/purge`, { body: { expected: 2 } });
    expect(purged).toMatchObject({ status: 200, body: { ok: true, message: expect.stringMatching(/purged 2 tasks/) } });
    expect(await queueRow(queue)).toMatchObject({ waiting: 0 });
  });

  it("an unknown queue is a 404, a name no queue can have too", async () => {
    expect((await h.call("POST", `queues/${QUEUE}-never/pause`, { body: {} })).status).toBe(404);
    expect((await h.call("POST", "queues/no%20such/purge", { body: { expected: 0 } })).status).toBe(404);
  });
});

describe("periodic tasks", () => {
  const body = (over: Record<string, unknown> = {}) => ({ name: `ops-${suffix}-${randomUUID().slice(0, 6)}`, task: names.add, args: [16, 16], schedule: { kind: "interval", every: 30, period: "seconds" }, ...over });

  it("refuses at save a task no one has, and arguments its schema refuses, naming the field and why", async () => {
    const unknown = await h.call("POST", "periodic-tasks", { body: body({ task: "no.such.task" }) });
    expect(unknown).toMatchObject({ status: 400, body: { field: "task", error: expect.stringMatching(/no task named "no.such.task" is registered.*FAILURE/) } });
    const args = await h.call("POST", "periodic-tasks", { body: body({ args: ["sixteen", 16] }) });
    expect(args).toMatchObject({ status: 400, body: { field: "args", error: expect.stringMatching(/argument 0: .*expected number/) } });
    expect(await h.call("POST", "periodic-tasks", { body: body({ schedule: { kind: "crontab", minute: "99" } }) })).toMatchObject({ status: 400, body: { field: "schedule.minute" } });
    expect(await h.call("POST", "periodic-tasks", { body: body({ schedule: { kind: "cron", expression: "x", timezone: "Mars/Olympus" } }) })).toMatchObject({ status: 400, body: { field: expect.stringMatching(/^schedule\./) } });
    expect(await h.call("POST", "periodic-tasks", { body: body({ priority: 0 }) })).toMatchObject({ status: 400, body: { field: "priority" } });
    expect(await h.call("POST", "periodic-tasks", { body: { ...body(), extra: true } })).toMatchObject({ status: 400 });
  });

  it("text a database cannot store and numbers past the columns are a 400 naming the field, on both databases; nothing is written", async () => {
    // Each raw body holds the JSON escape (\u0000, \ud800), as curl would send it.
    const base = body();
    const cases: Array<[raw: string, field: string]> = [
      [JSON.stringify({ ...base, name: "a\u0000" }), "name"],
      [JSON.stringify({ ...base, task: `${names.add}\u0000` }), "task"],
      [JSON.stringify(base).replace(`"${base.name}"`, '"\\ud800"'), "name"],
      [JSON.stringify({ ...base, description: "x" }).replace('"x"', '"\\udfff"'), "description"],
      [JSON.stringify({ ...base, schedule: { kind: "cron", expression: "* * * * *\u0000" } }), "schedule.expression"],
      [JSON.stringify({ ...base, task: names.secret, args: ["a\u0000"] }), "args"],
      // Past what the columns (Int) and BullMQ (priority ≤ 2^21) hold: a 400, not the database's error.
      [JSON.stringify({ ...base, priority: 2 ** 40 }), "priority"],
      [JSON.stringify({ ...base, expireSeconds: 2 ** 40 }), "expireSeconds"],
    ];
    const rows = () => h.db.periodicTask.count({ where: { name: { startsWith: `ops-${suffix}` } } });
    const before = await rows();
    for (const [raw, field] of cases) {
      const answer = await h.call("POST", "periodic-tasks", { raw });
      expect(answer, raw).toMatchObject({ status: 400, body: { field } });
    }
    expect(await rows()).toBe(before);
    const stored = await h.call("POST", "periodic-tasks", { body: { ...body(), description: "every hour 😀" } });
    expect(stored).toMatchObject({ status: 201, body: { description: "every hour 😀" } });
  });

  it("every route on an unknown id is the 404 of that id, whatever it would have done", async () => {
    const definition = body();
    for (const [method, path, payload] of [
      ["GET", "periodic-tasks/999999"],
      ["PUT", "periodic-tasks/999999", definition],
      ["PATCH", "periodic-tasks/999999", { enabled: false }],
      ["DELETE", "periodic-tasks/999999", {}],
      ["POST", "periodic-tasks/999999/run", {}],
      ["POST", "periodic-tasks/999999/return-to-settings", {}],
    ] as const) {
      expect(await h.call(method, path, { body: payload }), `${method} ${path}`).toMatchObject({ status: 404, body: { error: "no periodic task with id 999999" } });
    }
    // Deleted by another request just before this one writes it: the store's check answers, not the database.
    const { id } = await h.app.periodicTasks.create({ ...definition, schedule: { kind: "interval", every: 1, period: "hours" } });
    await h.app.periodicTasks.remove(id);
    expect(await h.call("PUT", `periodic-tasks/${id}`, { body: definition })).toMatchObject({ status: 404, body: { error: `no periodic task with id ${id}` } });
    expect(await h.call("PATCH", `periodic-tasks/${id}`, { body: { enabled: true } })).toMatchObject({ status: 404 });
  });

  it("creates, shows its next 5 runs, edits, disables, runs now and deletes a row", async () => {
    const input = body();
    const requestKey = randomUUID();
    const created = await h.call("POST", "periodic-tasks", { body: { ...input, requestKey } });
    expect(created).toMatchObject({ status: 201, body: { name: input.name, task: names.add, args: [16, 16], source: "admin", scheduleText: "every 30s", problem: null, lastRun: null, enabled: true } });
    expect(created.body.nextRuns).toHaveLength(5);
    expect(new Date(created.body.nextRuns[1]).getTime() - new Date(created.body.nextRuns[0]).getTime()).toBe(30_000);
    const again = await h.call("POST", "periodic-tasks", { body: { ...input, requestKey } });
    expect(again).toMatchObject({ status: 201, body: { id: created.body.id, repeated: true } });
    expect(await h.call("POST", "periodic-tasks", { body: input })).toMatchObject({ status: 409, body: { field: "name" } });

    const id = created.body.id;
    expect((await h.call("GET", `periodic-tasks/${id}`)).body).toMatchObject({ id, name: input.name });
    const list = await h.call("GET", "periodic-tasks");
    expect(list.body).toMatchObject({ timezone: "UTC", beatLeader: null });
    expect(list.body.taskNames).toContain(names.add);
    expect(list.body.tasks.map((t: { id: number }) => t.id)).toContain(id);

    const edited = await h.call("PUT", `periodic-tasks/${id}`, { body: { ...input, args: [1, 2], schedule: { kind: "crontab", minute: "30", hour: "3", timezone: "Europe/Berlin" } } });
    expect(edited).toMatchObject({ status: 200, body: { args: [1, 2], timezone: "Europe/Berlin", schedule: { kind: "crontab", minute: "30", hour: "3" } } });
    expect(await h.call("PUT", `periodic-tasks/${id}`, { body: { ...input, task: "no.such.task" } })).toMatchObject({ status: 400, body: { field: "task" } });
    expect(await h.call("PATCH", `periodic-tasks/${id}`, { body: { enabled: false } })).toMatchObject({ status: 200, body: { enabled: false, nextRuns: [] } });

    const run = await h.call("POST", `periodic-tasks/${id}/run`, { body: {} });
    expect(run).toMatchObject({ status: 200, body: { ok: true, taskId: expect.any(String) } });
    expect((await h.call("GET", `tasks/${run.body.taskId}`)).body).toMatchObject({ name: names.add, args: [1, 2], status: "PENDING", queue: QUEUE });

    expect(await h.call("POST", `periodic-tasks/${id}/return-to-settings`, { body: {} })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/made in the admin/) } });
    const deleteKey = randomUUID();
    expect(await h.call("DELETE", `periodic-tasks/${id}`, { body: { requestKey: deleteKey } })).toMatchObject({ status: 200, body: { deleted: true } });
    expect(await h.call("DELETE", `periodic-tasks/${id}`, { body: { requestKey: deleteKey } })).toMatchObject({ status: 200, body: { deleted: true, repeated: true } });
    expect((await h.call("GET", `periodic-tasks/${id}`)).status).toBe(404);
    expect((await h.call("DELETE", `periodic-tasks/${id}`, { body: {} })).status).toBe(404);
    expect((await h.call("GET", "periodic-tasks/abc")).status).toBe(404);
    expect((await h.call("GET", "periodic-tasks/99999999999999999999")).status).toBe(404);
  });

  it("a settings row: never deleted (it would come back), detached by an edit, handed back by return to settings", async () => {
    const input = body();
    const { id } = await h.app.periodicTasks.create(input as Parameters<typeof h.app.periodicTasks.create>[0]);
    // As beat's sync of settings.beatSchedule leaves it (the sync itself is beat's, tested there).
    await h.db.periodicTask.update({ where: { id }, data: { managed: true, settingsDigest: "from-settings" } });
    expect((await h.call("GET", `periodic-tasks/${id}`)).body).toMatchObject({ source: "settings" });
    expect(await h.call("DELETE", `periodic-tasks/${id}`, { body: {} })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/come back at the next beat sync/) } });
    expect(await h.call("POST", `periodic-tasks/${id}/return-to-settings`, { body: {} })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/already follows settings/) } });
    expect(await h.call("PATCH", `periodic-tasks/${id}`, { body: { enabled: false } })).toMatchObject({ status: 200, body: { source: "settings", enabled: false } });

    expect(await h.call("PUT", `periodic-tasks/${id}`, { body: { ...input, args: [1, 1] } })).toMatchObject({ status: 200, body: { source: "settings, edited in admin", args: [1, 1] } });
    expect(await h.call("POST", `periodic-tasks/${id}/return-to-settings`, { body: {} })).toMatchObject({ status: 200, body: { source: "settings" } });
  });

  it("shows a row written by other means with its problem, its last run's outcome, and redacted arguments", async () => {
    const orphan = await h.app.periodicTasks.create({ name: `ops-${suffix}-orphan`, task: "gone.task", args: [], schedule: { kind: "interval", every: 1, period: "hours" } });
    const refused = await h.app.periodicTasks.create({ name: `ops-${suffix}-refused`, task: names.add, args: ["x", 1], schedule: { kind: "interval", every: 1, period: "hours" } });
    const hidden = await h.app.periodicTasks.create({ name: `ops-${suffix}-hidden`, task: names.secret, args: ["token"], schedule: { kind: "interval", every: 1, period: "hours" } });
    const sent = await h.call("POST", "tasks/apply", { body: { task: names.add, args: [5, 5] } });
    await h.db.periodicTask.update({ where: { id: refused.id }, data: { lastTaskId: sent.body.taskId } });

    const rows = (await h.call("GET", "periodic-tasks")).body.tasks as Array<{ id: number; problem: string | null; lastRun: unknown; args: unknown }>;
    const byId = (id: number) => rows.find((row) => row.id === id)!;
    expect(byId(orphan.id).problem).toMatch(/no task named "gone.task"/);
    expect(byId(refused.id)).toMatchObject({ problem: expect.stringMatching(/argument 0/), lastRun: { taskId: sent.body.taskId, status: "PENDING" } });
    expect(byId(hidden.id)).toMatchObject({ problem: null, args: REDACTED });
    expect(await h.call("POST", `periodic-tasks/${orphan.id}/run`, { body: {} })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/cannot be sent/) } });
  });
});
